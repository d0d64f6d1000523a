// The runtime API against a real HAProxy in a namespace, on its admin socket and through
// the master socket.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HaproxyConfig, RuntimeClient, type Supervisor } from '../src/index.js';
import { makeRig, type Rig, SERVERS, VIP, waitFor } from './helpers/rig.js';

let rig: Rig;
let supervisor: Supervisor;
let admin: RuntimeClient;

function model(): HaproxyConfig {
  return {
    global: { adminSocket: { path: join(rig.dir, 'admin.sock') }, log: [] },
    defaults: { timeouts: { connect: 2000, client: 10_000, server: 10_000 } },
    frontends: [
      { name: 'web', binds: [{ address: VIP, ports: [80] }], defaultBackend: 'app' },
      { name: 'raw', mode: 'tcp', binds: [{ address: VIP, ports: [81] }], defaultBackend: 'raw_app' },
    ],
    backends: [
      { name: 'raw_app', mode: 'tcp', servers: [{ name: 'r1', address: SERVERS[0], port: 8080 }] },
      { name: 'hashed', balance: { algorithm: 'source' }, servers: [{ name: 'h1', address: SERVERS[0], port: 8080 }] },
      {
        name: 'app',
        balance: { algorithm: 'roundrobin' },
        healthCheck: { intervalMs: 200, rise: 1, fall: 1 },
        servers: [
          // s1 has a feedback agent port nobody listens on: the agent only reports failures, it never downs a server.
          { name: 's1', address: SERVERS[0], port: 8080, weight: 10, agent: { port: 3333, intervalMs: 500 } },
          { name: 's2', address: SERVERS[1], port: 8080 },
          // fed's agent answers "50%": HAProxy halves its weight.
          { name: 'fed', address: SERVERS[1], port: 8080, weight: 10, agent: { port: 3334, intervalMs: 200 } },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  rig = await makeRig();
  for (const [i, host] of rig.servers.entries()) await rig.echo(host, `s${i + 1}`, 8080);
  const agent = rig.servers[1]?.spawn(process.execPath, [rig.fixture('agent.mjs'), '0.0.0.0', '3334', '50%']);
  await agent?.waitForLine('READY', 30_000);
  supervisor = rig.supervisor();
  expect((await supervisor.start(model())).applied).toBe(true);
  admin = new RuntimeClient({ socketPath: join(rig.dir, 'admin.sock'), timeoutMs: 3000 });
  await waitFor('servers up', async () => {
    const rows = await admin.showStat();
    return rows.filter((r) => r.proxy === 'app' && r.type === 'server' && r.status === 'UP').length === 3
      ? true
      : undefined;
  });
});

afterAll(async () => {
  await rig?.destroy();
});

describe('RuntimeClient', () => {
  it('reads show info on the admin socket and through the master', async () => {
    const info = await admin.showInfo();
    expect(info.name).toBe('HAProxy');
    expect(info.version).toMatch(/^2\.\d+/);
    const viaMaster = await supervisor.runtime().showInfo();
    expect(viaMaster.pid).toBe(info.pid);
    const procs = await supervisor.master.showProc();
    expect(procs.find((p) => p.role === 'master')?.pid).toBe(supervisor.pid);
    expect(procs.filter((p) => p.role === 'worker').map((p) => p.pid)).toEqual([info.pid]);
  });

  it('reads show stat rows for frontends, backends and servers', async () => {
    const rows = await admin.showStat();
    expect(rows.find((r) => r.proxy === 'web' && r.type === 'frontend')?.status).toBe('OPEN');
    const s1 = rows.find((r) => r.proxy === 'app' && r.name === 's1');
    expect(s1).toMatchObject({ type: 'server', status: 'UP', weight: 10 });
    expect(rows.find((r) => r.proxy === 'app' && r.type === 'backend')?.status).toBe('UP');
  });

  it('sets weights and admin states, and reads them back in show servers state', async () => {
    await admin.setWeight('app', 's1', 42);
    await admin.setServerState('app', 's2', 'maint');
    let states = await admin.showServersState('app');
    expect(states.map((s) => [s.server, s.userWeight, s.adminState]).slice(0, 2)).toEqual([
      ['s1', 42, 'ready'],
      ['s2', 1, 'maint'],
    ]);
    expect(states[0]).toMatchObject({ backend: 'app', address: SERVERS[0], port: 8080, initialWeight: 10 });
    await admin.setServerState('app', 's2', 'drain');
    states = await admin.showServersState('app');
    expect(states[1]?.adminState).toBe('drain');
    await admin.setServerState('app', 's2', 'ready');
    await admin.setWeight('app', 's1', 10);
  });

  it('applies what the feedback agent (agent-check) reports', async () => {
    const row = await waitFor('agent weight', async () => {
      const fed = (await admin.showStat()).find((r) => r.proxy === 'app' && r.name === 'fed');
      return fed?.weight === 5 ? fed : undefined;
    });
    expect(row.weight).toBe(5);
    // The configured weight is unchanged: the agent's answer is relative to it.
    expect((await admin.showServersState('app')).find((s) => s.server === 'fed')?.initialWeight).toBe(10);
  });

  it('disables and enables health checks and the agent', async () => {
    const state = async () => {
      const s1 = (await admin.showServersState('app')).find((s) => s.server === 's1');
      return { check: Number(s1?.raw.srv_check_state), agent: Number(s1?.raw.srv_agent_state) };
    };
    // CHK_ST_ENABLED (0x4) in HAProxy's check state bits.
    const before = await state();
    expect(before.check & 4).toBe(4);
    expect(before.agent & 4).toBe(4);
    await admin.disableHealth('app', 's1');
    expect((await state()).check & 4).toBe(0);
    await admin.enableHealth('app', 's1');
    expect((await state()).check & 4).toBe(4);
    await admin.disableAgent('app', 's1');
    expect((await state()).agent & 4).toBe(0);
    await admin.enableAgent('app', 's1');
    expect((await state()).agent & 4).toBe(4);
    // s2 has no agent: HAProxy says so, and the client turns it into a coded error.
    await expect(admin.enableAgent('app', 's2')).rejects.toMatchObject({ code: 'HAPROXY_COMMAND_FAILED' });
  });

  it('adds a server at run time, serves with it, and deletes it', async () => {
    await admin.addServer(
      'app',
      { name: 's3', address: SERVERS[1], port: 8080, weight: 5, check: true },
      { ready: true },
    );
    const states = await admin.showServersState('app');
    expect(states.map((s) => s.server)).toEqual(['s1', 's2', 'fed', 's3']);
    expect(states[3]?.adminState).toBe('ready');
    await waitFor('s3 up', async () =>
      (await admin.showStat()).some((r) => r.name === 's3' && r.status === 'UP') ? true : undefined,
    );
    // With the configured servers in maintenance, only the added one can answer.
    for (const server of ['s1', 's2', 'fed']) await admin.setServerState('app', server, 'maint');
    const served = await rig.curl([`http://${VIP}/`]);
    expect(served.status).toBe(200);
    expect(served.headers['x-served-by']).toBe('s2');
    for (const server of ['s1', 's2', 'fed']) await admin.setServerState('app', server, 'ready');
    await admin.setServerState('app', 's3', 'maint');
    await admin.deleteServer('app', 's3');
    expect((await admin.showServersState('app')).map((s) => s.server)).toEqual(['s1', 's2', 'fed']);
  });

  it('refuses add server on a hash-based backend with HAPROXY_UNSUPPORTED', async () => {
    await expect(admin.addServer('hashed', { name: 'h2', address: SERVERS[1], port: 8080 })).rejects.toMatchObject({
      code: 'HAPROXY_UNSUPPORTED',
    });
  });

  it('summarises client sessions', async () => {
    // An idle TCP connection through the tcp frontend is a session (an HTTP one only
    // becomes a stream once its request is complete).
    const holder = rig.client.spawn(process.execPath, [
      '-e',
      `require('node:net').connect(81, '${VIP}', function () { console.log('READY'); })`,
    ]);
    await holder.waitForLine('READY', 10_000);
    const summary = await waitFor('a session', async () => {
      const s = await admin.showSessions();
      return s.total > 0 ? s : undefined;
    });
    expect(summary).toEqual({
      total: 1,
      byFrontend: { raw: 1 },
      byBackend: { raw_app: 1 },
      byServer: { 'raw_app/r1': 1 },
    });
    await holder.stop();
  });

  it('fails with coded errors: unknown server, bad names, a dead socket', async () => {
    await expect(admin.setWeight('app', 'ghost', 1)).rejects.toMatchObject({ code: 'HAPROXY_COMMAND_FAILED' });
    await expect(admin.setWeight('app', 's1;shutdown', 1)).rejects.toMatchObject({
      code: 'HAPROXY_INVALID_FIELD',
      field: 'server',
    });
    await expect(admin.setWeight('app', 's1', 300)).rejects.toMatchObject({
      code: 'HAPROXY_INVALID_FIELD',
      field: 'weight',
    });
    await expect(admin.command('show info; shutdown sessions')).rejects.toMatchObject({
      code: 'HAPROXY_INVALID_FIELD',
    });
    const dead = new RuntimeClient({ socketPath: join(rig.dir, 'absent.sock'), timeoutMs: 1000 });
    await expect(dead.showInfo()).rejects.toMatchObject({ code: 'HAPROXY_SOCKET_ERROR' });
  });
});
