import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { type Client, type Harness, layer4Service, startHarness } from './harness.js';

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
});
afterEach(() => h.close());

const v = () => h.store.current().version;

/** Each collection: its path, a valid new item, a valid replacement, and an invalid one. */
const collections = [
  {
    path: '/layer4/services',
    key: 'web',
    item: layer4Service('web'),
    replacement: { vip: '192.0.2.11', ports: [443], forwarding: 'nat' },
    invalid: { label: 'bad', vip: '192.0.2.300', ports: [80] },
  },
  {
    path: '/layer7/services',
    key: 'site',
    item: { label: 'site', vip: '198.51.100.10', ports: [80], realServers: [{ label: 'a', address: '198.51.100.21' }] },
    replacement: { vip: '198.51.100.10', ports: [8080], mode: 'tcp' },
    invalid: { label: 'bad', vip: '198.51.100.10', ports: [] },
  },
  {
    path: '/health-checks',
    key: 'hc',
    item: { label: 'hc', type: 'http', path: '/health' },
    replacement: { type: 'ping' },
    invalid: { label: 'x', type: 'gopher' },
  },
  {
    path: '/certificates',
    key: 'site',
    item: { label: 'site', file: '/etc/sluice/site.pem' },
    replacement: { file: '/etc/sluice/other.pem' },
    invalid: { label: 'x', file: 'relative.pem' },
  },
  {
    path: '/floating-ips',
    key: '192.0.2.50/24',
    item: { address: '192.0.2.50/24', interface: 'eth0' },
    replacement: { interface: 'eth1' },
    invalid: { address: '192.0.2.50' },
  },
];

