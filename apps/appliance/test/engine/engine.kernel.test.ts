/**
 * The engine against the real kernel (the rig's UML kernel with IPVS): a director namespace
 * runs the engine as the daemon would, real servers and a client in their own namespaces,
 * checked with the real ipvsadm.
 */
import { fileURLToPath } from 'node:url';
import { type Host, Lab, type RunningServer } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApplianceConfigInput } from '../../src/model/schema.js';
import { bundleEngine } from './fixtures/bundle.js';
import { EngineHarness } from './fixtures/harness.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function config(weights: { alpha?: number; bravo?: number } = {}): ApplianceConfigInput {
  return {
    healthChecks: [{ label: 'tcp', type: 'connect', intervalSeconds: 1, timeoutSeconds: 1, rise: 1, fall: 1 }],
    layer4: [
      {
        label: 'nat4',
        vip: '203.0.113.10',
        ports: [80],
        forwarding: 'nat',
        scheduler: 'rr',
        healthCheck: 'tcp',
        fallback: { address: '192.0.2.200', port: 8080 },
        realServers: [
          { label: 'alpha', address: '192.0.2.11', port: 8080, weight: weights.alpha ?? 1 },
          { label: 'bravo', address: '192.0.2.12', port: 8080, weight: weights.bravo ?? 1 },
        ],
      },
      {
        label: 'dr4',
        vip: '192.0.2.100',
        ports: [80, 443],
        forwarding: 'dr',
        persistence: { timeoutSeconds: 300 },
        realServers: [
          { label: 'alpha', address: '192.0.2.11', weight: 2 },
          { label: 'bravo', address: '192.0.2.12', maxConnections: 100 },
        ],
      },
      {
        label: 'tun6',
        vip: '2001:db8::100',
        ports: [80],
        protocol: 'both',
        forwarding: 'tun',
        scheduler: 'wrr',
        realServers: [{ label: 'far', address: '2001:db8:1::11' }],
      },
      {
        label: 'nat6',
        vip: '2001:db8::10',
        ports: [53],
        protocol: 'udp',
        forwarding: 'nat',
        realServers: [{ label: 'dns', address: '2001:db8:1::12', port: 5353 }],
      },
    ],
  };
}

const EXPECTED_SAVE = [
  '-A -t 192.0.2.100:80 -s wlc -p 300',
  '-a -t 192.0.2.100:80 -r 192.0.2.11:80 -g -w 2',
  '-a -t 192.0.2.100:80 -r 192.0.2.12:80 -g -w 1',
  '-A -t 192.0.2.100:443 -s wlc -p 300',
  '-a -t 192.0.2.100:443 -r 192.0.2.11:443 -g -w 2',
  '-a -t 192.0.2.100:443 -r 192.0.2.12:443 -g -w 1',
  '-A -t 203.0.113.10:80 -s rr',
  '-a -t 203.0.113.10:80 -r 192.0.2.11:8080 -m -w 1',
  '-a -t 203.0.113.10:80 -r 192.0.2.12:8080 -m -w 1',
  '-A -t [2001:db8::100]:80 -s wrr',
  '-a -t [2001:db8::100]:80 -r [2001:db8:1::11]:80 -i -w 1 --tun-type ipip',
  '-A -u [2001:db8::10]:53 -s wlc',
  '-a -u [2001:db8::10]:53 -r [2001:db8:1::12]:5353 -m -w 1',
  '-A -u [2001:db8::100]:80 -s wrr',
  '-a -u [2001:db8::100]:80 -r [2001:db8:1::11]:80 -i -w 1 --tun-type ipip',
].sort();

