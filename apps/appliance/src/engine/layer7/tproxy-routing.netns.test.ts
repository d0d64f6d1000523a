// TPROXY through the Layer 7 driver as the daemon wires it: the driver sets up the policy
// routing and socket match itself (nothing done by hand in the balancer's namespace), the
// real server sees the client's own address and its reply comes back through the
// balancer; with no TPROXY service left the rule, the route table and the nft table go.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBook } from '../../logs/contract.js';
import { type ApplianceConfigInput, configSchema } from '../../model/schema.js';
import type { DesiredInput } from '../driver.js';
import { createLayer7Driver, type Layer7Driver } from './index.js';
import { TPROXY_NFT_TABLE, TPROXY_RULE_PRIORITY, TPROXY_TABLE, TproxyRouting } from './tproxy-routing.js';

const CLIENT = '192.0.2.2';
const VIP = '192.0.2.10';
const SERVER = '198.51.100.11';
const CLIENT6 = '2001:db8:1::2';
const VIP6 = '2001:db8:1::10';
const SERVER6 = '2001:db8:2::11';

let lab: Lab;
let client: Host;
let lb: Host;
let dir: string;
let driver: Layer7Driver;
let version = 0;

const logs: LogBook = {
  write: (channel, level, message) => ({ seq: 0, time: '', channel, level, message }),
  query: () => [],
  follow: () => () => undefined,
};

function input(tproxy: boolean, extra: Partial<ApplianceConfigInput> = {}): DesiredInput {
  const config: ApplianceConfigInput = {
    ...extra,
    layer7: [
      {
        label: 'web',
        vip: VIP,
        ports: [80],
        tproxy,
        realServers: [{ label: 'alpha', address: SERVER, port: 8090 }],
      },
      {
        label: 'six',
        vip: VIP6,
        ports: [80],
        tproxy,
        realServers: [{ label: 'alpha', address: SERVER6, port: 8091 }],
      },
    ],
  };
  return {
    version: ++version,
    config: configSchema.parse(config),
    server: () => ({ admin: 'online', health: 'unknown' }),
  };
}

/** The peer address the real server saw, through the VIP (or the IPv6 one). */
async function peerSeen(vip = VIP): Promise<string> {
  const url = vip.includes(':') ? `http://[${vip}]/` : `http://${vip}/`;
  const { stdout } = await client.exec('curl', ['-s', '-S', '--max-time', '5', url]);
  return (JSON.parse(stdout) as { peer: string }).peer.replace(/^::ffff:/, '');
}

async function routing(): Promise<{ rules: string; rules6: string; table: string; nft: boolean }> {
  const rules = (await lb.ip(['-4', 'rule', 'show'])).stdout;
  const rules6 = (await lb.ip(['-6', 'rule', 'show'])).stdout;
  const table = (await lb.ip(['-4', 'route', 'show', 'table', `${TPROXY_TABLE}`]).catch(() => ({ stdout: '' }))).stdout;
  const nft = await lb.exec('nft', ['list', 'table', 'inet', TPROXY_NFT_TABLE]).then(
    () => true,
    () => false,
  );
  return { rules, rules6, table, nft };
}

beforeAll(async () => {
  lab = await Lab.create();
  dir = await mkdtemp(join(tmpdir(), 'sluice-tproxy-'));
  client = await lab.host('client');
  lb = await lab.host('lb');
  const server = await lab.host('alpha');
  await lab.link(client, lb, {
    aAddrs: [`${CLIENT}/24`, `${CLIENT6}/64`],
    bAddrs: ['192.0.2.1/24', `${VIP}/24`, '2001:db8:1::1/64', `${VIP6}/64`],
  });
  await lab.link(lb, server, {
    aAddrs: ['198.51.100.1/24', '2001:db8:2::1/64'],
    bAddrs: [`${SERVER}/24`, `${SERVER6}/64`],
  });
  // The real server's side of TPROXY (its replies to clients go through the balancer): the
  // appliance documents it, the real server's administrator sets it.
  await server.addRoute('192.0.2.0/24', '198.51.100.1');
  await server.addRoute('2001:db8:1::/64', '2001:db8:2::1', 6);
  for (const [address, port] of [
    ['0.0.0.0', '8090'],
    ['::', '8091'],
  ]) {
    const echo = server.spawn(process.execPath, [
      join(import.meta.dirname, 'fixtures', 'header-echo.mjs'),
      'alpha',
      address as string,
      port as string,
    ]);
    await echo.waitForLine('READY', 30_000);
  }
  driver = createLayer7Driver({
    stateDir: join(dir, 'state'),
    logs,
    netns: lb.netns,
    tproxyRouting: new TproxyRouting({ netns: lb.netns }),
  });
}, 120_000);