describe('collections', () => {
  for (const c of collections) {
    it(`${c.path}: list, create, get, replace, delete, with versions`, async () => {
      const url = `/api/v1${c.path}`;
      const itemUrl = `${url}/${encodeURIComponent(c.key)}`;
      expect((await admin.get(url)).body.items).toEqual([]);
      const created = await admin.post(`${url}?version=${v()}`, c.item);
      expect(created.status, created.text).toBe(201);
      const version = created.body.version;
      expect(created.headers.get('etag')).toBe(`"${version}"`);
      expect(h.store.current().version).toBe(version);

      const got = await admin.get(itemUrl);
      expect(got.status).toBe(200);
      expect(got.body.item).toMatchObject(c.item);
      expect((await admin.get(url)).body.items).toHaveLength(1);

      const replaced = await admin.put(itemUrl, c.replacement, { 'if-match': `"${version}"` });
      expect(replaced.status, replaced.text).toBe(200);
      expect(replaced.body.version).toBe(version + 1);
      expect(replaced.body.item).toMatchObject(c.replacement);
      expect(replaced.body.changes.length).toBeGreaterThan(0);

      const stale = await admin.put(`${itemUrl}?version=${version}`, c.replacement);
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('STORE_CONFLICT');

      const bad = await admin.post(`${url}?version=${v()}`, c.invalid);
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe('CONFIG_REJECTED');
      expect(bad.body.error.issues.length).toBeGreaterThan(0);
      expect(bad.body.error.issues[0].field).toBeTypeOf('string');

      const deleted = await admin.delete(`${itemUrl}?version=${v()}`);
      expect(deleted.status).toBe(200);
      expect((await admin.get(itemUrl)).status).toBe(404);
      expect((await admin.delete(`${itemUrl}?version=${v()}`)).status).toBe(404);
    });
  }

  it('real servers of Layer 4 and Layer 7 services', async () => {
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web'));
    await admin.post(`/api/v1/layer7/services?version=${v()}`, { label: 'site', vip: '198.51.100.10', ports: [80] });
    for (const layer of ['layer4', 'layer7']) {
      const url = `/api/v1/${layer}/services/${layer === 'layer4' ? 'web' : 'site'}/real-servers`;
      const before = (await admin.get(url)).body.items.length;
      const made = await admin.post(`${url}?version=${v()}`, {
        label: 'charlie',
        address: '198.51.100.23',
        port: 8080,
      });
      expect(made.status, made.text).toBe(201);
      expect(made.body.item).toMatchObject({ label: 'charlie', weight: 1 });
      const changed = await admin.put(`${url}/charlie?version=${v()}`, { address: '198.51.100.24', weight: 5 });
      expect(changed.body.item).toMatchObject({ label: 'charlie', address: '198.51.100.24', weight: 5 });
      expect((await admin.get(`${url}/charlie`)).body.item.weight).toBe(5);
      expect((await admin.get(url)).body.items).toHaveLength(before + 1);
      expect((await admin.delete(`${url}/charlie?version=${v()}`)).status).toBe(200);
    }
    // A service PUT without realServers keeps them.
    const put = await admin.put(`/api/v1/layer4/services/web?version=${v()}`, {
      vip: '192.0.2.10',
      ports: [80],
      forwarding: 'nat',
      scheduler: 'rr',
    });
    expect(put.body.item.realServers).toHaveLength(2);
    expect(put.body.item.scheduler).toBe('rr');
    expect((await admin.get('/api/v1/layer4/services/nope/real-servers')).status).toBe(404);
    expect((await admin.get('/api/v1/layer4/services/web/real-servers/nope')).status).toBe(404);
    expect(
      (
        await admin.post(`/api/v1/layer4/services/nope/real-servers?version=${v()}`, {
          label: 'a',
          address: '192.0.2.1',
        })
      ).status,
    ).toBe(404);
  });

  it('a write answers with the warnings of what it wrote, and counts all', async () => {
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('one', '192.0.2.10'));
    const two = await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('two', '192.0.2.11'));
    expect(two.body.warnings).toEqual([expect.objectContaining({ code: 'CONFIG_NAT_GATEWAY', field: 'layer4[1]' })]);
    expect(two.body.warningsTotal).toBe(2);
    const server = await admin.put(`/api/v1/layer4/services/one/real-servers/alpha?version=${v()}`, {
      address: '198.51.100.21',
      port: 8080,
      weight: 3,
    });
    expect(server.body.warnings.map((w: { field: string }) => w.field)).toEqual(['layer4[0]']);
    const removed = await admin.delete(`/api/v1/layer4/services/two?version=${v()}`);
    expect(removed.body).toMatchObject({ warnings: [], warningsTotal: 1 });
  });

  it('a label with a newline gets the label error, not one about the comment it would be quoted in', async () => {
    const answer = await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web\nbackend evil'));
    expect(answer.status).toBe(422);
    expect(answer.body.error.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', field: 'layer4[0].label' });
  });

  it('a label in the body must match the URL', async () => {
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web'));
    const renamed = await admin.put(`/api/v1/layer4/services/web?version=${v()}`, { ...layer4Service('other') });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'label' });
  });

  it('semantic errors name the field (DR port translation, duplicate label)', async () => {
    const dr = await admin.post(`/api/v1/layer4/services?version=${v()}`, {
      ...layer4Service('web'),
      forwarding: 'dr',
    });
    expect(dr.status).toBe(422);
    expect(dr.body.error.issues.map((i: { code: string }) => i.code)).toContain('CONFIG_PORT_TRANSLATION');
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web'));
    const twice = await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web', '192.0.2.12'));
    expect(twice.body.error.issues[0]).toMatchObject({ code: 'CONFIG_DUPLICATE_LABEL', field: 'layer4[1].label' });
  });

  it('writes without a version are 428; a malformed version is 400', async () => {
    const none = await admin.post('/api/v1/health-checks', { label: 'hc', type: 'ping' });
    expect(none.status).toBe(428);
    expect(none.body.error).toMatchObject({ code: 'API_VERSION_REQUIRED', field: 'version' });
    for (const bad of ['abc', '-1', '0', '1.5', '99999999999999999999']) {
      const answer = await admin.post(`/api/v1/health-checks?version=${encodeURIComponent(bad)}`, {
        label: 'hc',
        type: 'ping',
      });
      expect(answer.status, bad).toBe(400);
    }
    expect(
      (await admin.post('/api/v1/health-checks', { label: 'hc', type: 'ping' }, { 'if-match': 'nope' })).status,
    ).toBe(400);
  });
});

