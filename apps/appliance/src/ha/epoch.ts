import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from '../store/durable.js';

/**
 * The heartbeat's epoch must grow from one run to the next, or the peer takes this run's
 * heartbeats for replays of the last one. The wall clock can step back (NTP, a dead RTC
 * battery), so the last epoch is kept in the data directory and the next is above both.
 */
export async function nextEpoch(file: string, now = Date.now()): Promise<number> {
  let stored = 0;
  try {
    stored = Number.parseInt((await readFile(file, 'utf8')).trim(), 10) || 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const epoch = Math.max(now, stored + 1);
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${epoch}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDirectory(dirname(file));
  return epoch;
}
