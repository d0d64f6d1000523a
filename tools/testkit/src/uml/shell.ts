/** Quotes one word for a POSIX shell: single quotes, with embedded ones closed and escaped. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new TypeError('a shell word cannot hold a NUL byte');
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export interface JobSpec {
  cwd: string;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The script the guest's init runs in the chroot: a clean environment (only what the host
 * passed), the host's working directory, and the command, every word quoted.
 */
export function jobScript(job: JobSpec): string {
  if (job.command.length === 0) throw new TypeError('empty command');
  const env = Object.entries(job.env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new TypeError(`bad environment variable name ${JSON.stringify(name)}`);
    return shellQuote(`${name}=${value}`);
  });
  return [
    '#!/bin/sh',
    `cd ${shellQuote(job.cwd)} || exit 97`,
    `exec env -i ${[...env, ...job.command.map(shellQuote)].join(' ')} </dev/null`,
    '',
  ].join('\n');
}
