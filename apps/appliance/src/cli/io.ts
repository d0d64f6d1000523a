import type { Readable } from 'node:stream';

/** Where a command reads and writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** A question, without a line break after it. */
  prompt(text: string): void;
  /** For questions and confirmations (the wizard, restore-defaults). */
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** Whether stdin is a terminal (a question then waits for a person). */
  interactive: boolean;
  /** Whether stdout is a terminal (a person reads it, not the journal or a file). */
  terminal?: boolean;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    prompt: (text) => process.stdout.write(text),
    stdin: process.stdin,
    env: process.env,
    interactive: process.stdin.isTTY === true,
    terminal: process.stdout.isTTY === true,
  };
}

/** Exit codes of every client command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** The daemon refused or the action failed (HA_PASSIVE, CONFIG_REJECTED, takeover not done, ...). */
  failed: 1,
  /** Bad arguments or input (a wrong flag, an invalid wizard answer in non-interactive mode). */
  usage: 2,
  /** The daemon cannot be reached (not running, wrong --url, no token in the data directory). */
  unreachable: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with its exit code and, when the daemon answered, its error code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly code?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
