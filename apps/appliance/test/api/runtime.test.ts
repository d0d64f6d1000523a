import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, type Harness, layer4Service, startHarness } from './harness.js';
import { readEvents } from './sse.js';

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
  await admin.post(`/api/v1/layer4/services?version=${await admin.version()}&wait=applied`, layer4Service('web'));
});
afterEach(() => h.close());

const serverOf = (
  status: {
    engine: {
      services: { label: string; colour: string; realServers: { label: string; colour: string; admin: string }[] }[];
    };
  },
  server: string,
) => status.engine.services[0]?.realServers.find((r) => r.label === server);

describe('runtime actions', () => {
  it('takes a real server offline (blue), drains, brings it online; stored, not versioned, durable', async () => {
    const version = h.store.current().version;
    const offline = await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha', { state: 'offline' });
    expect(offline.status, offline.text).toBe(200);
    expect(offline.body.entry).toMatchObject({
      layer: 'layer4',
      service: 'web',
      server: 'alpha',
      state: 'offline',
      author: 'admin',
    });
    expect(h.store.current().version).toBe(version);
    const status = (await admin.get('/api/v1/status')).body;
    expect(serverOf(status, 'alpha')).toMatchObject({ colour: 'blue', admin: 'offline' });
    expect(status.configVersion).toBe(version);
    await h.pipeline.idle();
    expect(h.ha.replicated.at(-1)).toEqual({ version, adminStates: 1 });
    const file = JSON.parse(await readFile(join(h.dir, 'admin-states.json'), 'utf8'));
    expect(file.entries).toHaveLength(1);

    await admin.post('/api/v1/runtime/layer4/services/web/real-servers/bravo', { state: 'drain' });
    expect(
      (await admin.get('/api/v1/runtime/admin-states')).body.entries.map((e: { state: string }) => e.state),
    ).toEqual(['offline', 'drain']);

    h = await h.restart();
    const again = await h.admin();
    expect((await again.get('/api/v1/runtime/admin-states')).body.entries).toHaveLength(2);
    await again.post('/api/v1/runtime/layer4/services/web', { state: 'online' });
    expect((await again.get('/api/v1/runtime/admin-states')).body.entries).toEqual([]);
  });

  it('sets every server of a VIP at once', async () => {
    const answer = await admin.post('/api/v1/runtime/layer4/services/web', { state: 'offline' });
    expect(answer.body.entries).toHaveLength(2);
    await h.pipeline.idle();
    const status = (await admin.get('/api/v1/status')).body;
    expect(status.engine.services[0].colour).toBe('blue');
  });

  it('refuses unknown layers, services, servers, states and fields', async () => {
    const base = '/api/v1/runtime/layer4/services/web/real-servers/alpha';
    expect((await admin.post('/api/v1/runtime/layer5/services/web', { state: 'offline' })).status).toBe(404);
    expect((await admin.post('/api/v1/runtime/layer4/services/nope', { state: 'offline' })).status).toBe(404);
    expect(
      (await admin.post('/api/v1/runtime/layer4/services/web/real-servers/nope', { state: 'offline' })).status,
    ).toBe(404);
    expect((await admin.post(base, { state: 'halt' })).body.error).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: 'state',
    });
    expect((await admin.post(base, { state: 'offline', why: 'x' })).body.error.field).toBe('why');
    h.ha.setPair('passive');
    expect((await admin.post(base, { state: 'offline' })).body.error.code).toBe('HA_PASSIVE');
    expect(h.adminStates.list()).toEqual([]);
  });
});

describe('status', () => {
  it('streams status events as servers change', async () => {
    // The service has the default connect check: green once it says up.
    h.engine.setHealth({ layer: 'layer4', service: 'web', server: 'alpha' }, 'up');
    const cookie = admin.cookie as string;
    const events = await readEvents(`${h.base}/api/v1/status/events`, { cookie }, 'status', 2, async () => {
      await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha', { state: 'offline' });
    });
    expect(serverOf(events[0]?.data as never, 'alpha')?.colour).toBe('green');
    expect(serverOf(events[1]?.data as never, 'alpha')?.colour).toBe('blue');
  });

  it('a live view ends when its session does (checked at each keep-alive)', async () => {
    await h.close();
    h = await startHarness({ sseKeepAliveSeconds: 1 });
    const viewer = await h.admin();
    const response = await fetch(`${h.base}/api/v1/status/events`, { headers: { cookie: viewer.cookie as string } });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect((await viewer.delete('/api/v1/session')).status).toBe(200);
    // The stream ends by itself at the next keep-alive: read until it does.
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
  });

  it('serves counters at most a few seconds old, changes at once', async () => {
    const ref = { layer: 'layer4' as const, service: 'web', server: 'alpha' };
    const alpha = async () =>
      serverOf((await admin.get('/api/v1/status')).body, 'alpha') as unknown as { activeConnections: number };
    h.engine.setCounters(ref, { activeConnections: 1 });
    h.engine.emit(); // an event: the next answer is fresh
    expect((await alpha()).activeConnections).toBe(1);
    h.engine.setCounters(ref, { activeConnections: 5 }); // counters move without an event
    expect((await alpha()).activeConnections).toBe(1);
    h.clock.advance(1500);
    expect((await alpha()).activeConnections).toBe(1); // served, and refreshed after the answer
    await new Promise((resolve) => setImmediate(resolve));
    expect((await alpha()).activeConnections).toBe(5);
    h.engine.setCounters(ref, { activeConnections: 9 });
    h.clock.advance(5000);
    expect((await alpha()).activeConnections).toBe(9); // too old to serve: rebuilt for this reader
  });

  it('health turns a server red and the VIP yellow', async () => {
    h.engine.setHealth({ layer: 'layer4', service: 'web', server: 'bravo' }, 'down');
    const status = (await admin.get('/api/v1/status')).body;
    expect(serverOf(status, 'bravo')?.colour).toBe('red');
    expect(status.engine.services[0].colour).toBe('yellow');
    expect(status.ha).toMatchObject({ role: 'standalone', state: 'active' });
  });
});

