import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../store/durable.js';

/**
 * Replace `file` so that after a crash it holds the old bytes or the new ones, never a
 * mix: a key and its certificate live in one file for that reason (a torn pair would
 * leave the HTTPS server unable to start).
 */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}
