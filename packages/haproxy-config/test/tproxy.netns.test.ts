// TPROXY: HAProxy connects to the real server from the client's own address, so the
// server sees the client end to end. The balancer's namespace gets the routing TPROXY
// needs: replies to client addresses are marked by their transparent socket and routed
// to the local stack; the servers route the client network through the balancer.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Supervisor } from '../src/index.js';
import { CLIENT, LB_INSIDE, makeRig, type Rig, SERVERS, VIP, waitFor } from './helpers/rig.js';

let rig: Rig;
let supervisor: Supervisor;

beforeAll(async () => {
  rig = await makeRig();
  for (const [i, host] of rig.servers.entries()) {
    await rig.echo(host, `s${i + 1}`, 8080);
    await host.addRoute('192.0.2.0/24', LB_INSIDE);
  }
  await rig.lb.ip(['rule', 'add', 'fwmark', '1', 'lookup', '100']);
  await rig.lb.ip(['route', 'add', 'local', '192.0.2.0/24', 'dev', 'lo', 'table', '100']);
  await rig.lb.exec('nft', ['add', 'table', 'ip', 'sluice_tproxy']);
  await rig.lb.exec('nft', [
    'add',
    'chain',
    'ip',
    'sluice_tproxy',
    'pre',
    '{ type filter hook prerouting priority mangle; policy accept; }',
  ]);
  await rig.lb.exec('nft', [
    'add',
    'rule',
    'ip',
    'sluice_tproxy',
    'pre',
    'socket',
    'transparent',
    '1',
    'meta',
    'mark',
    'set',
    '1',
  ]);
  supervisor = rig.supervisor();
  const started = await supervisor.start({
    global: { adminSocket: { path: join(rig.dir, 'admin.sock') }, log: [] },
    defaults: { timeouts: { connect: 2000, client: 10_000, server: 10_000 } },
    frontends: [{ name: 'web', binds: [{ address: VIP, ports: [80] }], defaultBackend: 'app' }],
    backends: [
      {
        name: 'app',
        transparent: true,
        servers: SERVERS.map((address, i) => ({ name: `s${i + 1}`, address, port: 8080 })),
      },
    ],
  });
  expect(started).toMatchObject({ applied: true, diagnostics: [] });
  await waitFor('servers up', async () => {
    const rows = await supervisor.runtime().showStat();
    return rows.filter((r) => r.proxy === 'app' && r.type === 'server' && r.status === 'UP').length === 2
      ? true
      : undefined;
  });
});

afterAll(async () => {
  await rig?.destroy();
});

describe('TPROXY (source 0.0.0.0 usesrc clientip)', () => {
  it('the real server sees the client address as its peer', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await rig.curl([`http://${VIP}/`]);
      expect(response.status).toBe(200);
      const echo = JSON.parse(response.body) as { peer: string };
      expect(echo.peer.replace(/^::ffff:/, '')).toBe(CLIENT);
    }
  });
});
