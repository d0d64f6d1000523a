import { mkdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterControl } from '../../src/cluster/control.js';
import { drainFile } from '../../src/cluster/hold-file.js';
import { ApplianceError } from '../../src/errors.js';
import { replicaKey, signRequest } from '../../src/ha/replica-protocol.js';
import { defaultConfig } from '../../src/model/schema.js';
import { FakeAdminStates } from '../ha/fakes.js';
import {
  bgpOf,
  ClusterEngine,
  ClusterStore,
  clusterConfig,
  startCluster,
  type TestCluster,
  type TestNode,
} from './fixture.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const node = (name: string): TestNode => {
  const found = cluster?.nodes[name];
  if (found === undefined) throw new Error(`no node ${name}`);
  return found;
};

/** A follower's engine runs what its store holds (the commit pipeline's part, done by hand here). */
const applyAll = () => {
  for (const name of ['lb1', 'lb2', 'lb3']) node(name).engine.version = node(name).store.current().version;
};

describe('ECMP cluster: the configuring node and its followers', () => {
  it('gives each node its role from cluster.nodes and the node name; only the configuring node takes edits', async () => {
    cluster = await startCluster();
    expect(node('lb1').cluster.status()).toMatchObject({ mode: 'ecmp', node: 'lb1', role: 'configuring' });
    expect(node('lb2').cluster.status()).toMatchObject({ role: 'follower', configuringNode: 'lb1' });
    expect(node('lb1').cluster.isEditable()).toBe(true);
    expect(node('lb2').cluster.isEditable()).toBe(false);
    expect(node('lb3').cluster.configuringNode()).toBe('lb1');
    expect(node('lb2').cluster.handlesReplicas()).toBe(true);
  });

  it('sends every version to every follower, and keeps what each one reports with the time it was heard', async () => {
    cluster = await startCluster();
    node('lb2').engine.bgp = bgpOf(['203.0.113.10'], ['203.0.113.11']);
    const lb1 = node('lb1');
    lb1.store.commit();
    const v3 = lb1.store.commit();
    cluster.clock.advance(1000);
    await lb1.cluster.committed(v3);
    expect(node('lb2').store.current().version).toBe(3);
    expect(node('lb3').store.current().version).toBe(3);

    // The followers apply; the configuring node learns it at its next hello.
    applyAll();
    cluster.clock.advance(1000);
    await lb1.cluster.sync();
    const rows = lb1.cluster.status().nodes;
    expect(rows.map((row) => [row.name, row.role, row.self, row.version, row.lag])).toEqual([
      ['lb1', 'configuring', true, 3, 0],
      ['lb2', 'follower', false, 3, 0],
      ['lb3', 'follower', false, 3, 0],
    ]);
    expect(rows[1]).toMatchObject({
      address: '192.0.2.12',
      lastHeard: new Date(cluster.clock.time).toISOString(),
      drained: false,
      bgp: { state: 'running', announced: 1, vips: 2, established: 1, sessions: 2 },
    });
    expect(rows[2]?.bgp).toBeUndefined();
    expect(rows[1]?.error).toBeUndefined();
  });

  it('drops a report it cannot read but keeps replicating (a newer follower may say more)', async () => {
    cluster = await startCluster();
    // biome-ignore lint/suspicious/noExplicitAny: a state this version does not know
    node('lb2').engine.bgp = { ...bgpOf(['203.0.113.10']), state: 'exploded' as any };
    const lb1 = node('lb1');
    const v2 = lb1.store.commit();
    await lb1.cluster.committed(v2);
    expect(node('lb2').store.current().version).toBe(2);
    const row = lb1.cluster.status().nodes[1];
    expect(row?.lastHeard).toBeDefined();
    expect(row?.version).toBeNull();
    expect(row?.error).toBeUndefined();
  });

  it('shows a follower it cannot reach with the reason, and the last report it had', async () => {
    cluster = await startCluster();
    const lb1 = node('lb1');
    await lb1.cluster.sync();
    const heard = lb1.cluster.status().nodes[2]?.lastHeard;
    expect(heard).toBeDefined();
    await new Promise<void>((resolve) => node('lb3').server.close(() => resolve()));
    cluster.clock.advance(5000);
    await lb1.cluster.sync();
    const row = lb1.cluster.status().nodes[2];
    expect(row?.error).toMatch(/unreachable/);
    expect(row?.lastHeard).toBe(heard);
  });

  it('withdraws a follower that stays behind for more than maxLagSeconds, and announces again once in step', async () => {
    cluster = await startCluster(clusterConfig((c) => (c.cluster.maxLagSeconds = 30)));
    applyAll();
    const lb1 = node('lb1');
    const lb2 = node('lb2');
    const v2 = lb1.store.commit();
    lb1.engine.version = 2;
    await lb1.cluster.committed(v2);
    // lb2 stored version 2 but its engine still runs 1: behind, but not for long yet.
    expect(lb2.store.current().version).toBe(2);
    cluster.clock.advance(30_000);
    await lb2.cluster.check();
    expect(lb2.engine.hold).toEqual({ drain: false });

    cluster.clock.advance(1_000);
    await lb2.cluster.check();
    expect(lb2.engine.hold.drain).toBe(false);
    expect(lb2.engine.hold.stale).toBe('behind: runs version 1, lb1 has 2');
    expect(lb2.cluster.status().nodes[1]).toMatchObject({ self: true, lag: 1, stale: lb2.engine.hold.stale });

    // The configuring node sees it in lb2's next reply.
    await lb1.cluster.sync();
    expect(lb1.cluster.status().nodes[1]).toMatchObject({ version: 1, lag: 1, stale: lb2.engine.hold.stale });

    lb2.engine.version = 2;
    await lb2.cluster.check();
    expect(lb2.engine.hold).toEqual({ drain: false });
    expect(lb2.cluster.status().nodes[1]?.stale).toBeUndefined();
  });

  it("leaves a failed apply to the engine: its BGP part withdraws, the cluster's hold stays as the lag says", async () => {
    cluster = await startCluster();
    applyAll();
    const lb3 = node('lb3');
    lb3.engine.parts = [{ part: 'layer4', state: 'failed', detail: 'ipvsadm: invalid argument' }];
    await lb3.cluster.check();
    expect(lb3.engine.hold.stale).toBeUndefined();
  });

  it('keeps a follower that hears nothing from the configuring node serving', async () => {
    cluster = await startCluster();
    const lb2 = node('lb2');
    cluster.clock.advance(3_600_000);
    await lb2.cluster.check();
    expect(lb2.engine.hold).toEqual({ drain: false });
    expect(lb2.cluster.status().nodes[0]).toMatchObject({ name: 'lb1', role: 'configuring', version: null });
    expect(lb2.cluster.status().nodes[0]?.lastHeard).toBeUndefined();
  });

  it('drains a node for itself, keeps the drain across a restart, and undrains it', async () => {
    cluster = await startCluster();
    const lb3 = node('lb3');
    const drained = await lb3.cluster.drain('alice');
    expect(drained.hold).toEqual({ drain: true });
    expect(lb3.engine.hold).toEqual({ drain: true });
    expect(JSON.parse(await readFile(drainFile(lb3.dir), 'utf8'))).toMatchObject({ drain: true, author: 'alice' });
    // Only lb3: the others still announce.
    expect(node('lb2').engine.hold).toEqual({ drain: false });

    const again = await cluster.restart('lb3');
    expect(again.engine.hold).toEqual({ drain: true });
    await node('lb1').cluster.sync();
    expect(node('lb1').cluster.status().nodes[2]?.drained).toBe(true);

    await again.cluster.undrain('alice');
    expect(again.engine.hold).toEqual({ drain: false });
    expect(JSON.parse(await readFile(drainFile(again.dir), 'utf8')).drain).toBe(false);

    // A drain the node cannot record is refused with STORE_IO, and nothing changes.
    await mkdir(`${drainFile(again.dir)}.tmp`);
    const refused = await again.cluster.drain('alice').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplianceError);
    expect(refused).toMatchObject({
      code: 'STORE_IO',
      message: expect.stringMatching(/cannot record this node's drain/),
    });
    expect(again.engine.hold).toEqual({ drain: false });
    expect(JSON.parse(await readFile(drainFile(again.dir), 'utf8')).drain).toBe(false);
  });

  it('refuses a version signed by a node other than the configuring one', async () => {
    cluster = await startCluster();
    const lb3 = node('lb3');
    const body = Buffer.from('sealed');
    const key = replicaKey(clusterConfig().cluster?.key ?? '');
    const headers = signRequest({
      key,
      method: 'PUT',
      path: '/api/v1/ha/replica',
      node: 'lb2',
      body,
      now: cluster.clock.time,
    });
    const result = await lb3.cluster.handleReplica(body, headers);
    expect(result.status).toBe(401);
    expect(JSON.stringify(result.body)).toMatch(/signed by lb2, not by the peer lb1/);
  });

  it('reaches followers that still hold the old key when the version changes cluster.key', async () => {
    cluster = await startCluster();
    const lb1 = node('lb1');
    const v2 = lb1.store.commit(clusterConfig((c) => (c.cluster.key = 'a-new-cluster-key-0123')));
    await lb1.cluster.committed(v2);
    expect(node('lb2').store.current().version).toBe(2);
    expect(node('lb2').store.current().config.cluster?.key).toBe('a-new-cluster-key-0123');
    expect(lb1.cluster.status().nodes[1]?.error).toBeUndefined();
    // And from then on the new key is the one both hold.
    const v3 = lb1.store.commit();
    await lb1.cluster.committed(v3);
    expect(node('lb3').store.current().version).toBe(3);
  });

  it('takes a new follower into the table when a version lists it', async () => {
    cluster = await startCluster(clusterConfig((c) => c.cluster.nodes.pop()));
    const lb1 = node('lb1');
    expect(lb1.cluster.status().nodes.map((row) => row.name)).toEqual(['lb1', 'lb2']);
    const v2 = lb1.store.commit(clusterConfig());
    await lb1.cluster.committed(v2);
    expect(lb1.cluster.status().nodes.map((row) => row.name)).toEqual(['lb1', 'lb2', 'lb3']);
    expect(node('lb3').store.current().version).toBe(2);
  });
});

