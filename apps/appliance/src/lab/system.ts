import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a program with an argument array (no shell ever parses a lab name or address) and
 * fails with LAB_FAILED naming the command and its stderr, so a broken step is diagnosable.
 */
export function command(
  file: string,
  args: readonly string[],
  timeoutMs = 30_000,
  input?: string,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const what = [file, ...args].join(' ');
          reject(new ApplianceError('LAB_FAILED', `${what}: ${stderr.trim() || error.message}`, { cause: error }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    // A program that exits without reading its input closes the pipe: that is no failure.
    child.stdin?.on('error', () => undefined);
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

/** `ip -n <netns> ...` (or the current namespace without one). */
export function ip(netns: string | undefined, args: readonly string[]): Promise<CommandResult> {
  return command('ip', netns === undefined ? args : ['-n', netns, ...args]);
}

/**
 * Many `ip` commands in one process (`ip -batch`): each process start costs a few hundred
 * milliseconds in a User-Mode Linux guest, and a lab takes about a hundred commands. The
 * lines are made from the topology only (labels, documentation addresses, a checked prefix).
 */
export async function ipBatch(netns: string | undefined, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = netns === undefined ? ['-batch', '-'] : ['-n', netns, '-batch', '-'];
  try {
    await command('ip', args, 60_000, `${lines.join('\n')}\n`);
  } catch (error) {
    // ip names the failed line by number ("Command failed -:7"): put the line itself in the message.
    const message = (error as Error).message;
    const line = /-:(\d+)/.exec(message)?.[1];
    const text = line === undefined ? '' : ` (line: ${lines[Number(line) - 1] ?? '?'})`;
    throw new ApplianceError('LAB_FAILED', `${message}${text}`, { cause: error });
  }
}

/** Runs a program inside a namespace. */
export function inNetns(netns: string, file: string, args: readonly string[], timeoutMs?: number) {
  return command('ip', ['netns', 'exec', netns, file, ...args], timeoutMs);
}

/** Sets sysctls of a namespace in one call (`net.*` keys are per namespace: the host's own are never touched). */
export async function sysctls(netns: string, values: Record<string, string | number>): Promise<void> {
  const args = Object.entries(values).map(([key, value]) => `${key}=${value}`);
  if (args.length > 0) await inNetns(netns, 'sysctl', ['-q', '-w', ...args]);
}

export async function listNetns(): Promise<string[]> {
  const { stdout } = await command('ip', ['netns', 'list']);
  // `ip netns list` prints "name" or "name (id: 3)".
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

export async function netnsPids(netns: string): Promise<number[]> {
  const { stdout } = await command('ip', ['netns', 'pids', netns]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** The process exists and is not a zombie waiting for a parent that may never reap it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM, up to `graceMs` to exit, then SIGKILL. */
export async function stopPids(pids: readonly number[], graceMs = 2_000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

/**
 * Stops every process in the namespaces (an appliance included), then deletes them: a
 * namespace with processes left in it would live on after `ip netns del`.
 */
export async function removeNetns(names: readonly string[]): Promise<void> {
  const pids = (await Promise.all(names.map((name) => netnsPids(name)))).flat();
  await stopPids(pids);
  await ipBatch(
    undefined,
    names.map((name) => `netns del ${name}`),
  ).catch(async () => {
    // One by one, so one that is already gone does not keep the others.
    for (const name of names) await command('ip', ['netns', 'del', name]).catch(() => undefined);
  });
}
