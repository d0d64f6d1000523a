import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Where the daemon of this data directory has its HA engine write its pid. */
export const haEnginePidFile = (dataDir: string) => join(dataDir, 'run', 'ha-engine.pid');

/** The HA engine process whose pid file this is, if it runs. */
export async function haEnginePid(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * SIGKILLs the daemon's HA engine and waits for it to be gone: a daemon SIGKILLed alone
 * leaves it beating and holding the addresses (that is the point of it), so a test that
 * means "the node died" kills both.
 */
export async function killHaEngine(pidFile: string): Promise<void> {
  const pid = await haEnginePid(pidFile);
  if (pid === undefined) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(25);
  }
  throw new Error(`the HA engine ${pid} (${pidFile}) survived SIGKILL`);
}
