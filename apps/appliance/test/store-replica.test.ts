import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError, ConfigStore } from '../src/index.js';
import { sampleConfig } from './fixtures/sample-config.js';

let active: string;
let passive: string;
let clock: number;
const now = () => new Date(Date.UTC(2026, 0, 1) + clock++ * 1000);

beforeEach(async () => {
  active = await mkdtemp(join(tmpdir(), 'sluice-replica-a-'));
  passive = await mkdtemp(join(tmpdir(), 'sluice-replica-b-'));
  clock = 0;
});
afterEach(async () => {
  await rm(active, { recursive: true, force: true });
  await rm(passive, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ApplianceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  return error as ApplianceError;
}

describe('ConfigStore.acceptReplica', () => {
  it('stores the peer version under its number, author, time and comment, durably and audited', async () => {
    const a = await ConfigStore.open(active, { now });
    const b = await ConfigStore.open(passive, { now });
    const { version } = await a.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice', comment: 'farm' });
    const stored = await b.acceptReplica(version, 'lb1');
    expect(stored).toEqual(version);
    expect(b.current()).toEqual(version);
    const reopened = await ConfigStore.open(passive, { now });
    expect(reopened.current()).toEqual(version);
    const file = JSON.parse(await readFile(join(passive, 'versions', '000000000002.json'), 'utf8'));
    expect(file).toMatchObject({ version: 2, author: 'alice', comment: 'farm', time: version.time });
    const audit = await reopened.auditLog();
    expect(audit.at(-1)).toMatchObject({
      action: 'replicate',
      outcome: 'committed',
      author: 'alice',
      baseVersion: 1,
      version: 2,
      comment: 'replicated from lb1',
    });
    // The replica is audited once: reopening does not add a "recovered" entry.
    expect(audit.filter((entry) => entry.version === 2)).toHaveLength(1);
  });

  it('never overwrites a newer or equal version (HA_STALE_VERSION) and leaves the store untouched', async () => {
    const a = await ConfigStore.open(active, { now });
    const b = await ConfigStore.open(passive, { now });
    const two = (await a.commit({ config: sampleConfig(), baseVersion: 1, author: 'alice' })).version;
    await b.acceptReplica(two, 'lb1');
    const auditBefore = await b.auditLog();
    const equal = await rejection(b.acceptReplica(two, 'lb1'));
    expect(equal).toMatchObject({ code: 'HA_STALE_VERSION', field: 'version' });
    const older = await rejection(b.acceptReplica(await a.get(1), 'lb1'));
    expect(older.code).toBe('HA_STALE_VERSION');
    expect(b.current()).toEqual(two);
    expect(await b.auditLog()).toEqual(auditBefore);
  });

  it('a newer version after a gap wins; an invalid one is refused with its issues', async () => {
    const a = await ConfigStore.open(active, { now });
    const b = await ConfigStore.open(passive, { now });
    let head = a.current();
    for (let i = 0; i < 3; i++) {
      head = (await a.commit({ config: sampleConfig(), baseVersion: head.version, author: 'alice', record: true }))
        .version;
    }
    await b.acceptReplica(await a.get(2), 'lb1');
    await b.acceptReplica(await a.get(3), 'lb1');
    await b.acceptReplica(head, 'lb1');
    expect(b.current().version).toBe(4);
    expect((await b.history()).map((v) => v.version)).toEqual([4, 3, 2, 1]);
    const broken = { ...head, version: 5, config: { ...head.config, layer4: [{ label: 'x' }] } };
    const error = await rejection(b.acceptReplica(broken as never, 'lb1'));
    expect(error.code).toBe('CONFIG_REJECTED');
    const badAuthor = await rejection(b.acceptReplica({ ...head, version: 5, author: 'a\nb' }, 'lb1'));
    expect(badAuthor).toMatchObject({ code: 'STORE_INVALID_ARGUMENT', field: 'author' });
    const badFrom = await rejection(b.acceptReplica({ ...head, version: 5 }, 'lb1\n{"forged":1}'));
    expect(badFrom).toMatchObject({ code: 'STORE_INVALID_ARGUMENT', field: 'from' });
    const badTime = await rejection(b.acceptReplica({ ...head, version: 5, time: 'yesterday' }, 'lb1'));
    expect(badTime).toMatchObject({ code: 'STORE_INVALID_ARGUMENT', field: 'time' });
    expect(b.current().version).toBe(4);
  });
});
