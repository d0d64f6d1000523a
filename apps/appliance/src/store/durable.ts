import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** fsync a directory, so that a file created, linked or removed in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const TEMP_SUFFIX = '.tmp';

/**
 * Write `data` as `dir/name` so that, after any crash, the name holds either nothing or
 * every byte: the data goes to a temporary file that is fsynced, then linked to its
 * name, then the directory is fsynced. link() rather than rename() because it refuses
 * an existing name (EEXIST): two writers can never both commit the same version, and
 * a committed version is never replaced. The temporary file is removed afterwards; one
 * left behind by a crash is removed when the store next opens.
 */
export async function createDurably(dir: string, name: string, data: string): Promise<void> {
  const temp = join(dir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, join(dir, name));
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(dir);
}

/** Append one line and fsync it. One write() per line, so O_APPEND keeps concurrent lines whole. */
export async function appendDurably(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.writeFile(line, 'utf8');
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Replace `file` with `data` so that after a crash it holds the old bytes or the new ones,
 * never a mix (temporary file, fsync, rename, directory fsync). For the files that are
 * rewritten in place: admin states, tokens, the CLI token, the web certificate and its key.
 */
export async function writeFileAtomically(
  file: string,
  data: string,
  mode = 0o600,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    // Not durable: old or new bytes after a crash, or neither if the file was new.
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  if (durable) await syncDirectory(dir);
}
