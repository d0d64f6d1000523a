import { execFile } from 'node:child_process';
import { HaproxyConfigError } from './errors.js';

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (never a shell). Tests can hand in a fake. */
export type ProcessRunner = (
  file: string,
  args: readonly string[],
  options: { timeoutMs: number },
) => Promise<RunResult>;

export const execFileRunner: ProcessRunner = (file, args, { timeoutMs }) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new HaproxyConfigError('HAPROXY_BINARY_MISSING', `${file} was not found`, { cause: error }));
          return;
        }
        if (error && (error as { killed?: boolean }).killed) {
          reject(
            new HaproxyConfigError('HAPROXY_TIMEOUT', `${file} did not finish in ${timeoutMs} ms`, { cause: error }),
          );
          return;
        }
        if (error && typeof error.code !== 'number') {
          reject(
            new HaproxyConfigError('HAPROXY_BINARY_MISSING', `${file} could not run: ${error.message}`, {
              cause: error,
            }),
          );
          return;
        }
        resolve({ code: error ? (error.code as unknown as number) : 0, stdout, stderr });
      },
    );
  });
