import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TEMP_SUFFIX } from './durable.js';
import { chainHash } from './seal-file.js';

/*
 * A snapshot is the whole document of one version, written in the background so
 * that readers (opening the store, reading an old version) start from it instead of
 * replaying every delta since the last whole version. It is derived data: the version
 * files stay complete without it, so a snapshot that is lost or unreadable is only
 * ignored. It is never half there: written to a temporary file, fsynced, then renamed.
 *
 * A configuration of 10,000 real servers is about 2 MB of JSON. Stringified at once it
 * would hold the event loop for hundreds of milliseconds where page faults are slow (a
 * commit waiting behind it), so the text is built and written in small chunks, with the
 * event loop free between them.
 */

export const SNAPSHOT_FORMAT = 1;
/** The largest write of a snapshot (a single value bigger than this goes whole). */
const WRITE_CHARS = 64 * 1024;
/** Text built in one turn of the event loop, at most: about a millisecond where page faults are slow. */
const STEP_CHARS = 16 * 1024;
/** And at most this long (code not yet compiled runs many times slower: the first snapshot of a process). */
const STEP_MS = 2;
/**
 * How deep the text is split: the snapshot, its configuration, a list of services, a
 * service, its real servers. Deeper values are stringified whole (a real server is small).
 */
const SPLIT_DEPTH = 5;

export interface SnapshotRecord {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  author: string;
  time: string;
  comment: string;
  config: object;
}

/** Where a snapshot's bytes enter the chain of files that the seal digests. */
export const snapshotLink = (name: string) => `snapshots/${name}`;

/** What JSON.stringify leaves out of an object and writes as null in an array. */
const unrepresentable = (value: unknown) =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** The text JSON.stringify(value) gives, in pieces (containers down to `depth` are opened). */
function* jsonPieces(value: unknown, depth: number): Generator<string> {
  if (
    depth === 0 ||
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    yield JSON.stringify(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = value[i];
      if (unrepresentable(item)) yield 'null';
      else yield* jsonPieces(item, depth - 1);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (unrepresentable(item)) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonPieces(item, depth - 1);
  }
  yield '}';
}

/**
 * Write `record` as `dir/name`: one line of compact JSON, exactly JSON.stringify(record),
 * then a newline. Resolves with the chain digest of those bytes (seal-file.ts) once the file
 * is fsynced and renamed to its name. No directory fsync: a snapshot lost to a crash is
 * only not used. Before each step, `pause` may hold the work back (while commits run).
 */
export async function writeSnapshot(
  dir: string,
  name: string,
  record: SnapshotRecord,
  pause: () => Promise<void> = async () => undefined,
): Promise<string> {
  const temp = join(dir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const hash = chainHash(undefined, snapshotLink(name));
  const handle = await open(temp, 'wx', 0o600);
  try {
    const write = async (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      hash.update(bytes);
      for (let at = 0; at < bytes.length; ) {
        const { bytesWritten } = await handle.write(bytes, at, bytes.length - at);
        at += bytesWritten;
      }
    };
    let batch: string[] = [];
    let size = 0;
    let step = 0;
    let pieces = 0;
    let began = performance.now();
    for (const piece of jsonPieces(record, SPLIT_DEPTH)) {
      batch.push(piece);
      size += piece.length;
      step += piece.length;
      if (size >= WRITE_CHARS) {
        const text = batch.join('');
        batch = [];
        size = 0;
        step = 0;
        await write(text);
        await pause();
        began = performance.now();
      } else if (step >= STEP_CHARS || (++pieces % 64 === 0 && performance.now() - began >= STEP_MS)) {
        step = 0;
        await nextTurn();
        await pause();
        began = performance.now();
      }
    }
    batch.push('\n');
    await write(batch.join(''));
    await pause();
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, join(dir, name));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return hash.digest('hex');
}

/** The snapshot `dir/name` of version `version` and its bytes; undefined when it cannot be used. */
export async function readSnapshot(
  dir: string,
  name: string,
  version: number,
): Promise<{ record: SnapshotRecord; bytes: Buffer } | undefined> {
  try {
    const bytes = await readFile(join(dir, name));
    const record = JSON.parse(bytes.toString('utf8')) as Partial<SnapshotRecord>;
    const { config } = record;
    if (
      record.format !== SNAPSHOT_FORMAT ||
      record.version !== version ||
      typeof record.author !== 'string' ||
      typeof record.time !== 'string' ||
      typeof record.comment !== 'string' ||
      typeof config !== 'object' ||
      config === null ||
      Array.isArray(config)
    ) {
      return undefined;
    }
    return { record: record as SnapshotRecord, bytes };
  } catch {
    return undefined;
  }
}
