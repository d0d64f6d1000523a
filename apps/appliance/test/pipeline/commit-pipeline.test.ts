import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminStates } from '../../src/admin-states/contract.js';
import { openAdminStates } from '../../src/admin-states/index.js';
import { ApplianceError } from '../../src/errors.js';
import type { ApplyReport } from '../../src/model/engine-status.js';
import type { LogRecord } from '../../src/model/log-record.js';
import { type CommitPipeline, createCommitPipeline } from '../../src/pipeline/index.js';
import { ConfigStore, type StoredVersion } from '../../src/store/config-store.js';
import { sampleConfig } from '../fixtures/sample-config.js';

/** An engine whose applies wait for the test and whose outcome the test chooses. */
class GatedEngine {
  asked: number[] = [];
  failWith: Error | undefined;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release(): void {
    this.open();
  }
  async apply(version: StoredVersion): Promise<ApplyReport> {
    this.asked.push(version.version);
    await this.gate;
    if (this.failWith) throw this.failWith;
    return { version: version.version, parts: [], changes: [], changeCount: 0 };
  }
}

class RecordingHa {
  calls: string[] = [];
  failWith: Error | undefined;
  /** While set, committed() waits for it (a replication round trip in flight). */
  gate: Promise<void> | undefined;
  async committed(version: StoredVersion): Promise<void> {
    this.calls.push(`committed ${version.version}`);
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
  }
  async adminStatesChanged(): Promise<void> {
    this.calls.push('admin states');
  }
}

let dir: string;
let store: ConfigStore;
let adminStates: AdminStates;
let engine: GatedEngine;
let ha: RecordingHa;
let records: Pick<LogRecord, 'channel' | 'level' | 'message' | 'fields'>[];
let pipeline: CommitPipeline;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-pipeline-'));
  store = await ConfigStore.open(dir);
  adminStates = await openAdminStates(dir);
  engine = new GatedEngine();
  ha = new RecordingHa();
  records = [];
  pipeline = createCommitPipeline({
    store,
    engine,
    ha,
    adminStates,
    logs: {
      write: (channel, level, message, fields) => {
        records.push({ channel, level, message, ...(fields ? { fields } : {}) });
        return { seq: records.length, time: '', channel, level, message };
      },
    },
  });
});
afterEach(async () => {
  pipeline.close();
  await rm(dir, { recursive: true, force: true });
});

const commit = async (comment: string) => {
  const base = store.current().version;
  return (await store.commit({ config: sampleConfig(), baseVersion: base, author: 'alice', comment, record: true }))
    .version;
};

describe('commit pipeline', () => {
  it('hands every stored version (commit, rollback, replica) to the engine and HA in commit order', async () => {
    const two = await commit('two');
    await store.rollback({ to: 1, baseVersion: 2, author: 'alice' });
    const peer = await ConfigStore.open(join(dir, 'peer'));
    for (let n = 1; n <= 3; n++) await peer.commit({ config: {}, baseVersion: n, author: 'bob', record: true });
    await store.acceptReplica(await peer.get(4), 'lb2');
    await pipeline.idle();
    expect(two.version).toBe(2);
    expect(engine.asked).toEqual([2, 3, 4]);
    expect(ha.calls).toEqual(['committed 2', 'committed 3', 'committed 4']);
    // The store's audit entries, in the log book's audit channel.
    expect(records.filter((r) => r.channel === 'audit').map((r) => r.fields?.action)).toEqual([
      'commit',
      'rollback',
      'replicate',
    ]);
  });

  it('a waiter gets the report of the first apply that holds its version, even one that ended before it asked', async () => {
    engine.hold();
    const two = await commit('two');
    const three = await commit('three');
    const waiting = pipeline.applied(two.version);
    engine.release();
    expect((await waiting).version).toBe(2);
    await pipeline.idle();
    // Asked after the apply of version 3 ended.
    expect((await pipeline.applied(three.version)).version).toBe(3);
    expect((await pipeline.applied(1)).version).toBe(3);
  });

  it('a failed apply rejects its waiters, also one that asks after it failed, and is logged', async () => {
    engine.failWith = new ApplianceError('ENGINE_APPLY_FAILED', 'ipvs said no');
    const two = await commit('two');
    await pipeline.idle();
    await expect(pipeline.applied(two.version)).rejects.toMatchObject({ code: 'ENGINE_APPLY_FAILED' });
    expect(records).toContainEqual({
      channel: 'system',
      level: 'error',
      message: 'applying configuration version 2 failed: ipvs said no',
      fields: { version: 2, code: 'ENGINE_APPLY_FAILED' },
    });
    // The next version applies: a waiter on it is answered.
    engine.failWith = undefined;
    const three = await commit('three');
    expect((await pipeline.applied(three.version)).version).toBe(3);
  });

  it('HA gets a burst once more with its newest version, not a round trip per commit', async () => {
    let release: () => void = () => undefined;
    ha.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = store.current().version;
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        store.commit({
          config: sampleConfig(),
          baseVersion: base + i,
          author: 'alice',
          comment: `burst ${i}`,
          record: true,
        }),
      ),
    );
    release();
    await pipeline.idle();
    // The first went at once; the rest waited for it and went as one, with the newest.
    expect(ha.calls).toEqual([`committed ${base + 1}`, `committed ${base + 4}`]);
    expect(engine.asked).toEqual([base + 1, base + 2, base + 3, base + 4]);
  });

  it('a failing HA is logged and does not hold the apply', async () => {
    ha.failWith = new Error('peer unreachable');
    const two = await commit('two');
    expect((await pipeline.applied(two.version)).version).toBe(2);
    await pipeline.idle();
    expect(records).toContainEqual({
      channel: 'heartbeat',
      level: 'error',
      message: 'replicating version 2 failed: peer unreachable',
      fields: { version: 2 },
    });
  });

  it('a burst of admin-state changes goes to HA once; nothing is heard after close()', async () => {
    const ref = { layer: 'layer4', service: 'web', server: 'alpha' } as const;
    await adminStates.replaceAll([
      { ...ref, state: 'offline', author: 'alice', time: '2026-01-01T00:00:00.000Z' },
      { ...ref, server: 'bravo', state: 'drain', author: 'alice', time: '2026-01-01T00:00:00.000Z' },
    ]);
    await pipeline.idle();
    expect(ha.calls).toEqual(['admin states']);
    pipeline.close();
    await adminStates.set(ref, 'online', 'alice');
    await commit('after close');
    await pipeline.idle();
    expect(ha.calls).toEqual(['admin states']);
    expect(engine.asked).toEqual([]);
  });
});
