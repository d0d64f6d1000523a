import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fsync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/*
 * The steps that do not wait for the disk (open, write into the page cache, link, rename,
 * unlink, close) are synchronous calls: each takes microseconds. Only the fsyncs, which
 * wait for the disk, go through libuv's thread pool, so the event loop never waits for
 * the disk. A commit used to make a dozen trips through the pool, each a thread switch
 * each way, and spent ten times longer switching than writing in the test kernel
 * (`bench/fs-ops.mjs`).
 */
const fsyncFd = promisify(fsync);
const fdatasyncFd = promisify(fdatasync);

/** One write() of the whole text (a short write, as on a full disk, is an error). */
function writeText(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const written = writeSync(fd, bytes, 0, bytes.length);
  if (written !== bytes.length) throw new Error(`short write: ${written} of ${bytes.length} bytes`);
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone, or left for the next open to clean.
  }
}

/** fsync a directory, so that a file created, linked or removed in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
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
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeText(fd, data);
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, join(dir, name));
  } finally {
    removeQuietly(temp);
  }
  await syncDirectory(dir);
}

/** Append one line and fsync it. One write() per line, so O_APPEND keeps concurrent lines whole. */
export async function appendDurably(file: string, line: string): Promise<void> {
  const fd = openSync(file, 'a', 0o600);
  try {
    writeText(fd, line);
    await fdatasyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** Append one line without fsync (one write(), as appendDurably). */
export function appendLine(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    writeText(fd, line);
  } finally {
    closeSync(fd);
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
  const fd = openSync(temp, 'wx', mode);
  try {
    writeText(fd, data);
    // Not durable: old or new bytes after a crash, or neither if the file was new.
    if (durable) await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
  if (durable) await syncDirectory(dir);
}