describe('singletons', () => {
  it('ipvs: a new store says own; PUT all; DELETE leaves it absent, which means all', async () => {
    expect((await admin.get('/api/v1/ipvs')).body.item).toEqual({ ownership: 'own' });
    const all = await admin.put(`/api/v1/ipvs?version=${v()}`, { ownership: 'all' });
    expect(all.status, all.text).toBe(200);
    expect(all.body.item).toEqual({ ownership: 'all' });
    const bad = await admin.put(`/api/v1/ipvs?version=${v()}`, { ownership: 'some' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0]).toMatchObject({ code: 'CONFIG_INVALID', field: 'ipvs.ownership' });
    expect((await admin.delete(`/api/v1/ipvs?version=${v()}`)).status).toBe(200);
    expect((await admin.get('/api/v1/ipvs')).body.item).toBeNull();
    expect(Object.hasOwn(h.store.current().config, 'ipvs')).toBe(false);
  });

  it('heartbeat, network, administration', async () => {
    expect((await admin.get('/api/v1/heartbeat')).body.item).toBeNull();
    const heartbeat = {
      enabled: true,
      peer: { name: 'lbslave', address: '203.0.113.2' },
      links: [{ interface: 'eth0' }],
      key: 'a-long-shared-secret-key',
    };
    const put = await admin.put(`/api/v1/heartbeat?version=${v()}`, heartbeat);
    expect(put.status, put.text).toBe(200);
    expect(put.body.item).toMatchObject({ ...heartbeat, autoFailback: true });
    const short = await admin.put(`/api/v1/heartbeat?version=${v()}`, { ...heartbeat, key: 'short' });
    expect(short.body.error.issues[0].field).toBe('heartbeat.key');
    // A timer the heartbeat would refuse is refused before it is stored, at its field.
    const slow = await admin.put(`/api/v1/heartbeat?version=${v()}`, { ...heartbeat, timing: { keepaliveMs: 100 } });
    expect(slow.status).toBe(422);
    expect(slow.body.error.code).toBe('CONFIG_REJECTED');
    expect(slow.body.error.issues).toEqual([
      {
        code: 'CONFIG_INVALID',
        field: 'heartbeat.timing.deadtimeMs',
        message: 'heartbeat.timing.deadtimeMs: must be at least twice keepaliveMs (one lost heartbeat is not a death)',
      },
    ]);
    expect((await admin.delete(`/api/v1/heartbeat?version=${v()}`)).status).toBe(200);
    expect((await admin.delete(`/api/v1/heartbeat?version=${v()}`)).status).toBe(404);

    const network = {
      interfaces: [{ name: 'eth0', addresses: ['203.0.113.1/24'] }],
      defaultGateway: { ipv4: '203.0.113.254' },
    };
    expect((await admin.put(`/api/v1/network?version=${v()}`, network)).body.item).toMatchObject(network);
    expect((await admin.delete(`/api/v1/network?version=${v()}`)).status).toBe(405);

    const administration = await admin.get('/api/v1/administration');
    expect(administration.body.item).toEqual({ httpPort: 9080, httpsPort: 9443 });
    const ports = await admin.put(`/api/v1/administration?version=${v()}`, { httpPort: 8080, httpsPort: 8443 });
    expect(ports.body.item).toEqual({ httpPort: 8080, httpsPort: 8443 });
    expect(h.store.current().config.administration.users).toHaveLength(1);
    const withUsers = await admin.put(`/api/v1/administration?version=${v()}`, { httpPort: 8080, users: [] });
    expect(withUsers.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'users' });
    const same = await admin.put(`/api/v1/administration?version=${v()}`, { httpPort: 8443, httpsPort: 8443 });
    expect(same.body.error.issues[0]).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'administration.httpsPort' });
  });
});

