import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError, ConfigStore, diffConfigs } from '../src/index.js';
import { sampleConfig } from './fixtures/sample-config.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests reach into any path of a sample to change it
type Mutable = Record<string, any>;

let dir: string;
let clock: number;
const now = () => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
  clock = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<ApplianceError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplianceError);
    return error as ApplianceError;
  }
  throw new Error('expected a rejection');
}

/** Every file of the data directory except the audit log, with its bytes. */
async function snapshot(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of await readdir(join(dir, 'versions'))) {
    files.set(name, await readFile(join(dir, 'versions', name), 'base64'));
  }
  return files;
}

describe('ConfigStore', () => {
  it('starts a new store at version 1, the factory default, and reopens it', async () => {
    const store = await ConfigStore.open(dir, { now });
    expect(store.current()).toMatchObject({ version: 1, author: 'system', comment: 'factory defaults' });
    expect(store.current().config.layer4).toEqual([]);
    expect(await readdir(join(dir, 'versions'))).toEqual(['000000000001.json']);
    const again = await ConfigStore.open(dir, { now });
    expect(again.current()).toEqual(store.current());
    expect(await again.auditLog()).toHaveLength(1);
  });

  it('stores each change as a new version with author, time and comment, and lists the history', async () => {
    const store = await ConfigStore.open(dir, { now });
    const first = await store.commit({
      config: sampleConfig(),
      baseVersion: 1,
      author: 'alice',
      comment: 'first farm',
    });
    expect(first.version).toMatchObject({
      version: 2,
      author: 'alice',
      comment: 'first farm',
      time: '2026-01-01T00:00:01.000Z',
    });
    expect(first.warnings.map((w) => w.code)).toEqual(['CONFIG_DR_ARP', 'CONFIG_NAT_GATEWAY']);
    const changed = sampleConfig() as Mutable;
    changed.layer4[0].realServers[1].weight = 5;
    const second = await store.commit({ config: changed, baseVersion: 2, author: 'bob' });
    expect(second.version.version).toBe(3);
    expect(second.changes).toEqual([
      { path: 'layer4["web-dr"].realServers["bravo_server"].weight', op: 'changed', before: 2, after: 5 },
    ]);
    expect(store.current().config.layer4[0]?.realServers[1]?.weight).toBe(5);
    // The store's copy cannot be changed behind its back.
    expect(() => {
      (store.current().config.layer4[0] as Mutable).label = 'changed';
    }).toThrow(TypeError);

    expect(await store.history()).toEqual([
      { version: 3, author: 'bob', time: '2026-01-01T00:00:02.000Z', comment: '' },
      { version: 2, author: 'alice', time: '2026-01-01T00:00:01.000Z', comment: 'first farm' },
      { version: 1, author: 'system', time: '2026-01-01T00:00:00.000Z', comment: 'factory defaults' },
    ]);
    expect((await store.history({ limit: 1, before: 3 })).map((v) => v.version)).toEqual([2]);
    // The files are plain JSON, one per version, readable with cat.
    const file = JSON.parse(await readFile(join(dir, 'versions', '000000000003.json'), 'utf8'));
    expect(file).toMatchObject({ format: 1, version: 3, author: 'bob' });
    const reopened = await ConfigStore.open(dir, { now });
    expect(reopened.current()).toEqual(store.current());
    expect((await reopened.get(2)).config).toEqual((await store.get(2)).config);
  });

  it('diffs two versions by path, matching labelled objects by label', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    const next = sampleConfig() as Mutable;
    next.layer4[0].realServers.shift();
    next.layer4[0].scheduler = 'rr';
    next.layer7.push({ label: 'new-l7', vip: '203.0.113.5', ports: [80] });
    delete next.heartbeat;
    await store.commit({ config: next, baseVersion: 2, author: 'alice' });
    const diff = await store.diff(2, 3);
    expect(diff.map((d) => `${d.op} ${d.path}`)).toEqual([
      'changed layer4["web-dr"].scheduler',
      'removed layer4["web-dr"].realServers["alpha_server"]',
      'added layer7["new-l7"]',
      'removed heartbeat',
    ]);
    expect(diff[0]).toEqual({ path: 'layer4["web-dr"].scheduler', op: 'changed', before: 'wlc', after: 'rr' });
    expect(await store.diff(3, 3)).toEqual([]);
    const fromDefault = await store.diff(1, 2);
    expect(fromDefault.map((d) => d.path)).toContain('layer4["web-dr"]');
    expect((await rejection(store.diff(1, 9))).code).toBe('STORE_NOT_FOUND');
    // Unlabelled lists (ports) change as a whole.
    expect(diffConfigs({ ports: [80] }, { ports: [80, 443] })).toEqual([
      { path: 'ports', op: 'changed', before: [80], after: [80, 443] },
    ]);
    expect(diffConfigs({ ports: [80, { from: 1, to: 2 }] }, { ports: [80, { from: 1, to: 2 }] })).toEqual([]);
    // Unlabelled objects (URL rules, whose order matters) by index.
    expect(
      diffConfigs(
        { urlRules: [{ match: 'host', value: 'a' }] },
        {
          urlRules: [
            { match: 'host', value: 'b' },
            { match: 'host', value: 'c' },
          ],
        },
      ),
    ).toEqual([
      { path: 'urlRules[0].value', op: 'changed', before: 'a', after: 'b' },
      { path: 'urlRules[1]', op: 'added', after: { match: 'host', value: 'c' } },
    ]);
  });

  it('rolls back by storing an old version again as a new one', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    await store.commit({ config: {}, baseVersion: 2, author: 'mallory', comment: 'oops' });
    const result = await store.rollback({ to: 2, baseVersion: 3, author: 'alice' });
    expect(result.version).toMatchObject({ version: 4, author: 'alice', comment: 'rollback to version 2' });
    // Everything comes back but the users, kept as they are (here none): a rollback never
    // brings back a removed user or an old password.
    const old = (await store.get(2)).config;
    expect(old.administration.users).not.toEqual([]);
    expect(result.version.config).toEqual({ ...old, administration: { ...old.administration, users: [] } });
    expect((await store.diff(2, 4)).map((change) => change.path)).toEqual(
      old.administration.users.map((user) => `administration.users["${user.username}"]`),
    );
    expect((await store.history()).map((v) => v.version)).toEqual([4, 3, 2, 1]);
    const audit = await store.auditLog({ limit: 1 });
    expect(audit[0]).toMatchObject({ action: 'rollback', outcome: 'committed', version: 4, rollbackTo: 2 });
    expect((await rejection(store.rollback({ to: 99, baseVersion: 4, author: 'alice' }))).code).toBe('STORE_NOT_FOUND');
    expect((await rejection(store.rollback({ to: 1, baseVersion: 3, author: 'alice' }))).code).toBe('STORE_CONFLICT');
    expect(store.current().version).toBe(4);
  });

  it('makes no version for a commit that changes nothing, unless asked to record it', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    const heads: number[] = [];
    store.onCommitted(({ version }) => heads.push(version.version));
    const files = await snapshot();
    const audit = (await store.auditLog()).length;
    const same = await store.commit({ config: sampleConfig(), baseVersion: 2, author: 'alice' });
    expect(same).toMatchObject({ unchanged: true, changes: [] });
    expect(same.version.version).toBe(2);
    expect(await snapshot()).toEqual(files);
    expect((await store.auditLog()).length).toBe(audit);
    // A stale base is a conflict whether or not anything would change.
    expect((await rejection(store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' }))).code).toBe(
      'STORE_CONFLICT',
    );
    const recorded = await store.commit({ config: sampleConfig(), baseVersion: 2, author: 'alice', record: true });
    expect(recorded.unchanged).toBeUndefined();
    expect(recorded.version.version).toBe(3);
    expect(heads).toEqual([3]);
  });

  it('tells onCommitted listeners of every new head, in order, whoever stored it, and nothing of a refusal', async () => {
    const store = await ConfigStore.open(dir, { now });
    const heard: string[] = [];
    const off = store.onCommitted(({ version, action }) => {
      // Heard once the version is the head (the pipeline reads the store from here).
      expect(store.current()).toBe(version);
      heard.push(`${action} ${version.version}`);
    });
    store.onCommitted(() => {
      throw new Error('a faulty listener');
    });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    await rejection(store.commit({ config: { layer4: 'no' }, baseVersion: 2, author: 'alice' }));
    await rejection(store.commit({ config: {}, baseVersion: 1, author: 'alice' }));
    await store.rollback({ to: 1, baseVersion: 2, author: 'alice' });
    const peer = await ConfigStore.open(join(dir, 'peer'), { now });
    const replica = await peer.commit({ config: sampleConfig(), baseVersion: 1, author: 'bob' });
    const other = await ConfigStore.open(join(dir, 'other'), { now });
    other.onCommitted(({ version, action }) => heard.push(`other ${action} ${version.version}`));
    await other.acceptReplica(replica.version, 'lb1');
    expect(heard).toEqual(['commit 2', 'rollback 3', 'other replicate 2']);
    off();
    await store.commit({ config: {}, baseVersion: 3, author: 'alice' });
    expect(heard).toHaveLength(3);
  });

  it('refuses a change based on a stale version with STORE_CONFLICT', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    const error = await rejection(store.commit({ config: {}, baseVersion: 1, author: 'bob' }));
    expect(error.code).toBe('STORE_CONFLICT');
    expect(error.field).toBe('baseVersion');
    expect(error.message).toMatch(/based on version 1 but the current version is 2/);
    // Two writers racing from the same base: exactly one wins.
    const results = await Promise.allSettled([
      store.commit({ config: {}, baseVersion: 2, author: 'a' }),
      store.commit({ config: {}, baseVersion: 2, author: 'b' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(store.current()).toMatchObject({ version: 3, author: 'a' });
  });

  it('refuses a version another process stored first, without overwriting it', async () => {
    const mine = await ConfigStore.open(dir, { now });
    const theirs = await ConfigStore.open(dir, { now });
    await theirs.commit({ config: sampleConfig(), baseVersion: 1, author: 'theirs' });
    const error = await rejection(mine.commit({ config: {}, baseVersion: 1, author: 'mine' }));
    expect(error.code).toBe('STORE_CONFLICT');
    expect((await mine.get(2)).author).toBe('theirs');
    expect(mine.current().version).toBe(2);
    await mine.commit({ config: {}, baseVersion: 2, author: 'mine' });
    expect((await ConfigStore.open(dir)).current()).toMatchObject({ version: 3, author: 'mine' });
  });

  it('leaves the stored versions byte-for-byte unchanged when a change is rejected, and audits it', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    const before = await snapshot();
    const bad = sampleConfig() as Mutable;
    bad.layer4[0].realServers[0].port = 8080;
    const invalid = await rejection(store.commit({ config: bad, baseVersion: 2, author: 'bob', comment: 'translate' }));
    expect(invalid.code).toBe('CONFIG_REJECTED');
    expect(invalid.issues.map((i) => [i.code, i.field])).toEqual([
      ['CONFIG_PORT_TRANSLATION', 'layer4[0].realServers[0].port'],
    ]);
    const injected = await rejection(
      store.commit({
        config: { layer4: [{ label: 'x\nbackend evil', vip: '192.0.2.1', ports: [80] }] },
        baseVersion: 2,
        author: 'bob',
      }),
    );
    expect(injected.issues.map((i) => [i.code, i.field])).toEqual([['CONFIG_INVALID', 'layer4[0].label']]);
    const stale = await rejection(store.commit({ config: {}, baseVersion: 1, author: 'carol' }));
    expect(stale.code).toBe('STORE_CONFLICT');
    const badAuthor = await rejection(
      store.commit({ config: {}, baseVersion: 2, author: 'eve\n{"outcome":"committed"}' }),
    );
    expect([badAuthor.code, badAuthor.field]).toEqual(['STORE_INVALID_ARGUMENT', 'author']);
    const badComment = await rejection(store.commit({ config: {}, baseVersion: 2, author: 'eve', comment: 'a\rb' }));
    expect([badComment.code, badComment.field]).toEqual(['STORE_INVALID_ARGUMENT', 'comment']);

    expect(await snapshot()).toEqual(before);
    expect(store.current().version).toBe(2);
    expect((await ConfigStore.open(dir)).current().version).toBe(2);

    const audit = await store.auditLog();
    expect(audit.map((e) => [e.author, e.outcome, e.code ?? e.version])).toEqual([
      ['system', 'committed', 1],
      ['alice', 'committed', 2],
      ['bob', 'rejected', 'CONFIG_REJECTED'],
      ['bob', 'rejected', 'CONFIG_REJECTED'],
      ['carol', 'rejected', 'STORE_CONFLICT'],
      ['eve\n{"outcome":"committed"}', 'rejected', 'STORE_INVALID_ARGUMENT'],
      ['eve', 'rejected', 'STORE_INVALID_ARGUMENT'],
    ]);
    expect(audit[2]).toMatchObject({ comment: 'translate', baseVersion: 2, field: 'layer4[0].realServers[0].port' });
    expect(audit[1]?.changed).toContain('layer4["web-dr"]');
    // One JSON object per line: a hostile author cannot forge an entry.
    const lines = (await readFile(join(dir, 'audit.log'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('cleans what a crash leaves: temporary files, a torn audit line, a missing audit entry', async () => {
    const store = await ConfigStore.open(dir, { now });
    await store.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' });
    await writeFile(join(dir, 'versions', '000000000003.json.123.abcd.tmp'), '{"format":1,"vers');
    // A version whose audit line was cut off mid-write.
    const lines = (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n');
    await writeFile(join(dir, 'audit.log'), `${lines[0]}\n${lines[1]?.slice(0, 20)}`);
    const reopened = await ConfigStore.open(dir, { now });
    expect(reopened.current().version).toBe(2);
    expect(await readdir(join(dir, 'versions'))).toEqual(['000000000001.json', '000000000002.json']);
    const audit = await reopened.auditLog();
    expect(audit.map((e) => [e.version, e.recovered])).toEqual([
      [1, undefined],
      [2, true],
    ]);
    expect(audit[1]).toMatchObject({ author: 'alice', outcome: 'committed' });
  });

  it('says which file is corrupt instead of opening a store it cannot trust', async () => {
    await ConfigStore.open(dir, { now });
    await writeFile(join(dir, 'versions', '000000000002.json'), '{"format":1,');
    const error = await rejection(ConfigStore.open(dir));
    expect(error.code).toBe('STORE_CORRUPT');
    expect(error.field).toBe(join(dir, 'versions', '000000000002.json'));
  });

  it('refuses to open a store whose current version is not a valid configuration', async () => {
    await ConfigStore.open(dir, { now });
    const file = join(dir, 'versions', '000000000002.json');
    const edited = {
      format: 1,
      version: 2,
      author: 'vi',
      time: '2026-01-01T00:00:00.000Z',
      comment: '',
      config: { layer4: 'x' },
    };
    await writeFile(file, JSON.stringify(edited));
    const error = await rejection(ConfigStore.open(dir));
    expect([error.code, error.field]).toEqual(['STORE_CORRUPT', file]);
  });

  it('reports an unusable data directory as STORE_IO', async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, '');
    const error = await rejection(ConfigStore.open(file));
    expect(error.code).toBe('STORE_IO');
    expect(error.cause).toBeDefined();
  });
});
