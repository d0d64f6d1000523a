// HAProxy is the data plane: a daemon that stops (the driver's stop()) leaves it serving,
// and the next run's driver adopts the same process through the master socket, reloading
// it hitlessly when the configuration changed meanwhile: an established connection
// survives, admin states carry over.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LogBook } from '../../logs/contract.js';
import type { AdminState } from '../../model/admin-state.js';
import { configSchema } from '../../model/schema.js';
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

const input = (version: number, webPorts = [80]): DesiredInput => ({
  version,
  config: configSchema.parse({
    layer7: [
      {
        label: 'web',
        vip: VIP,
        ports: webPorts,
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
  for (let run = 0; run < 3; run++) drivers.push(createLayer7Driver({ stateDir, logs, netns: lb.netns }));
});

afterAll(async () => {
  for (const driver of drivers) await driver.stopDataPlane();
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const hold = async () => {
  const holder = client.spawn(process.execPath, [
    join(import.meta.dirname, 'fixtures', 'hold-connection.mjs'),
    VIP,
    '7000',
  ]);
  expect(await holder.waitForLine('READY', 10_000)).toBe('alpha_tcp');
  return holder;
};

it('a stopped run leaves HAProxy serving; the next adopts the same process, cutting no connection', async () => {
  const [first, second, third] = drivers as [Layer7Driver, Layer7Driver, Layer7Driver];
  await first.apply(input(1));
  const pid = first.pid as number;
  expect(await client.httpGet(`http://${VIP}/`, 4)).toEqual(Array(4).fill('alpha_server'));
  const holders = [await hold(), await hold()];

  // The daemon stops: HAProxy goes on serving, old connections and new ones alike.
  await first.stop();
  expect(first.pid).toBeUndefined();
  expect(alive(pid)).toBe(true);
  expect(await client.httpGet(`http://${VIP}/`, 2)).toEqual(Array(2).fill('alpha_server'));

  // The daemon starts again with the same configuration: the same HAProxy, nothing reloaded.
  expect((await second.apply(input(1))).changes).toEqual([
    `layer7: adopt the HAProxy an earlier run left (pid ${pid}), connections kept`,
  ]);
  expect(second.pid).toBe(pid);
  const [early, late] = holders as [(typeof holders)[0], (typeof holders)[0]];
  process.kill(early.pid as number, 'SIGUSR2');
  expect(await early.waitForLine('ECHO', 10_000)).toBe('ping');
  // The offline server is still offline in the running HAProxy: nothing to set.
  expect((await second.observe()).get('layer7/web/bravo')?.effectiveWeight).toBe(0);

  // Stopped again, and the configuration changed meanwhile: adopted, then a hitless reload.
  await second.stop();
  const { changes } = await third.apply(input(2, [80, 8080]));
  expect(changes.slice(0, 2)).toEqual([
    `layer7: adopt the HAProxy an earlier run left (pid ${pid}), connections kept`,
    'layer7: hitless reload #1 for the configuration it did not run yet',
  ]);
  expect(third.pid).toBe(pid);
  process.kill(late.pid as number, 'SIGUSR2');
  expect(await late.waitForLine('ECHO', 10_000)).toBe('ping');
  expect(await client.httpGet(`http://${VIP}:8080/`, 2)).toEqual(Array(2).fill('alpha_server'));
  expect((await third.observe()).get('layer7/web/bravo')?.effectiveWeight).toBe(0);
});