describe('whole configuration', () => {
  it('GET with ETag, PUT with version, 409 on a stale one, 422 with every issue', async () => {
    const got = await admin.get('/api/v1/config');
    expect(got.headers.get('etag')).toBe(`"${got.body.version}"`);
    const config = structuredClone(got.body.config);
    config.layer4 = [layer4Service('web')];
    const put = await admin.put(`/api/v1/config?version=${got.body.version}`, config);
    expect(put.status, put.text).toBe(200);
    expect(put.body.version).toBe(got.body.version + 1);
    expect(put.body.warnings.map((w: { code: string }) => w.code)).toContain('CONFIG_NAT_GATEWAY');
    expect(put.body.changes[0].path).toBe('layer4["web"]');
    const stale = await admin.put(`/api/v1/config?version=${got.body.version}`, config);
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('STORE_CONFLICT');
    const invalid = await admin.put(`/api/v1/config?version=${v()}`, {
      ...config,
      layer4: [{ label: 'x', vip: 'nope', extra: 1 }],
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.issues.map((i: { field: string }) => i.field)).toEqual(
      expect.arrayContaining(['layer4[0].vip', 'layer4[0].extra']),
    );
    const notObject = await admin.put(`/api/v1/config?version=${v()}`, [1, 2]);
    expect(notObject.status).toBe(400);
  });

  it('versions, one version, diff, rollback', async () => {
    const first = v();
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web'));
    await admin.put(`/api/v1/layer4/services/web/real-servers/alpha?version=${v()}`, {
      address: '198.51.100.21',
      port: 8080,
      weight: 7,
    });
    const versions = await admin.get('/api/v1/config/versions?limit=2');
    expect(versions.body.versions.map((x: { version: number }) => x.version)).toEqual([first + 2, first + 1]);
    expect(versions.body.versions[0]).toMatchObject({ author: 'admin', comment: 'change real server alpha' });
    const one = await admin.get(`/api/v1/config/versions/${first + 1}`);
    expect(one.body.config.layer4[0].realServers[0].weight).toBe(1);
    expect((await admin.get('/api/v1/config/versions/999')).status).toBe(404);
    expect((await admin.get('/api/v1/config/versions/abc')).status).toBe(400);
    const diff = await admin.get('/api/v1/config/diff');
    expect(diff.body).toMatchObject({ from: first + 1, to: first + 2 });
    expect(diff.body.changes).toEqual([
      { path: 'layer4["web"].realServers["alpha"].weight', op: 'changed', before: 1, after: 7 },
    ]);
    const rollback = await admin.post('/api/v1/config/rollback', { to: first, version: v() });
    expect(rollback.status, rollback.text).toBe(200);
    expect(h.store.current().config.layer4).toEqual([]);
    expect(h.store.current().comment).toBe(`rollback to version ${first}`);
    const stale = await admin.post('/api/v1/config/rollback', { to: first, version: first });
    expect(stale.status).toBe(409);
    const missing = await admin.post(`/api/v1/config/rollback?version=${v()}`, { to: 9999 });
    expect(missing.status).toBe(404);
    const noVersion = await admin.post('/api/v1/config/rollback', { to: first });
    expect(noVersion.status).toBe(428);
  });

  it('custom comments on writes', async () => {
    await admin.post(`/api/v1/health-checks?version=${v()}&comment=${encodeURIComponent('ticket 42')}`, {
      label: 'hc',
      type: 'ping',
    });
    expect(h.store.current().comment).toBe('ticket 42');
    const bad = await admin.post(`/api/v1/health-checks?version=${v()}&comment=${encodeURIComponent('a\nb')}`, {
      label: 'h2',
      type: 'ping',
    });
    expect(bad.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'comment' });
  });
});

describe('batch', () => {
  it('applies every operation as one version', async () => {
    const base = v();
    const answer = await admin.post(`/api/v1/batch?version=${base}`, {
      operations: [
        { method: 'POST', path: '/health-checks', body: { label: 'hc', type: 'connect' } },
        { method: 'POST', path: '/layer4/services', body: { ...layer4Service('web'), healthCheck: 'hc' } },
        {
          method: 'POST',
          path: '/api/v1/layer4/services/web/real-servers',
          body: { label: 'c', address: '198.51.100.30', port: 8080 },
        },
        { method: 'DELETE', path: '/layer4/services/web/real-servers/alpha' },
        { method: 'PUT', path: '/network', body: { interfaces: [] } },
      ],
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.version).toBe(base + 1);
    expect(h.store.current().config.layer4[0]?.realServers.map((r) => r.label)).toEqual(['bravo', 'c']);
  });

  it('stores nothing when one operation fails, and says which', async () => {
    const base = v();
    const before = h.store.current();
    const failing = await admin.post(`/api/v1/batch?version=${base}`, {
      operations: [
        { method: 'POST', path: '/layer4/services', body: layer4Service('web') },
        { method: 'PUT', path: '/layer4/services/missing/real-servers/x', body: { address: '192.0.2.1' } },
      ],
    });
    expect(failing.status).toBe(404);
    expect(failing.body.error.field).toBe('operations[1]');
    const invalid = await admin.post(`/api/v1/batch?version=${base}`, {
      operations: [
        { method: 'POST', path: '/layer4/services', body: layer4Service('web') },
        { method: 'POST', path: '/layer4/services/web/real-servers', body: { label: 'z', address: 'not-an-address' } },
      ],
    });
    expect(invalid.status).toBe(422);
    const wrongPath = await admin.post(`/api/v1/batch?version=${base}`, {
      operations: [{ method: 'POST', path: '/config/rollback', body: { to: 1 } }],
    });
    expect(wrongPath.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'operations[0].path' });
    const extra = await admin.post(`/api/v1/batch?version=${base}`, { operations: [], more: 1 });
    expect(extra.status).toBe(400);
    expect(h.store.current()).toBe(before);
  });
});

