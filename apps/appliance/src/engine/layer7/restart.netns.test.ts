// A daemon that dies leaves its HAProxy running (it is a separate process). The next run's
// driver starts a new HAProxy beside it (SO_REUSEPORT) and asks the old one to finish its
// connections and stop: an established connection survives, admin states carry over.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Supervisor } from '@sluice/haproxy-config';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import type { AdminState, LogBook } from '../../daemon/interfaces.js';
import type { DesiredInput } from '../driver.js';
import { createLayer7Driver, type Layer7Driver } from './index.js';

const VIP = '192.0.2.10';
const ALPHA = '198.51.100.11';
const BRAVO = '198.51.100.12';

let lab: Lab;
let client: Host;
let dir: string;
const drivers: Layer7Driver[] = [];
const admin = new Map<string, AdminState>([['web/bravo', 'offline']]);
const logs: LogBook = {
  write: (channel, level, message) => ({ seq: 0, time: '', channel, level, message }),
  query: () => [],
  follow: () => () => undefined,
};

const input = (version: number): DesiredInput => ({
  version,
  config: configSchema.parse({
    layer7: [
      {
        label: 'web',
        vip: VIP,
        ports: [80],
        realServers: [
          { label: 'alpha', address: ALPHA, port: 8080 },
          { label: 'bravo', address: BRAVO, port: 8080 },
        ],
      },
      {
        label: 'echo',
        vip: VIP,
        ports: [7000],
        mode: 'tcp',
        realServers: [{ label: 'alpha', address: ALPHA, port: 7000 }],
      },
    ],
  }),
  server: (ref) => ({ admin: admin.get(`${ref.service}/${ref.server}`) ?? 'online', health: 'unknown' }),
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  lab = await Lab.create();
  dir = await mkdtemp(join(tmpdir(), 'sluice-l7r-'));
  client = await lab.host('client');
  const lb = await lab.host('lb');
  await lab.link(client, lb, { aAddrs: ['192.0.2.2/24'], bAddrs: ['192.0.2.1/24', `${VIP}/24`] });
  const sw = await lab.switch('sw');
  await lab.attach(lb, sw, ['198.51.100.1/24']);
  for (const [name, address] of [
    ['alpha', ALPHA],
    ['bravo', BRAVO],
  ] as const) {
    const host = await lab.host(name);
    await lab.attach(host, sw, [`${address}/24`]);
    await host.serveHttp({ name: `${name}_server`, port: 8080 });
    await host.serveTcp({ name: `${name}_tcp`, port: 7000 });
  }
  const stateDir = join(dir, 'state');
  // The first run's HAProxy is not restarted by its supervisor: the daemon is gone.
  drivers.push(
    createLayer7Driver({
      stateDir,
      logs,
      netns: lb.netns,
      supervisor: (o) => new Supervisor({ ...o, restart: false }),
    }),
  );
  drivers.push(createLayer7Driver({ stateDir, logs, netns: lb.netns }));
});

afterAll(async () => {
  for (const driver of drivers) await driver.stop();
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a new run takes over from the HAProxy an earlier run left, cutting no connection', async () => {
  const [first, second] = drivers as [Layer7Driver, Layer7Driver];
  await first.apply(input(1));
  const old = first.pid as number;
  expect(await client.httpGet(`http://${VIP}/`, 4)).toEqual(Array(4).fill('alpha_server'));

  const holder = client.spawn(process.execPath, [
    join(import.meta.dirname, 'fixtures', 'hold-connection.mjs'),
    VIP,
    '7000',
  ]);
  expect(await holder.waitForLine('READY', 10_000)).toBe('alpha_tcp');

  // The daemon restarts: a new driver, the same state directory, the old HAProxy still running.
  const { changes } = await second.apply(input(1));
  expect(changes).toContain(`layer7: the HAProxy an earlier run left (pid ${old}) finishes its connections and stops`);
  // The offline server came back offline from the server-state file: nothing to set.
  expect(changes.some((l) => l.includes('web/bravo'))).toBe(false);
  expect(second.pid).not.toBe(old);

  process.kill(holder.pid as number, 'SIGUSR2');
  expect(await holder.waitForLine('ECHO', 10_000)).toBe('ping');

  const deadline = Date.now() + 15_000;
  while (alive(old) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(alive(old)).toBe(false);
  expect(await client.httpGet(`http://${VIP}/`, 4)).toEqual(Array(4).fill('alpha_server'));
  expect((await second.observe()).get('layer7/web/bravo')?.effectiveWeight).toBe(0);
});
