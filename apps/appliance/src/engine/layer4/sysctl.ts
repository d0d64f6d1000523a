/**
 * Reads and writes IPVS's sysctls in the data plane's namespace. /proc/sys/net shows the
 * namespace of the process that opens it, so inside a named namespace the file is opened
 * by a child that `ip netns exec` moved there; never the daemon's own.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { ApplianceError } from '../../errors.js';

export interface Sysctl {
  /** The value, trimmed. */
  read(name: string): Promise<string>;
  write(name: string, value: string): Promise<void>;
}

const NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;
const TIMEOUT_MS = 10_000;

function pathOf(name: string): string {
  if (!NAME.test(name)) throw new ApplianceError('ENGINE_APPLY_FAILED', `not a sysctl name: ${name}`);
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

function run(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('ip', args, { encoding: 'utf8', timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error)
        reject(new ApplianceError('ENGINE_APPLY_FAILED', `ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

export function namespaceSysctl(netns?: string): Sysctl {
  if (netns === undefined) {
    return {
      read: async (name) => (await readFile(pathOf(name), 'utf8')).trim(),
      write: (name, value) => writeFile(pathOf(name), `${value}\n`),
    };
  }
  return {
    read: async (name) => (await run(['netns', 'exec', netns, 'cat', pathOf(name)])).trim(),
    // tee, as the shell's `>` would need a shell: the value goes on stdin, the output is dropped.
    write: async (name, value) => {
      await run(['netns', 'exec', netns, 'tee', pathOf(name)], `${value}\n`);
    },
  };
}