describe('apply, replication, HA', () => {
  it('applies and replicates each stored version; ?wait=applied returns the report', async () => {
    const answer = await admin.post(`/api/v1/health-checks?version=${v()}&wait=applied`, { label: 'hc', type: 'ping' });
    expect(answer.status).toBe(201);
    expect(answer.body.applied).toMatchObject({
      version: answer.body.version,
      changes: [`fake: version ${answer.body.version}`],
    });
    expect(h.engine.applied.at(-1)).toBe(answer.body.version);
    await h.pipeline.idle();
    expect(h.ha.replicated.at(-1)?.version).toBe(answer.body.version);
  });

  it('answers once stored without waiting for the engine', async () => {
    let release = () => {};
    h.engine.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answer = await admin.post(`/api/v1/health-checks?version=${v()}`, { label: 'hc', type: 'ping' });
    expect(answer.status).toBe(201);
    expect(h.engine.applied).not.toContain(answer.body.version);
    release();
    h.engine.gate = undefined;
    await h.pipeline.idle();
    expect(h.engine.applied).toContain(answer.body.version);
  });

  it('a write holds the background work on the whole table until it is answered; a read does not', async () => {
    let release = () => {};
    h.engine.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    expect(h.foreground.busy).toBe(false);
    const waiting = admin.post(`/api/v1/health-checks?version=${v()}&wait=applied`, { label: 'hc', type: 'ping' });
    while (!h.foreground.busy) await new Promise((resolve) => setImmediate(resolve));
    const read = await admin.get('/api/v1/health-checks');
    expect(read.status).toBe(200);
    expect(h.foreground.busy).toBe(true);
    release();
    h.engine.gate = undefined;
    expect((await waiting).status).toBe(201);
    expect(h.foreground.busy).toBe(false);
  });

  it('two writes on the same version: one is stored, the other is a conflict', async () => {
    const base = v();
    const answers = await Promise.all([
      admin.post(`/api/v1/health-checks?version=${base}`, { label: 'one', type: 'ping' }),
      admin.post(`/api/v1/health-checks?version=${base}`, { label: 'two', type: 'ping' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(v()).toBe(base + 1);
  });

  it('hands the engine every version in commit order; a waiter gets the report of an apply that holds its version', async () => {
    let release = () => {};
    h.engine.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The engine (test/engine) applies such a burst once more with the newest version.
    const first = await admin.post(`/api/v1/health-checks?version=${v()}`, { label: 'a', type: 'ping' });
    const second = v() + 1;
    const waiting = admin.post(`/api/v1/health-checks?version=${v()}&wait=applied`, { label: 'b', type: 'ping' });
    while (v() < second) await new Promise((resolve) => setImmediate(resolve));
    const third = await admin.post(`/api/v1/health-checks?version=${v()}`, { label: 'c', type: 'ping' });
    release();
    h.engine.gate = undefined;
    const answer = await waiting;
    expect(answer.status).toBe(201);
    expect(answer.body.applied.version).toBeGreaterThanOrEqual(second);
    await h.pipeline.idle();
    expect(h.engine.applied.slice(-3)).toEqual([first.body.version, second, third.body.version]);
  });

  it('503 ENGINE_UNAVAILABLE when waiting for an engine that cannot apply (the version is stored)', async () => {
    h.engine.failWith = new Error('no engine');
    const base = v();
    const answer = await admin.post(`/api/v1/health-checks?version=${base}&wait=applied`, {
      label: 'hc',
      type: 'ping',
    });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('ENGINE_UNAVAILABLE');
    expect(v()).toBe(base + 1);
    h.engine.failWith = new ApplianceError('ENGINE_APPLY_FAILED', 'ipvs said no');
    expect(
      (await admin.post(`/api/v1/health-checks?version=${v()}&wait=applied`, { label: 'h2', type: 'ping' })).status,
    ).toBe(502);
    expect(
      (await admin.post(`/api/v1/health-checks?version=${v()}&wait=now`, { label: 'h3', type: 'ping' })).status,
    ).toBe(400);
  });

  it('?wait=applied gives up after applyWaitSeconds with 503 (the version is stored)', async () => {
    await h.close();
    h = await startHarness({ applyWaitSeconds: 0.05 });
    admin = await h.admin();
    let release = () => {};
    h.engine.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = v();
    const answer = await admin.post(`/api/v1/health-checks?version=${base}&wait=applied`, {
      label: 'hc',
      type: 'ping',
    });
    expect(answer.status).toBe(503);
    expect(answer.body.error.message).toContain('did not report within 0.05 s');
    expect(v()).toBe(base + 1);
    release();
  });

  it('GET /config answers 304 to a client that holds the version', async () => {
    const version = v();
    const again = await admin.get('/api/v1/config', { 'if-none-match': `"${version}"` });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect((await admin.get('/api/v1/config', { 'if-none-match': `"${version - 1}"` })).status).toBe(200);
  });

  it('the passive node refuses edits with 409 HA_PASSIVE and stores nothing', async () => {
    h.ha.setPair('passive');
    const base = v();
    for (const answer of [
      await admin.post(`/api/v1/health-checks?version=${base}`, { label: 'hc', type: 'ping' }),
      await admin.put(`/api/v1/config?version=${base}`, {}),
      await admin.post('/api/v1/config/rollback', { to: 1, version: base }),
      await admin.post(`/api/v1/batch?version=${base}`, {
        operations: [{ method: 'PUT', path: '/network', body: {} }],
      }),
      await admin.post('/api/v1/factory-reset', { confirm: 'factory-reset' }),
    ]) {
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe('HA_PASSIVE');
    }
    expect(v()).toBe(base);
    expect((await admin.get('/api/v1/config')).status).toBe(200);
    h.ha.setPair('active');
    expect((await admin.post(`/api/v1/health-checks?version=${base}`, { label: 'hc', type: 'ping' })).status).toBe(201);
  });

  it('keeps the configuration across a restart', async () => {
    await admin.post(`/api/v1/layer4/services?version=${v()}`, layer4Service('web'));
    const version = v();
    h = await h.restart();
    const again = await h.admin();
    expect(await again.version()).toBe(version);
    expect((await again.get('/api/v1/layer4/services/web')).body.item.realServers).toHaveLength(2);
  });

  it('audits commits and rejections in the audit channel', async () => {
    await admin.post(`/api/v1/health-checks?version=${v()}`, { label: 'hc', type: 'ping' });
    await admin.post(`/api/v1/health-checks?version=${v()}`, { label: 'hc', type: 'ping' });
    const audit = (await admin.get('/api/v1/logs?channel=audit')).body.records;
    expect(audit.some((r: { fields: { outcome: string } }) => r.fields?.outcome === 'committed')).toBe(true);
    expect(audit.some((r: { fields: { code: string } }) => r.fields?.code === 'CONFIG_REJECTED')).toBe(true);
    // What reaches the store by other ways (a replica from the HA peer) is in the channel too.
    const current = h.store.current();
    await h.store.acceptReplica({ ...current, version: current.version + 2, comment: 'from the peer' }, 'lbpeer');
    const after = (await admin.get('/api/v1/logs?channel=audit&q=replicate')).body.records;
    expect(after.at(-1)?.fields).toMatchObject({
      action: 'replicate',
      outcome: 'committed',
      version: current.version + 2,
    });
  });
});
