import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApplianceConfig,
  type ApplianceConfigInput,
  ConfigStore,
  diffConfigs,
  parseConfig,
} from '../src/index.js';
import { chainDigest, SEAL_FILE, type Seal, schemaFingerprint } from '../src/store/seal.js';
import { deltaBase, deltaChange } from './fixtures/delta-config.mjs';

const name = (v: number) => `${String(v).padStart(12, '0')}.json`;
let dir: string;
let clock: number;
const now = () => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-snapshot-'));
  clock = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const snapshotFile = (v: number) => join(dir, 'snapshots', name(v));
const readSealFile = async (): Promise<Seal> => JSON.parse(await readFile(join(dir, SEAL_FILE), 'utf8'));
const snapshotNames = async () => (await readdir(join(dir, 'snapshots'))).sort();

/** The digest of a snapshot and the deltas after it, as the seal names it. */
async function chainFrom(snapshot: number, head: number): Promise<string> {
  let digest = chainDigest(undefined, `snapshots/${name(snapshot)}`, await readFile(snapshotFile(snapshot)));
  for (let v = snapshot + 1; v <= head; v++) {
    digest = chainDigest(digest, name(v), await readFile(join(dir, 'versions', name(v))));
  }
  return digest;
}

/** Commits the snapshot fixture's base (version 2), then one-server changes up to `head`. */
async function commitUpTo(store: ConfigStore, head: number): Promise<void> {
  if (store.current().version === 1) {
    await store.commit({ config: deltaBase(400), baseVersion: 1, author: 'alice', comment: 'w2' });
  }
  while (store.current().version < head) {
    const next = store.current().version + 1;
    await store.commit({
      config: deltaChange(store.current().config, next),
      baseVersion: next - 1,
      author: 'alice',
      comment: `w${next}`,
    });
  }
}

/** What version `v` of commitUpTo holds, computed without the store. */
function expectedConfig(v: number): ApplianceConfig {
  let raw = deltaBase(400);
  for (let n = 3; n <= v; n++) raw = deltaChange(raw, n);
  return parseConfig(raw).config;
}

