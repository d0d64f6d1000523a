import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ImportPreview } from '../import/index.js';
import { IMPORT_FORMATS, type ImportFormat, type ImportSource, importFiles, noteLine } from '../import/index.js';
import { CLIENT_OPTIONS_HELP, type CommandSpec } from './command.js';
import { CliError, EXIT } from './io.js';

/**
 * The files the import reads, collected from this machine's disk by reading them as the
 * importer does (keepalived's includes resolve as keepalived resolves them), without mapping
 * them: the daemon imports the same files itself, so what it checks is what was read here.
 */
async function collectFiles(format: ImportFormat, file: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const source: ImportSource = {
    file,
    async read(path) {
      const text = await readFile(path, 'utf8');
      files[path] = text;
      return text;
    },
    async glob(pattern) {
      const { glob } = await import('node:fs/promises');
      const found: string[] = [];
      for await (const path of glob(pattern)) found.push(path);
      return found.sort();
    },
  };
  try {
    await importFiles(format, source);
  } catch (error) {
    // The daemon says the same with its code; a file that cannot be read at all is said here.
    if (Object.keys(files).length === 0) {
      throw new CliError(EXIT.usage, `cannot read ${file}: ${(error as Error).message}`, 'CLI_FILE');
    }
  }
  return files;
}

type PreviewReply = ImportPreview & { baseVersion: number };

function describe(preview: PreviewReply, format: string, file: string): string {
  const added = preview.changes.filter((change) => change.op === 'added').length;
  const lines = [
    `${format} ${file}: ${preview.mapped} directive(s) mapped from ${preview.files.length} file(s); ${preview.notes.length} note(s)`,
    ...preview.notes.map((note) => `  ${noteLine(note)}`),
    `against configuration version ${preview.baseVersion}: ${preview.changes.length} change(s), ${added} added`,
    ...preview.replaced.map((path) => `  replaces ${path}`),
    ...preview.kept.map((section) => `  keeps the current ${section} (the import's is not taken)`),
    ...preview.errors.map((error) => `  refused: ${error.message}`),
  ];
  return lines.join('\n');
}

export const importCommand: CommandSpec = {
  name: 'import',
  summary: 'import --from FORMAT FILE [--apply]  keepalived, ldirectord, ipvsadm or HAProxy configuration',
  usage: `import --from keepalived|ldirectord|ipvsadm|haproxy FILE [--apply] [--json] [--url URL] [--data-dir DIR]
  FILE     keepalived.conf (its includes are read too), ldirectord.cf, an ipvsadm -S/-Sn save
           or -R script, or haproxy.cfg
  --apply  store the import as a new configuration version (without it: a preview, nothing stored)
Every directive is mapped or named with its file and line (unsupported, ambiguous, lossy).
${CLIENT_OPTIONS_HELP}`,
  options: { from: { type: 'string' }, apply: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const format = ctx.values.from;
    if (!IMPORT_FORMATS.includes(format as ImportFormat)) {
      throw new CliError(EXIT.usage, `--from must be one of ${IMPORT_FORMATS.join(', ')}`);
    }
    const file = resolve(ctx.positionals[0] as string);
    const files = await collectFiles(format as ImportFormat, file);
    const body = { format, file, files };
    const client = await ctx.client();
    const { body: preview } = await client.call<PreviewReply>('POST', '/config/import', body);
    if (ctx.values.apply !== true) {
      ctx.print(`${describe(preview, format as string, file)}\n(a preview: --apply stores it)`, preview);
      return preview.errors.length > 0 ? EXIT.failed : EXIT.ok;
    }
    const { body: stored } = await client.call<{ version: number }>(
      'POST',
      `/config/import/apply?version=${preview.baseVersion}`,
      body,
    );
    ctx.print(`${describe(preview, format as string, file)}\nstored as configuration version ${stored.version}`, {
      preview,
      stored,
    });
    return EXIT.ok;
  },
};
