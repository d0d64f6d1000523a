import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError } from '../store/version-log.js';

/**
 * The admin's drain of this node, in the data directory: node-local (never replicated,
 * every node is drained on its own) and kept across a restart, so that a node drained for
 * maintenance does not announce its VIPs again when it comes back up.
 */
export interface DrainRecord {
  drain: boolean;
  author?: string;
  time?: string;
}

export const drainFile = (dataDir: string) => join(dataDir, 'cluster-drain.json');

export async function readDrain(dataDir: string): Promise<DrainRecord> {
  let text: string;
  try {
    text = await readFile(drainFile(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { drain: false };
    throw ioError(`cannot read this node's drain (${drainFile(dataDir)})`, error);
  }
  try {
    const parsed = JSON.parse(text) as DrainRecord;
    return typeof parsed?.drain === 'boolean' ? parsed : { drain: true };
  } catch {
    // A damaged file is read as drained: withdrawing is the safe side of a doubt.
    return { drain: true };
  }
}

/** Kept first, then applied: a write that fails (`STORE_IO`) leaves the node as it was. */
export async function writeDrain(dataDir: string, record: DrainRecord): Promise<void> {
  const file = drainFile(dataDir);
  const temporary = `${file}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  } catch (error) {
    throw ioError(`cannot record this node's ${record.drain ? 'drain' : 'undrain'} in ${file}`, error);
  }
}