describe('ConfigStore snapshots', () => {
  it('writes the head whole in the background, as one line exactly as JSON.stringify gives it', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 3);
    // Version 2 (the base, 700 KB) is stored whole: its delta from the defaults is too large.
    await store.close();
    expect(await snapshotNames()).toEqual([]);
    await commitUpTo(store, 5);
    await store.close();
    expect(await snapshotNames()).toEqual([name(5)]);
    const head = store.current();
    const text = await readFile(snapshotFile(5), 'utf8');
    const { version, author, time, comment, config } = head;
    expect(text).toBe(`${JSON.stringify({ format: 1, version, author, time, comment, config })}\n`);
    // Streamed in chunks: this one took several.
    expect(text.length).toBeGreaterThan(4 * 64 * 1024);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(JSON.parse(text).config).toEqual(expectedConfig(5));
    // The version files stay as they are: every version after the first whole one is a delta.
    const versionFile = JSON.parse(await readFile(join(dir, 'versions', name(5)), 'utf8'));
    expect(versionFile).toMatchObject({ version: 5, base: 4 });
    expect(versionFile.config).toBeUndefined();
  });

  it('gives exactly JSON.stringify for every section of the sample configuration', async () => {
    const { sampleConfig } = await import('./fixtures/sample-config.js');
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 1 });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'bob', comment: 'quotes " and \\ and é' });
    await store.close();
    const { version, author, time, comment, config } = store.current();
    expect(config.layer7.length).toBeGreaterThan(0);
    expect(await readFile(snapshotFile(2), 'utf8')).toBe(
      `${JSON.stringify({ format: 1, version, author, time, comment, config })}\n`,
    );
  });

  it('is where readers stop: open and get read the snapshot and the deltas after it; older versions replay as before', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 5);
    await store.close();
    await commitUpTo(store, 7);
    await store.close();
    expect(await snapshotNames()).toEqual([name(5)]);

    const fresh = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    expect(fresh.current().version).toBe(7);
    expect(fresh.current().config).toEqual(expectedConfig(7));
    const read: string[] = [];
    expect((await fresh.get(6, (file) => read.push(file))).config).toEqual(expectedConfig(6));
    expect(read).toEqual([name(6), `snapshots/${name(5)}`]);
    // Before the snapshot, the walk goes back to the whole version 2 as it did.
    read.length = 0;
    expect((await fresh.get(4, (file) => read.push(file))).config).toEqual(expectedConfig(4));
    expect(read).toEqual([name(4), name(3), name(2)]);

    // Opening reads the snapshot and the deltas after it: the seal it writes after a full check names that chain.
    await rm(join(dir, SEAL_FILE));
    const reopened = await ConfigStore.open(dir);
    expect(await readSealFile()).toEqual({ schema: schemaFingerprint(), version: 7, digest: await chainFrom(5, 7) });

    // History, diff and rollback across the snapshot.
    expect((await reopened.history({ limit: 10 })).map((v) => v.comment)).toEqual([
      'w7',
      'w6',
      'w5',
      'w4',
      'w3',
      'w2',
      'factory defaults',
    ]);
    expect(await reopened.diff(3, 7)).toEqual(diffConfigs(expectedConfig(3), expectedConfig(7)));
    expect((await reopened.diff(4, 6)).length).toBeGreaterThan(0);
    const rolled = await reopened.rollback({ to: 3, baseVersion: 7, author: 'alice' });
    expect(rolled.version.config).toEqual(expectedConfig(3));
    expect((await ConfigStore.open(dir)).current().config).toEqual(expectedConfig(3));
  });

  it('ignores a snapshot that is garbage, names another version or another format', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 5);
    await store.close();
    await commitUpTo(store, 6);
    await store.close();
    const good = await readFile(snapshotFile(5), 'utf8');
    const forged = [
      'garbage \u0000 bytes',
      good.slice(0, 1000),
      good.replace('"version":5', '"version":4'),
      good.replace('"format":1', '"format":2'),
      good.replace(/"config":.*$/s, '"config":[]}\n'),
    ];
    for (const bytes of forged) {
      await writeFile(snapshotFile(5), bytes);
      const reopened = await ConfigStore.open(dir);
      expect(reopened.current().version).toBe(6);
      expect(reopened.current().config).toEqual(expectedConfig(6));
      const read: string[] = [];
      expect((await reopened.get(5, (file) => read.push(file))).config).toEqual(expectedConfig(5));
      expect(read).toEqual([name(5), name(4), name(3), name(2)]);
    }
    // A snapshot of the head itself, unusable: the head comes from the deltas.
    await commitUpTo(store, 8);
    await store.close();
    expect(await snapshotNames()).toEqual([name(5), name(8)]);
    await writeFile(snapshotFile(8), '{"format":1,"version":8');
    expect((await ConfigStore.open(dir)).current().config).toEqual(expectedConfig(8));
  });

  it('seals the chain that starts at the snapshot, so that the next open skips the full check', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 7);
    await store.close();
    expect(await snapshotNames()).toEqual([name(5)]);
    expect(await readSealFile()).toEqual({ schema: schemaFingerprint(), version: 7, digest: await chainFrom(5, 7) });

    // Proof that open trusts that chain: a snapshot made invalid, with the seal recomputed
    // over it, opens; only the seal can let this configuration through.
    const text = await readFile(snapshotFile(5), 'utf8');
    const invalid = text.replace('"config":{', '"config":{"bogus":true,');
    await writeFile(snapshotFile(5), invalid);
    const seal = await readSealFile();
    await writeFile(join(dir, SEAL_FILE), JSON.stringify({ ...seal, digest: await chainFrom(5, 7) }));
    const trusted = await ConfigStore.open(dir);
    expect((trusted.current().config as unknown as { bogus?: boolean }).bogus).toBe(true);
    // Without the seal the same files get the full check.
    await rm(join(dir, SEAL_FILE));
    await expect(ConfigStore.open(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('keeps the seal right when commits are made while a snapshot is being written', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 5);
    // Version 5 makes a snapshot due; three more commits are queued before it starts.
    let raw: ApplianceConfigInput = store.current().config;
    const queued = [6, 7, 8].map((v) => {
      raw = deltaChange(raw, v);
      return store.commit({ config: raw, baseVersion: v - 1, author: 'alice', comment: `w${v}` });
    });
    await Promise.all(queued);
    await store.close();
    expect(store.current().version).toBe(8);
    // The snapshot is of the head when it began, before the queued commits were stored.
    const snapshots = await snapshotNames();
    expect(snapshots).toEqual([name(5)]);
    expect(await readSealFile()).toEqual({ schema: schemaFingerprint(), version: 8, digest: await chainFrom(5, 8) });
    const reopened = await ConfigStore.open(dir);
    expect(reopened.current().config).toEqual(expectedConfig(8));
    // The next commit is 3 past the snapshot: the next snapshot is of it.
    await commitUpTo(store, 9);
    await store.close();
    expect(await snapshotNames()).toEqual([name(5), name(9)]);
    expect(await readSealFile()).toMatchObject({ version: 9, digest: await chainFrom(9, 9) });
  });

  it('removes temporary snapshot files at open, and a snapshot newer than every version', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 5);
    await store.close();
    await writeFile(join(dir, 'snapshots', `${name(6)}.123.abcd.tmp`), '{"format":1,"vers');
    await writeFile(snapshotFile(9), await readFile(snapshotFile(5)));
    const reopened = await ConfigStore.open(dir);
    expect(reopened.current().version).toBe(5);
    expect(await snapshotNames()).toEqual([name(5)]);
  });

  it('a snapshot that cannot be written changes nothing for the commits, and a later commit writes it', async () => {
    const store = await ConfigStore.open(dir, { now, snapshotEvery: 3 });
    await commitUpTo(store, 4);
    // A file where the directory was: every snapshot write fails.
    await rm(join(dir, 'snapshots'), { recursive: true });
    await writeFile(join(dir, 'snapshots'), '');
    await commitUpTo(store, 6);
    await store.close();
    expect(store.current().version).toBe(6);
    // The seal still names the chain from the whole version 2.
    let digest: string | undefined;
    for (let v = 2; v <= 6; v++) digest = chainDigest(digest, name(v), await readFile(join(dir, 'versions', name(v))));
    expect(await readSealFile()).toEqual({ schema: schemaFingerprint(), version: 6, digest });
    await rm(join(dir, 'snapshots'));
    await mkdir(join(dir, 'snapshots'));
    await commitUpTo(store, 7);
    await store.close();
    expect(await snapshotNames()).toEqual([name(7)]);
    expect((await ConfigStore.open(dir)).current().config).toEqual(expectedConfig(7));
  });

  it('refuses a snapshot interval that is not a positive integer', async () => {
    await expect(ConfigStore.open(dir, { snapshotEvery: 0 })).rejects.toMatchObject({
      code: 'STORE_INVALID_ARGUMENT',
      field: 'snapshotEvery',
    });
  });
});
