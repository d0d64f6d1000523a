import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Serial, serial } from '../src/serial.js';
import { VersionLog, type VersionLogOptions } from '../src/store/version-log.js';

/** A document the log cannot know the meaning of: no configuration, just JSON. */
interface Doc {
  title: string;
  items: string[];
  note?: string;
}

const name = (v: number) => `${String(v).padStart(12, '0')}.json`;
const time = (v: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, v)).toISOString();
let dir: string;
let writes: Serial;
let checked: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-version-log-'));
  writes = serial();
  checked = [];
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function open(options: Partial<VersionLogOptions<Doc>> = {}): Promise<VersionLog<Doc>> {
  return VersionLog.open<Doc>(dir, {
    writes,
    rules: 'rules-1',
    check: (head, file) => {
      checked.push(`${head.version} ${file}`);
      if (head.config.title === 'refused') throw new Error(`refused ${file}`);
    },
    first: { config: { title: 'empty', items: [] }, author: 'system', comment: 'first' },
    now: () => new Date(time(0)),
    ...options,
  });
}

/** Append the document after the head, from inside the queue, as the log's owner does. */
function append(log: VersionLog<Doc>, config: Doc, author = 'alice'): Promise<void> {
  return writes(() => {
    const next = log.head.version + 1;
    return log.append(next, config, author, `v${next}`, time(next));
  });
}

/** Wait until no append, snapshot or seal is running. */
async function quiesce(log: VersionLog<Doc>): Promise<void> {
  do {
    await writes.idle();
    await log.settle();
  } while (log.busy);
}

const items = (n: number) => Array.from({ length: n }, (_, i) => `item ${i}`);

