import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecmpConfig, type Mutable } from '../fixtures/ecmp-config.js';
import type { Client, Harness } from './harness.js';
import { startHarness } from './harness.js';

let h: Harness;
let admin: Client;

beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
});

afterEach(async () => {
  await h.close();
});

/** Makes the harness's configuration an ECMP cluster (the harness's node is `lb1`). */
async function becomeCluster(change?: (cluster: Mutable) => void): Promise<void> {
  const ecmp = ecmpConfig();
  change?.(ecmp.cluster);
  const current = h.store.current();
  await h.store.commit({
    config: { ...current.config, cluster: ecmp.cluster, layer4: ecmp.layer4 },
    baseVersion: current.version,
    author: 'admin',
  });
}

describe('GET /api/v1/cluster and the drain of this node', () => {
  it('answers a pair with its mode and no table', async () => {
    const answer = await admin.get('/api/v1/cluster');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ mode: 'pair', node: 'lb1', hold: { drain: false }, nodes: [] });
    expect(answer.body.role).toBeUndefined();
  });

  it('lists every node of an ECMP cluster with its role, this node marked', async () => {
    await becomeCluster();
    const answer = await admin.get('/api/v1/cluster');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ mode: 'ecmp', node: 'lb1', role: 'configuring', configuringNode: 'lb1' });
    expect(answer.body.nodes.map((row: Mutable) => [row.name, row.address, row.role, row.self])).toEqual([
      ['lb1', '192.0.2.11', 'configuring', true],
      ['lb2', '192.0.2.12', 'follower', false],
      ['lb3', '2001:db8::13', 'follower', false],
    ]);
    // Nothing heard from the followers yet.
    expect(answer.body.nodes[1]).toEqual({
      name: 'lb2',
      address: '192.0.2.12',
      role: 'follower',
      self: false,
      version: null,
    });
  });

  it('refuses edits on a follower with 409 CLUSTER_FOLLOWER naming the configuring node, and stores nothing', async () => {
    await becomeCluster((cluster) => cluster.nodes.reverse());
    const base = h.store.current().version;
    for (const answer of [
      await admin.post(`/api/v1/health-checks?version=${base}`, { label: 'hc', type: 'ping' }),
      await admin.put(`/api/v1/config?version=${base}`, {}),
      await admin.post('/api/v1/config/rollback', { to: 1, version: base }),
    ]) {
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('CLUSTER_FOLLOWER');
      expect(answer.body.error.message).toMatch(/edit the configuration on lb3/);
    }
    expect(h.store.current().version).toBe(base);
    expect((await admin.get('/api/v1/cluster')).body).toMatchObject({ role: 'follower', configuringNode: 'lb3' });
  });

  it('drains and undrains this node for an admin, and refuses anyone not logged in', async () => {
    await becomeCluster();
    const drained = await admin.post('/api/v1/cluster/drain');
    expect(drained.status).toBe(200);
    expect(drained.body.hold).toEqual({ drain: true });
    expect(drained.body.nodes[0]).toMatchObject({ name: 'lb1', drained: true });
    expect(h.engine.hold).toEqual({ drain: true });

    expect((await h.client().post('/api/v1/cluster/drain')).status).toBe(401);
    expect((await h.client().get('/api/v1/cluster')).status).toBe(401);

    const undrained = await admin.post('/api/v1/cluster/undrain');
    expect(undrained.status).toBe(200);
    expect(h.engine.hold).toEqual({ drain: false });
  });

  it('shows the cluster key as a secret in the history', async () => {
    await becomeCluster();
    const version = h.store.current().version;
    const answer = await admin.get(`/api/v1/config/versions/${version}`);
    expect(answer.status).toBe(200);
    expect(answer.body.config.cluster.key).toBe('(redacted)');
    expect(answer.text).not.toContain('cluster-key-0123456789');
  });
});

describe('the order of an mh service’s real servers in an ECMP cluster', () => {
  const orderWarnings = (body: Mutable) =>
    (body.warnings as Mutable[]).filter((w) => w.code === 'CONFIG_MH_ORDER').map((w) => w.field);
  const servers = (...names: [string, string][]) => names.map(([label, address]) => ({ label, address }));

  it('warns a write that puts a real server before another (running nodes add it last); not one that adds at the end or removes', async () => {
    await becomeCluster();
    let version = h.store.current().version;
    const write = async (realServers: Mutable[]) => {
      const answer = await admin.put(`/api/v1/layer4/services/web?version=${version}`, {
        ...ecmpConfig().layer4[0],
        realServers,
      });
      expect(answer.status).toBe(200);
      version = answer.body.version;
      return orderWarnings(answer.body);
    };
    const rs = (n: number): [string, string] => [`rs${n}`, `198.51.100.${n}`];
    // At the end, through the real-server collection and through the service: the same list on every node.
    const added = await admin.post(`/api/v1/layer4/services/web/real-servers?version=${version}`, {
      label: 'rs4',
      address: '198.51.100.4',
    });
    expect(added.status).toBe(201);
    expect(orderWarnings(added.body)).toEqual([]);
    version = added.body.version;
    expect(await write(servers(rs(1), rs(2), rs(3), rs(4), rs(5)))).toEqual([]);
    expect(await write(servers(rs(1), rs(3), rs(4), rs(5)))).toEqual([]);
    // Before another, moved, or readdressed (IPVS knows address and port, so it is removed and added last).
    expect(await write(servers(rs(1), rs(6), rs(3), rs(4), rs(5)))).toEqual(['layer4[0].realServers']);
    expect(await write(servers(rs(3), rs(1), rs(6), rs(4), rs(5)))).toEqual(['layer4[0].realServers']);
    expect(await write(servers(rs(3), ['rs1', '198.51.100.7'], rs(6), rs(4), rs(5)))).toEqual([
      'layer4[0].realServers',
    ]);
    // The write is stored all the same: it is advice.
    expect(h.store.current().config.layer4[0]?.realServers.map((r) => r.label)).toEqual([
      'rs3',
      'rs1',
      'rs6',
      'rs4',
      'rs5',
    ]);
  });

  it('says nothing of the order in a pair', async () => {
    const current = h.store.current();
    await h.store.commit({
      config: { ...current.config, layer4: ecmpConfig().layer4 },
      baseVersion: current.version,
      author: 'admin',
    });
    const version = h.store.current().version;
    const answer = await admin.put(`/api/v1/layer4/services/web?version=${version}`, {
      ...ecmpConfig().layer4[0],
      realServers: servers(['rs3', '198.51.100.3'], ['rs1', '198.51.100.1']),
    });
    expect(answer.status).toBe(200);
    expect(orderWarnings(answer.body)).toEqual([]);
  });
});