afterAll(async () => {
  await driver?.stop();
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('TPROXY routing set up by the Layer 7 driver', () => {
  it('a TPROXY service: the real server sees the client address, and the reply returns', async () => {
    const { changes } = await driver.apply(input(true));
    // Twice: the second connection too (the routing is not a one-off).
    expect(await peerSeen()).toBe(CLIENT);
    expect(await peerSeen()).toBe(CLIENT);
    expect(await peerSeen(VIP6)).toBe(CLIENT6);
    expect(changes.some((c) => c.startsWith('layer7: TPROXY routing set up'))).toBe(true);
    const now = await routing();
    expect(now.rules).toContain(`${TPROXY_RULE_PRIORITY}:\tfrom all fwmark 0x534c lookup ${TPROXY_TABLE}`);
    expect(now.rules6).toContain(`${TPROXY_RULE_PRIORITY}:\tfrom all fwmark 0x534c lookup ${TPROXY_TABLE}`);
    expect(now.table).toContain('local default dev lo');
    expect(now.nft).toBe(true);
  });

  it('a set-up over routing an earlier run left adds no second rule', async () => {
    const again = new TproxyRouting({ netns: lb.netns });
    // A new daemon on routing an earlier run left: set up again, not duplicated.
    expect(await again.sync(true)).toHaveLength(1);
    const { rules } = await routing();
    expect(rules.split('\n').filter((l) => l.startsWith(`${TPROXY_RULE_PRIORITY}:`))).toHaveLength(1);
  });

  it('drift puts back routing removed out of band', async () => {
    await lb.ip(['-4', 'rule', 'del', 'priority', `${TPROXY_RULE_PRIORITY}`]);
    await lb.exec('nft', ['delete', 'table', 'inet', TPROXY_NFT_TABLE]);
    expect((await driver.drift?.()) ?? []).toContain('layer7: TPROXY routing put back (changed out of band)');
    expect(await peerSeen()).toBe(CLIENT);
    expect((await routing()).rules).toContain(`fwmark 0x534c lookup ${TPROXY_TABLE}`);
    // Intact: nothing to do.
    expect((await driver.drift?.()) ?? []).toEqual([]);
  });

  it('a change that is refused leaves the routing as it is', async () => {
    // No TPROXY service any more, but a certificate that cannot be read: nothing is applied.
    const refused = input(false, {
      certificates: [{ label: 'gone', file: join(dir, 'missing.pem') }],
      ssl: [{ label: 'tls', certificate: 'gone', vip: VIP, port: 443, service: 'web' }],
    });
    await expect(driver.apply(refused)).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID' });
    expect(await peerSeen()).toBe(CLIENT);
    expect((await routing()).nft).toBe(true);
  });

  it('without a TPROXY service the rule, the route table and the nft table are gone', async () => {
    const { changes } = await driver.apply(input(false));
    expect(changes).toContain('layer7: TPROXY routing removed (no TPROXY service left)');
    // HAProxy connects from its own address again.
    expect(await peerSeen()).toBe('198.51.100.1');
    expect(await peerSeen(VIP6)).toBe('2001:db8:2::1');
    const now = await routing();
    expect(now.rules).not.toContain(`${TPROXY_TABLE}`);
    expect(now.rules6).not.toContain(`${TPROXY_TABLE}`);
    expect(now.table.trim()).toBe('');
    expect(now.nft).toBe(false);
  });
});