describe('engine in the kernel: IPVS, health, drift, addresses', () => {
  let lab: Lab;
  let director: Host;
  let client: Host;
  let engine: EngineHarness;
  const servers = new Map<string, RunningServer>();

  const ipvsadm = async (...args: string[]) => (await director.exec('ipvsadm', args)).stdout;
  const saved = async () =>
    (await ipvsadm('-S', '-n'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
  const natLine = async (address: string) =>
    (await saved()).find((l) => l.startsWith('-a -t 203.0.113.10:80') && l.includes(`-r ${address}:`));
  const greetings = async (count: number) =>
    JSON.parse((await client.node(fixture('greetings.mjs'), ['203.0.113.10', '80', String(count)])).stdout) as string[];
  const serve = async (host: Host, name: string) => {
    servers.set(name, await host.serveTcp({ name: `${name}_server`, port: 8080 }));
  };
  const server = async (name: string) => (await engine.status()).services[0]?.realServers.find((s) => s.label === name);

  beforeAll(async () => {
    const bundle = await bundleEngine();
    lab = await Lab.create();
    client = await lab.host('client');
    director = await lab.host('director');
    const lan = await lab.switch('lan');
    await lab.link(client, director, {
      aAddrs: ['203.0.113.2/24', '2001:db8::2/64'],
      bAddrs: ['203.0.113.1/24', '2001:db8::1/64'],
    });
    await lab.attach(director, lan, ['192.0.2.1/24', '2001:db8:1::1/64']);
    await director.sysctl('net.ipv4.ip_forward', 1);
    await director.sysctl('net.ipv4.vs.conntrack', 0).catch(() => undefined);
    for (const [name, address] of [
      ['alpha', '192.0.2.11'],
      ['bravo', '192.0.2.12'],
    ] as const) {
      const host = await lab.host(name);
      await lab.attach(host, lan, [`${address}/24`]);
      await host.addRoute('default', '192.0.2.1');
      await serve(host, name);
    }
    engine = new EngineHarness(director.netns, bundle, { driftIntervalMs: 0, observeIntervalMs: 0 });
    await engine.ready;
    await engine.call('start');
  });

  afterAll(async () => {
    await engine?.close();
    await lab?.destroy();
  });

  it('programs DR, NAT and TUN services, v4 and v6, as ipvsadm shows them', async () => {
    const report = await engine.apply(config());
    expect(report.parts).toEqual([
      expect.objectContaining({ part: 'health', state: 'applied' }),
      expect.objectContaining({ part: 'addresses', state: 'applied' }),
      expect.objectContaining({ part: 'layer4', state: 'applied' }),
      expect.objectContaining({ part: 'layer7', state: 'unavailable' }),
      // Outside an ECMP cluster the bgp part does nothing (BIRD is installed in the test kernel).
      expect.objectContaining({ part: 'bgp', state: 'applied' }),
    ]);
    expect(await saved()).toEqual(EXPECTED_SAVE);
    // ipvsadm -S leaves thresholds out; --thresholds shows them.
    expect(await ipvsadm('-L', '-n', '-t', '192.0.2.100:80', '--thresholds')).toMatch(/-> 192\.0\.2\.12:80 +100 +0\b/);
    const list = await ipvsadm('-L', '-n');
    expect(list).toMatch(/TCP {2}203\.0\.113\.10:80 rr\n {2}-> 192\.0\.2\.11:8080 +Masq +1/);
    // Applying the same version again changes nothing in the kernel.
    expect((await engine.apply(config())).changes.filter((c) => c.startsWith('layer4'))).toEqual([]);
  });

  it('holds the VIPs on the interfaces whose networks hold them while active, releases them when passive', async () => {
    const addrs = async () => (await director.ip(['-o', 'addr', 'show'])).stdout;
    expect(await addrs()).toMatch(/eth0\s+inet 203\.0\.113\.10\/24/);
    expect(await addrs()).toMatch(/eth1\s+inet 192\.0\.2\.100\/24/);
    expect(await addrs()).toMatch(/eth0\s+inet6 2001:db8::100\/64/);
    await engine.call('setActive', { active: false });
    expect(await addrs()).not.toMatch(/203\.0\.113\.10|192\.0\.2\.100|2001:db8::100|2001:db8::10\//);
    await engine.call('setActive', { active: true });
    expect(await addrs()).toMatch(/eth0\s+inet 203\.0\.113\.10\/24/);
    // `ip addr del` out of band: drift puts it back and says so.
    await director.ip(['addr', 'del', '203.0.113.10/24', 'dev', 'eth0']);
    expect(await engine.call<string[]>('drift')).toEqual(['addresses: put back 203.0.113.10/24 on eth0']);
    expect(await addrs()).toMatch(/eth0\s+inet 203\.0\.113\.10\/24/);
    const warnings = (await engine.logs())
      .filter((r) => r.channel === 'system' && r.level === 'warn')
      .map((r) => r.message);
    expect(warnings).toContain(
      'drift: changed outside the appliance, put back: addresses: put back 203.0.113.10/24 on eth0',
    );
  });

  it('balances through the NAT service; a weight change and a drain are edits that keep a live connection', async () => {
    await vi.waitFor(async () => expect((await server('bravo'))?.health).toBe('up'), {
      timeout: 15_000,
      interval: 250,
    });
    expect((await greetings(4)).sort()).toEqual(['alpha_server', 'alpha_server', 'bravo_server', 'bravo_server']);
    const held = client.spawn(process.execPath, [fixture('hold-connection.mjs'), '203.0.113.10', '80']);
    const name = (await held.waitForLine('GREETING', 10_000)).replace('_server', '');
    const address = name === 'alpha' ? '192.0.2.11' : '192.0.2.12';
    const echoes = () => Number(/ECHO (\d+)\s*$/.exec(held.log)?.[1] ?? 0);
    const moreEchoes = async () => {
      const before = echoes();
      await vi.waitFor(() => expect(echoes()).toBeGreaterThan(before + 3), { timeout: 10_000, interval: 100 });
    };
    await moreEchoes();

    const weighted = await engine.apply(config({ [name]: 5 }));
    expect(weighted.changes).toEqual([`layer4: ~ tcp 203.0.113.10:80 -> ${address}:8080 (weight 1 -> 5)`]);
    expect(await natLine(address)).toBe(`-a -t 203.0.113.10:80 -r ${address}:8080 -m -w 5`);
    await moreEchoes();

    await engine.admin({ layer: 'layer4', service: 'nat4', server: name }, 'drain');
    await engine.call('idle');
    expect(await natLine(address)).toBe(`-a -t 203.0.113.10:80 -r ${address}:8080 -m -w 0`);
    expect(new Set(await greetings(4))).toEqual(new Set([name === 'alpha' ? 'bravo_server' : 'alpha_server']));
    await moreEchoes();
    expect(held.log).not.toContain('ERROR');
    const conns = await engine.connections();
    expect(conns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          protocol: 'tcp',
          state: 'ESTABLISHED',
          virtual: '203.0.113.10:80',
          destination: `${address}:8080`,
        }),
      ]),
    );
    expect((await server(name))?.colour).toBe('blue');
    await held.stop();
    await engine.admin({ layer: 'layer4', service: 'nat4', server: name }, 'online');
    await engine.apply(config());
    await engine.call('idle');
    expect(await saved()).toEqual(EXPECTED_SAVE);
  });

  it('repairs out-of-band ipvsadm -a and -d, with a warning in the layer4 log', async () => {
    await director.exec('ipvsadm', ['-a', '-t', '203.0.113.10:80', '-r', '192.0.2.13:8080', '-m']);
    await director.exec('ipvsadm', ['-d', '-t', '192.0.2.100:80', '-r', '192.0.2.11:80']);
    await director.exec('ipvsadm', ['-A', '-t', '192.0.2.99:22']);
    const repaired = await engine.call<string[]>('drift');
    expect(repaired.sort()).toEqual(
      [
        'layer4: + tcp 192.0.2.100:80 -> 192.0.2.11:80 dr weight 2',
        'layer4: - tcp 203.0.113.10:80 -> 192.0.2.13:8080',
        'layer4: - tcp 192.0.2.99:22',
      ].sort(),
    );
    expect(await saved()).toEqual(EXPECTED_SAVE);
    const warnings = (await engine.logs())
      .filter((r) => r.channel === 'layer4' && r.level === 'warn')
      .map((r) => r.message);
    expect(warnings).toContain('drift: changed outside the appliance, put back: layer4: - tcp 192.0.2.99:22');
    expect(await engine.call<string[]>('drift')).toEqual([]);
  });

  it('a real server that stops listening turns red with weight 0, and comes back', async () => {
    await servers.get('bravo')?.stop();
    await vi.waitFor(async () => expect((await server('bravo'))?.colour).toBe('red'), {
      timeout: 15_000,
      interval: 250,
    });
    await engine.call('idle');
    expect(await natLine('192.0.2.12')).toBe('-a -t 203.0.113.10:80 -r 192.0.2.12:8080 -m -w 0');
    expect((await server('bravo'))?.healthReason).toMatch(/^refused/);
    const health = (await engine.logs()).filter((r) => r.channel === 'health').map((r) => r.message);
    expect(health).toContain('bravo of layer4 service nat4 is down: refused: connect ECONNREFUSED 192.0.2.12:8080');
    await serve(lab.get('bravo'), 'bravo');
    await vi.waitFor(async () => expect((await server('bravo'))?.colour).toBe('green'), {
      timeout: 15_000,
      interval: 250,
    });
    await engine.call('idle');
    expect(await natLine('192.0.2.12')).toBe('-a -t 203.0.113.10:80 -r 192.0.2.12:8080 -m -w 1');
  });

  it('offline removes the destination; with every server out the fallback server is added', async () => {
    await engine.admin({ layer: 'layer4', service: 'nat4', server: 'alpha' }, 'offline');
    await engine.call('idle');
    expect(await natLine('192.0.2.11')).toBeUndefined();
    expect(await natLine('192.0.2.200')).toBeUndefined();
    await servers.get('bravo')?.stop();
    await vi.waitFor(
      async () => expect(await natLine('192.0.2.200')).toBe('-a -t 203.0.113.10:80 -r 192.0.2.200:8080 -m -w 1'),
      {
        timeout: 15_000,
        interval: 250,
      },
    );
    expect((await engine.status()).services[0]).toMatchObject({ colour: 'red', fallbackActive: true });
    await serve(lab.get('bravo'), 'bravo');
    await engine.admin({ layer: 'layer4', service: 'nat4', server: 'alpha' }, 'online');
    await vi.waitFor(async () => expect(await natLine('192.0.2.200')).toBeUndefined(), {
      timeout: 15_000,
      interval: 250,
    });
    await vi.waitFor(async () => expect((await engine.status()).services[0]?.colour).toBe('green'), {
      timeout: 15_000,
      interval: 250,
    });
    expect(await saved()).toEqual(EXPECTED_SAVE);
  });
});
