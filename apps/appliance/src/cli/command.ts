import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Dispatcher } from 'undici';
import { DaemonClient, DEFAULT_URL, defaultDataDir, readToken } from './client.js';
import { CliError, type CliIo, EXIT } from './io.js';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  io: CliIo;
  values: Values;
  positionals: string[];
  json: boolean;
  /** The daemon's client (reads the token on first use). */
  client(): Promise<DaemonClient>;
  /** Prints `value` as JSON with --json, else `text`. */
  print(text: string, value: unknown): void;
}

export interface CommandSpec {
  name: string;
  /** One line for the main usage. */
  summary: string;
  /** The command's own usage text (after `usage: sluice-appliance `). */
  usage: string;
  options?: ParseArgsOptionsConfig;
  positionals?: { min: number; max: number };
  /** False for commands that never talk to the daemon (validate, capabilities). */
  daemon?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export interface RunOptions {
  /** For tests: the HTTP dispatcher (undici) the client uses. */
  dispatcher?: Dispatcher;
}

const COMMON_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};
const CLIENT_OPTIONS: ParseArgsOptionsConfig = {
  url: { type: 'string' },
  'data-dir': { type: 'string' },
};

export const CLIENT_OPTIONS_HELP = `  --url URL         the daemon (default http://127.0.0.1:9080, env SLUICE_URL)
  --data-dir DIR    where the daemon keeps cli.token (default /var/lib/sluice as root, else
                    ~/.local/state/sluice; env SLUICE_DATA_DIR)
  --json            one JSON document on stdout (errors too: {"error": {...}})
exit: 0 done, 1 refused or failed, 2 usage, 3 daemon unreachable`;

/** Parses, runs and maps every failure to its exit code (and to JSON with --json). */
export async function runCommand(
  spec: CommandSpec,
  argv: readonly string[],
  io: CliIo,
  options: RunOptions = {},
): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        ...COMMON_OPTIONS,
        ...(spec.daemon === false ? {} : CLIENT_OPTIONS),
        ...spec.options,
      },
      allowPositionals: (spec.positionals?.max ?? 0) > 0,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    io.err(`sluice-appliance ${spec.name}: ${(error as Error).message}`);
    io.err(`usage: sluice-appliance ${spec.usage}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(`usage: sluice-appliance ${spec.usage}`);
    return EXIT.ok;
  }
  const json = values.json === true;
  const { min, max } = spec.positionals ?? { min: 0, max: 0 };
  if (positionals.length < min || positionals.length > max) {
    io.err(`sluice-appliance ${spec.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s)`);
    io.err(`usage: sluice-appliance ${spec.usage}`);
    return EXIT.usage;
  }
  let client: DaemonClient | undefined;
  const ctx: CommandContext = {
    io,
    values,
    positionals,
    json,
    async client() {
      if (client === undefined) {
        const url = (values.url as string | undefined) ?? io.env.SLUICE_URL ?? DEFAULT_URL;
        const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir(io.env);
        const token = await readToken(dataDir, io.env);
        client = new DaemonClient({
          url,
          token,
          ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
        });
      }
      return client;
    },
    print(text, value) {
      io.out(json ? JSON.stringify(value, null, 2) : text);
    },
  };
  try {
    return await spec.run(ctx);
  } catch (error) {
    const failure =
      error instanceof CliError
        ? error
        : new CliError(EXIT.failed, (error as Error)?.message ?? String(error), 'CLI_FAILED');
    if (json) {
      io.out(JSON.stringify({ error: { code: failure.code, message: failure.message, ...failure.details } }, null, 2));
    } else {
      io.err(`sluice-appliance ${spec.name}: ${failure.message}${failure.code ? ` (${failure.code})` : ''}`);
      const issues = failure.details?.issues;
      if (Array.isArray(issues)) {
        for (const issue of issues as { field?: string; message?: string }[]) io.err(`  - ${issue.message ?? ''}`);
      }
    }
    return failure.exitCode;
  }
}
