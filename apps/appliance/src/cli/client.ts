import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { CliError, EXIT } from './io.js';

export const DEFAULT_URL = 'http://127.0.0.1:9080';
export const DEFAULT_DATA_DIR = '/var/lib/sluice';

/**
 * Where the daemon keeps its data when neither --data-dir nor SLUICE_DATA_DIR says:
 * /var/lib/sluice for root, the user's state directory otherwise (so that `serve` starts
 * without root, and the CLI of the same user finds its token).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.SLUICE_DATA_DIR) return env.SLUICE_DATA_DIR;
  if (process.getuid?.() === 0) return DEFAULT_DATA_DIR;
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'sluice');
}

export interface ClientOptions {
  url: string;
  /** The bearer token; read from `<dataDir>/cli.token` when absent. */
  token: string;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The CLI's token: `SLUICE_API_TOKEN` if set, else `<dataDir>/cli.token`, which the daemon
 * writes (0600) when it starts. A missing file means the daemon never ran with this data
 * directory (or this user may not read it): the daemon is unreachable for this CLI.
 */
export async function readToken(dataDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const fromEnv = env.SLUICE_API_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.trim();
  const file = join(dataDir, 'cli.token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token === '') throw new Error('the file is empty');
    return token;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist: is the daemon running with this data directory (--data-dir, SLUICE_DATA_DIR)?'
        : code === 'EACCES'
          ? "permission denied: run as root (or the daemon's user)"
          : (error as Error).message;
    throw new CliError(EXIT.unreachable, `cannot read the CLI token ${file}: ${why}`, 'CLI_NO_TOKEN');
  }
}

/** A small JSON client of the daemon's REST API (`/api/v1`). */
export class DaemonClient {
  constructor(private readonly options: ClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  /** The parsed reply; a non-2xx answer throws CliError (exit 1) with the API's error code. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const reply = await this.send<T>(method, path, body);
    if (reply.status >= 200 && reply.status < 300) return reply;
    const error = (reply.body as { error?: { code?: string; message?: string; field?: string; issues?: unknown[] } })
      ?.error;
    throw new CliError(
      EXIT.failed,
      error?.message ?? `the daemon answered HTTP ${reply.status}`,
      error?.code ?? `HTTP_${reply.status}`,
      { status: reply.status, ...(error ?? {}) },
    );
  }

  private async send<T>(method: string, path: string, body: unknown): Promise<Reply<T>> {
    let target: URL;
    try {
      target = new URL(`/api/v1${path}`, this.options.url);
    } catch {
      throw new CliError(EXIT.usage, `--url ${JSON.stringify(this.options.url)} is not a URL`, 'CLI_USAGE');
    }
    const timeout = this.options.timeoutMs ?? 60_000;
    try {
      // Loaded on first use: `serve` shares this module and never sends a request.
      const { request } = await import('undici');
      const response = await request(target, {
        method: method as Dispatcher.HttpMethod,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(this.options.dispatcher === undefined ? {} : { dispatcher: this.options.dispatcher }),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's error page): keep the text for the message.
        }
      }
      return { status: response.statusCode, body: parsed as T, headers: response.headers };
    } catch (error) {
      throw new CliError(
        EXIT.unreachable,
        `cannot reach the daemon at ${this.options.url}: ${(error as Error).message}`,
        'CLI_UNREACHABLE',
      );
    }
  }
}