describe('reports', () => {
  it('connections with SYN_RECV and the ARP hint; Layer 7 rows', async () => {
    expect((await admin.get('/api/v1/reports/connections')).body).toEqual({ connections: [], synRecv: 0 });
    h.engine.connectionTable = [
      {
        protocol: 'TCP',
        client: '203.0.113.9:5000',
        virtual: '192.0.2.10:80',
        destination: '198.51.100.21:80',
        state: 'SYN_RECV',
        expiresSeconds: 50,
        synRecv: true,
        hint: 'arp',
      },
      {
        protocol: 'TCP',
        client: '203.0.113.9:5001',
        virtual: '192.0.2.10:80',
        destination: '198.51.100.22:80',
        state: 'ESTABLISHED',
        expiresSeconds: 800,
        synRecv: false,
      },
    ];
    const report = (await admin.get('/api/v1/reports/connections')).body;
    expect(report.synRecv).toBe(1);
    expect(report.hint).toMatch(/arp-fix/);
    h.engine.layer7Rows = [
      { proxy: 'site', server: 'a', status: 'UP', currentSessions: 1, totalSessions: 9, bytesIn: 10, bytesOut: 20 },
    ];
    expect((await admin.get('/api/v1/reports/layer7')).body.rows).toHaveLength(1);
  });

  it('traffic rates from samples of the engine counters', async () => {
    const ref = { layer: 'layer4' as const, service: 'web', server: 'alpha' };
    h.engine.setCounters(ref, { bytesIn: 0, bytesOut: 0, activeConnections: 1 });
    h.traffic.sample();
    h.clock.advance(10_000);
    h.engine.setCounters(ref, { bytesIn: 10_000, bytesOut: 50_000, activeConnections: 3 });
    h.traffic.sample();
    h.clock.advance(10_000);
    h.engine.setCounters(ref, { bytesIn: 5, bytesOut: 5 }); // counters reset: a rate of 0, not negative
    h.traffic.sample();
    const traffic = (await admin.get('/api/v1/reports/traffic?service=web&minutes=5')).body.series;
    expect(traffic).toHaveLength(1);
    const alpha = traffic[0].servers.find((s: { label: string }) => s.label === 'alpha');
    expect(alpha.points).toEqual([
      { time: '2026-01-01T00:00:10.000Z', connections: 3, bytesInPerSecond: 1000, bytesOutPerSecond: 5000 },
      { time: '2026-01-01T00:00:20.000Z', connections: 3, bytesInPerSecond: 0, bytesOutPerSecond: 0 },
    ]);
    expect(traffic[0].points[0]).toMatchObject({ bytesInPerSecond: 1000 });
    expect((await admin.get('/api/v1/reports/traffic?minutes=0')).status).toBe(400);
    expect((await admin.get('/api/v1/reports/traffic?service=nope')).status).toBe(400);
  });
});

