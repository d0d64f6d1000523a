import { open, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CLIENT_OPTIONS_HELP, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';

function filenameOf(disposition: string | string[] | undefined): string | undefined {
  const text = Array.isArray(disposition) ? disposition[0] : disposition;
  const name = /filename="([A-Za-z0-9._-]+)"/.exec(text ?? '')?.[1];
  return name;
}

export const backupCommand: CommandSpec = {
  name: 'backup',
  summary: 'backup [FILE|-] [--json]           download a backup (config, history, admin states, users)',
  usage: `backup [FILE|-] [--force] [--json] [--url URL] [--data-dir DIR]
  FILE  where to write it (default: the name the daemon suggests, in this directory); - for stdout
  --force  overwrite FILE if it exists
${CLIENT_OPTIONS_HELP}`,
  options: { force: { type: 'boolean', default: false } },
  positionals: { min: 0, max: 1 },
  async run(ctx) {
    const reply = await (await ctx.client()).call<{ configVersion?: number }>('GET', '/backup');
    const text = `${JSON.stringify(reply.body, null, 2)}\n`;
    const target = ctx.positionals[0] ?? filenameOf(reply.headers['content-disposition']) ?? 'sluice-backup.json';
    if (target === '-') {
      ctx.io.out(text.trimEnd());
      return EXIT.ok;
    }
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      // 0600: a backup holds the users' password hashes and the HA key.
      handle = await open(target, ctx.values.force === true ? 'w' : 'wx', 0o600);
    } catch (error) {
      const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
      throw new CliError(
        EXIT.failed,
        exists ? `${target} exists (--force overwrites it)` : `cannot write ${target}: ${(error as Error).message}`,
        'CLI_FILE',
      );
    }
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    const version = reply.body.configVersion;
    ctx.print(`wrote the backup of configuration version ${version ?? '?'} to ${target}`, {
      file: target,
      configVersion: version,
      bytes: Buffer.byteLength(text),
    });
    return EXIT.ok;
  },
};

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const restoreCommand: CommandSpec = {
  name: 'restore',
  summary: 'restore FILE [--json]              restore a backup as a new configuration version',
  usage: `restore FILE [--json] [--url URL] [--data-dir DIR]
  FILE  a backup written by "backup", or - for stdin (checked whole first: a bad backup changes nothing)
${CLIENT_OPTIONS_HELP}`,
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const file = ctx.positionals[0] as string;
    let backup: unknown;
    try {
      backup = JSON.parse(file === '-' ? await readStream(ctx.io.stdin) : await readFile(file, 'utf8'));
    } catch (error) {
      throw new CliError(EXIT.usage, `cannot read ${file} as JSON: ${(error as Error).message}`, 'CLI_FILE');
    }
    const { body } = await (await ctx.client()).call<{ version: number; warnings?: unknown[]; adminStates?: number }>(
      'POST',
      '/restore',
      backup,
    );
    const warnings = (body.warnings ?? []) as { message?: string }[];
    ctx.print(
      [
        `restored ${file} as configuration version ${body.version}`,
        ...warnings.map((w) => `  warning: ${w.message}`),
      ].join('\n'),
      body,
    );
    return EXIT.ok;
  },
};