describe('VersionLog (opaque documents, their files, chain, snapshots and seal)', () => {
  it('starts a new directory at version 1, stores changes as deltas, and gives every version back after reopening', async () => {
    const log = await open();
    expect(log.created).toBe(true);
    expect(log.head).toEqual({
      version: 1,
      author: 'system',
      time: time(0),
      comment: 'first',
      config: { title: 'empty', items: [] },
    });
    const documents: Doc[] = [log.head.config];
    let doc: Doc = { title: 'list', items: items(20) };
    for (let v = 2; v <= 6; v++) {
      await append(log, doc);
      documents.push(doc);
      // The next document shares all but one key with this one, as an edit does.
      doc = { ...doc, items: [...doc.items.slice(1), `item ${v + 100}`], ...(v === 4 ? { note: 'n' } : {}) };
    }
    expect(log.head).toMatchObject({ version: 6, author: 'alice', comment: 'v6', time: time(6) });
    expect(Object.isFrozen(log.head.config.items)).toBe(true);
    // Version 1 is whole; the others are the change from the version before.
    const file5 = JSON.parse(await readFile(join(dir, 'versions', name(5)), 'utf8'));
    expect(file5).toMatchObject({ format: 1, version: 5, author: 'alice', comment: 'v5', base: 4 });
    expect(file5.config).toBeUndefined();
    expect(JSON.parse(await readFile(join(dir, 'versions', name(1)), 'utf8')).config).toEqual(documents[0]);
    await quiesce(log);

    const reopened = await open();
    expect(reopened.created).toBe(false);
    // The seal vouches for the head under the same rules: the owner's check is skipped.
    expect(checked).toEqual([]);
    expect(reopened.head).toEqual(log.head);
    for (let v = 1; v <= 6; v++) expect((await reopened.get(v)).config).toEqual(documents[v - 1]);
    // Replay walks back to the whole version 1 from what it has not decoded yet.
    const fresh = await open();
    const read: string[] = [];
    expect((await fresh.get(3, (file) => read.push(file))).config).toEqual(documents[2]);
    expect(read).toEqual([name(3), name(2), name(1)]);
    expect((await fresh.history({ limit: 3 })).map((v) => [v.version, v.comment])).toEqual([
      [6, 'v6'],
      [5, 'v5'],
      [4, 'v4'],
    ]);
    await expect(fresh.get(7)).rejects.toMatchObject({ code: 'STORE_NOT_FOUND', field: 'version' });
    await expect(fresh.get(0)).rejects.toMatchObject({ code: 'STORE_INVALID_ARGUMENT', field: 'version' });
  });

  it('snapshots the head in the background, and readers start from the snapshot', async () => {
    const log = await open({ snapshotEvery: 2 });
    await append(log, { title: 'a', items: items(5) });
    await append(log, { title: 'b', items: items(5) });
    await quiesce(log);
    expect(await readdir(join(dir, 'snapshots'))).toEqual([name(3)]);
    const snapshot = JSON.parse(await readFile(join(dir, 'snapshots', name(3)), 'utf8'));
    expect(snapshot).toEqual({ format: 1, ...log.head });
    await append(log, { title: 'c', items: items(5) });
    await quiesce(log);

    const reopened = await open({ snapshotEvery: 2 });
    expect(checked).toEqual([]);
    expect(reopened.head.config.title).toBe('c');
    // An older version comes from the snapshot, not from version 1 and the deltas after it.
    const read: string[] = [];
    expect((await reopened.get(3, (file) => read.push(file))).config.title).toBe('b');
    expect(read).toEqual([`snapshots/${name(3)}`]);
    read.length = 0;
    expect((await reopened.get(2, (file) => read.push(file))).config.title).toBe('a');
    expect(read).toEqual([name(2), name(1)]);
    // The seal names the chain that starts at the snapshot: the head's chain of files.
    const seal = JSON.parse(await readFile(join(dir, 'validated.json'), 'utf8'));
    expect(seal).toMatchObject({ schema: 'rules-1', version: 4 });
  });

  it('asks its owner to check the head when the seal does not vouch for it, and seals it then', async () => {
    const log = await open();
    await append(log, { title: 'x', items: [] });
    await quiesce(log);
    await open({ rules: 'rules-2' });
    expect(checked).toEqual([`2 ${join(dir, 'versions', name(2))}`]);
    // Sealed under the new rules: the next open under them does not ask again.
    await open({ rules: 'rules-2' });
    expect(checked).toHaveLength(1);
    await rm(join(dir, 'validated.json'));
    await open({ rules: 'rules-2' });
    expect(checked).toHaveLength(2);
    // What the owner refuses, the log refuses to open.
    const sealed = await open({ rules: 'rules-2' });
    await append(sealed, { title: 'refused', items: [] });
    await quiesce(sealed);
    await expect(open({ rules: 'rules-3' })).rejects.toThrow(`refused ${join(dir, 'versions', name(3))}`);
  });

  it('refuses to overwrite a version another writer stored, and takes that version as its head', async () => {
    const mine = await open();
    const theirs = await open();
    await append(theirs, { title: 'theirs', items: [] }, 'bob');
    const error = await append(mine, { title: 'mine', items: [] }).catch((e: NodeJS.ErrnoException) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('EEXIST');
    expect(mine.head).toMatchObject({ version: 2, author: 'bob', config: { title: 'theirs' } });
    expect(JSON.parse(await readFile(join(dir, 'versions', name(2)), 'utf8')).author).toBe('bob');
    await append(mine, { title: 'mine', items: [] });
    expect((await open()).head).toMatchObject({ version: 3, config: { title: 'mine' } });
  });

  it('removes the temporary files a crash left, and says which file is corrupt', async () => {
    const log = await open();
    await append(log, { title: 'x', items: items(3) });
    await quiesce(log);
    await writeFile(join(dir, 'versions', `${name(3)}.1.abcd.tmp`), '{"format":1,');
    await writeFile(join(dir, 'snapshots', `${name(2)}.1.abcd.tmp`), '{');
    await open();
    expect(await readdir(join(dir, 'versions'))).toEqual([name(1), name(2)]);
    expect(await readdir(join(dir, 'snapshots'))).toEqual([]);
    await writeFile(join(dir, 'versions', name(3)), '{"format":1,');
    const file = join(dir, 'versions', name(3));
    await expect(open()).rejects.toMatchObject({ code: 'STORE_CORRUPT', field: file });
  });
});

describe('the store is two layers', () => {
  const storeDir = resolve(dirname(fileURLToPath(import.meta.url)), '../src/store');

  /** Every file that `file` imports, directly or not, within src/. */
  async function importsOf(file: string, seen = new Set<string>()): Promise<Set<string>> {
    if (seen.has(file)) return seen;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const [, path] of text.matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)\.js';/gms)) {
      await importsOf(resolve(dirname(file), `${path}.ts`), seen);
    }
    return seen;
  }

  it('the VersionLog imports nothing of the configuration (its documents are opaque to it)', async () => {
    const files = [...(await importsOf(join(storeDir, 'version-log.ts')))];
    expect(files).toContain(join(storeDir, 'snapshot.ts'));
    const configuration = (file: string) => file.includes('/src/model/') || file.includes('/src/config/');
    expect(files.filter((file) => configuration(file) || file.endsWith('/store/config-store.ts'))).toEqual([]);
  });

  it('the contract is types only', async () => {
    const text = await readFile(join(storeDir, 'contract.ts'), 'utf8');
    const imports = text.match(/^import .*$/gm) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });
});