describe('logs', () => {
  it('filters by channel, level, text, sequence and time', async () => {
    h.logs.write('layer4', 'info', 'added service web');
    h.logs.write('layer4', 'error', 'netlink said EPERM');
    h.logs.write('heartbeat', 'warn', 'peer link down');
    const get = async (query: string) =>
      (await admin.get(`/api/v1/logs?${query}`)).body.records.map((r: { message: string }) => r.message);
    expect(await get('channel=layer4')).toEqual(['added service web', 'netlink said EPERM']);
    expect(await get('channel=layer4,heartbeat&level=warn')).toEqual(['netlink said EPERM', 'peer link down']);
    expect(await get('q=EPERM')).toEqual(['netlink said EPERM']);
    expect(await get('channel=layer4&limit=1')).toEqual(['netlink said EPERM']);
    const all = (await admin.get('/api/v1/logs?channel=layer4')).body.records;
    expect(await get(`channel=layer4&after=${all[0].seq}`)).toEqual(['netlink said EPERM']);
    expect(await get('channel=layer4&since=2030-01-01T00:00:00Z')).toEqual([]);
    for (const bad of ['channel=kernel', 'level=loud', 'after=x', 'limit=0', 'since=yesterday', 'follow=1']) {
      expect((await admin.get(`/api/v1/logs?${bad}`)).status, bad).toBe(400);
    }
  });

  it('follows new records as events, resuming after Last-Event-ID', async () => {
    const first = h.logs.write('layer7', 'info', 'before');
    h.logs.write('layer7', 'info', 'missed');
    const events = await readEvents(
      `${h.base}/api/v1/logs/follow?channel=layer7`,
      { cookie: admin.cookie as string, 'last-event-id': String(first.seq) },
      'log',
      2,
      async () => {
        h.logs.write('layer4', 'info', 'other channel');
        h.logs.write('layer7', 'warn', 'live');
      },
    );
    expect(events.map((e) => (e.data as { message: string }).message)).toEqual(['missed', 'live']);
    expect(events[0]?.id).toBe(String(first.seq + 1));
  });
});

describe('metrics', () => {
  it('Prometheus text with HELP, TYPE and escaped labels', async () => {
    h.engine.setCounters({ layer: 'layer4', service: 'web', server: 'alpha' }, { activeConnections: 4, bytesIn: 100 });
    await admin.post('/api/v1/runtime/layer4/services/web/real-servers/bravo', { state: 'drain' });
    const answer = await admin.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = answer.text;
    expect(text).toContain(
      '# HELP sluice_config_version The current configuration version.\n# TYPE sluice_config_version gauge\n',
    );
    expect(text).toContain(`sluice_config_version ${h.store.current().version}\n`);
    expect(text).toContain(
      'sluice_real_server_active_connections{layer="layer4",service="web",server="alpha",address="198.51.100.21"} 4',
    );
    expect(text).toContain(
      'sluice_real_server_admin_state{layer="layer4",service="web",server="bravo",address="198.51.100.22",state="drain"} 1',
    );
    expect(text).toContain('# TYPE sluice_real_server_bytes_in_total counter');
    expect(text).toContain('sluice_ha_active{role="standalone"} 1');
    // Each family's HELP and TYPE once, every sample line well formed.
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('# TYPE sluice_real_server_weight ')).length).toBe(1);
    for (const line of lines.filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{([a-z_]+="([^"\\\n]|\\["\\n])*",?)+\})? -?[0-9.e+]+$/);
    }
    expect((await h.client().get('/metrics')).status).toBe(401);
  });

  it('HA: transitions by reason, since when, and heartbeat lateness as histograms in seconds', async () => {
    h.ha.setPair('active');
    const histogram = (count: number, buckets: number[], sumMs: number) => ({
      count,
      sumMs,
      maxMs: 120,
      lastMs: 3,
      bounds: [5, 10, 250],
      buckets,
    });
    h.ha.current = {
      ...h.ha.current,
      since: '2026-12-06T23:00:00.000Z',
      reason: 'peer-dead',
      transitions: { 'peer-dead': 2, failback: 1 },
      heartbeat: { sendLateness: histogram(10, [7, 9, 10], 150), peerGap: histogram(4, [0, 0, 3], 900) },
    };
    const text = (await admin.get('/metrics')).text;
    expect(text).toContain('# TYPE sluice_ha_transitions_total counter');
    expect(text).toContain('sluice_ha_transitions_total{reason="peer-dead"} 2\n');
    expect(text).toContain('sluice_ha_transitions_total{reason="failback"} 1\n');
    expect(text).toContain('sluice_ha_state_since_seconds{state="active",reason="peer-dead"} 1796598000\n');
    expect(text).toContain('# TYPE sluice_ha_heartbeat_lateness_seconds histogram');
    expect(text).toContain(
      [
        'sluice_ha_heartbeat_lateness_seconds_bucket{le="0.005"} 7',
        'sluice_ha_heartbeat_lateness_seconds_bucket{le="0.01"} 9',
        'sluice_ha_heartbeat_lateness_seconds_bucket{le="0.25"} 10',
        'sluice_ha_heartbeat_lateness_seconds_bucket{le="+Inf"} 10',
        'sluice_ha_heartbeat_lateness_seconds_sum 0.15',
        'sluice_ha_heartbeat_lateness_seconds_count 10',
      ].join('\n'),
    );
    // One above the last bound: +Inf counts it.
    expect(text).toContain('sluice_ha_peer_heartbeat_gap_seconds_bucket{le="+Inf"} 4\n');
  });

  it('escapes label values', async () => {
    const { escapeLabel } = await import('../../src/metrics/prometheus.js');
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
});
