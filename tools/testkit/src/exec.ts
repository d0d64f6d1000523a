import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { TestkitError } from './errors.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs a program without a shell (arguments are never parsed by one), and fails with the
 * command line and its stderr so a broken topology is diagnosable from the test log.
 */
export function run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
        cwd: options.cwd,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const what = [file, ...args].join(' ');
          const code = (error as { killed?: boolean }).killed ? 'TESTKIT_TIMEOUT' : 'TESTKIT_EXEC_FAILED';
          reject(new TestkitError(code, `${what}: ${stderr.trim() || error.message}`, { cause: error }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Synchronous variant for exit handlers, where nothing asynchronous runs any more. */
export function runSync(file: string, args: readonly string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** Looks a program up on PATH without spawning a shell. */
export function which(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(':')) {
    if (!dir) continue;
    const candidate = `${dir}/${program}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