describe('outside an ECMP cluster', () => {
  it('is a pair: no table, edits taken, replicas left to the pair, the drain still kept', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-pair-'));
    const engine = new ClusterEngine();
    const control = createClusterControl({
      store: new ClusterStore(defaultConfig()),
      engine,
      adminStates: new FakeAdminStates(),
      dataDir: dir,
      nodeName: 'lb1',
      checkIntervalMs: 3_600_000,
      syncIntervalMs: 3_600_000,
    });
    try {
      await control.start();
      expect(control.status()).toEqual({
        mode: 'pair',
        node: 'lb1',
        configVersion: 1,
        hold: { drain: false },
        nodes: [],
      });
      expect(control.isEditable()).toBe(true);
      expect(control.handlesReplicas()).toBe(false);
      expect(control.configuringNode()).toBeUndefined();
      await control.drain();
      expect(engine.hold).toEqual({ drain: true });
    } finally {
      await control.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets a node that cluster.nodes does not list be edited (to fix a wrong node name)', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-stray-'));
    const control = createClusterControl({
      store: new ClusterStore(clusterConfig()),
      engine: new ClusterEngine(),
      adminStates: new FakeAdminStates(),
      dataDir: dir,
      nodeName: 'lb9',
    });
    try {
      expect(control.isEditable()).toBe(true);
      const status = control.status();
      expect(status.role).toBeUndefined();
      expect(status.nodes.every((row) => !row.self)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
