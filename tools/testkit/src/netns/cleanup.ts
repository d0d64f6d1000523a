import { run, runSync } from '../exec.js';
import { NETNS_PREFIX, ownerPid } from './names.js';

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return parseNetnsList(stdout);
}

export function parseNetnsList(text: string): string[] {
  // `ip netns list` prints "name" or "name (id: 3)".
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills every process left in a namespace and removes it. Deleting a namespace alone
 * would leave servers running in it (they keep it alive), so the processes go first.
 */
export async function removeNamespace(name: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', name]).then(
    (r) => r.stdout.split('\n').filter(Boolean),
    () => [],
  );
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run('ip', ['netns', 'del', name]).catch(() => undefined);
}

export function removeNamespaceSync(name: string): void {
  try {
    for (const pid of runSync('ip', ['netns', 'pids', name]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already gone
  }
  try {
    runSync('ip', ['netns', 'del', name]);
  } catch {
    // namespace already gone
  }
}

/** Removes the namespaces of runs whose process has died (an interrupted test run). */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    if (!name.startsWith(NETNS_PREFIX)) return false;
    const pid = ownerPid(name);
    return pid !== undefined && !alive(pid);
  });
  for (const name of stale) await removeNamespace(name);
  return stale;
}
