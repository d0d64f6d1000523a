import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { FakeAdminStates, FakeDriver, fakeDrivers, MemoryLogBook, version } from './fakes.js';

/** The addresses part of a host whose only network is 192.0.2.0/24. */
class HostAddresses extends FakeDriver {
  constructor() {
    super('addresses');
  }
  async unplaced(config: ApplianceConfig): Promise<string[]> {
    const inNetwork = (address: string) => address.startsWith('192.0.2.');
    return [
      ...config.floatingIps.map((f) => f.address).filter((a) => !inNetwork(a.split('/')[0] ?? '')),
      ...[...config.layer4, ...config.layer7, ...config.ssl].map((s) => s.vip).filter((a) => !inNetwork(a)),
    ];
  }
}

const config = version(1, {
  certificates: [{ label: 'cert', file: '/etc/ssl/site.pem' }],
  floatingIps: [{ address: '203.0.113.5/24' }],
  layer4: [
    { label: 'in', vip: '192.0.2.10', ports: [80], realServers: [{ label: 'a', address: '192.0.2.20' }] },
    { label: 'out', vip: '203.0.113.80', ports: [80], realServers: [{ label: 'a', address: '192.0.2.20' }] },
  ],
  layer7: [{ label: 'site', vip: '192.0.2.30', ports: [80], realServers: [{ label: 'b', address: '192.0.2.21' }] }],
  ssl: [{ label: 'tls', certificate: 'cert', vip: '192.0.2.30', port: 443, service: 'site' }],
});

function setup() {
  const drivers = { ...fakeDrivers(), addresses: new HostAddresses() };
  const engine = createEngine({
    store: () => config,
    adminStates: new FakeAdminStates(),
    logs: new MemoryLogBook(),
    stateDir: '/nonexistent',
    drivers,
    driftIntervalMs: 0,
    observeIntervalMs: 0,
  });
  return { engine, drivers };
}

describe('engine: what this host cannot do of a configuration', () => {
  it('names each VIP and floating IP no interface holds the network of, at its field', async () => {
    const { engine } = setup();
    await engine.start();
    const warnings = await engine.hostWarnings(config.config);
    expect(warnings.map((w) => [w.code, w.field])).toEqual([
      ['HOST_ADDRESS_UNPLACED', 'floatingIps[0].address'],
      ['HOST_ADDRESS_UNPLACED', 'layer4[1].vip'],
    ]);
    expect(warnings[1]?.message).toBe(
      'layer4[1].vip: 203.0.113.80: no interface holds its network, so it is not added to this host; give it a floating IP with an interface',
    );
    await engine.stop();
  });

  it('names each service of a part this host cannot run, with the reason; nothing before the parts are probed', async () => {
    const { engine, drivers } = setup();
    drivers.layer4.probeResult = { available: false, detail: 'IPVS: not in this kernel' };
    drivers.layer7.probeResult = { available: false, detail: 'haproxy is not installed' };
    expect(await engine.hostWarnings(config.config)).toEqual([]);
    await engine.start();
    const parts = (await engine.hostWarnings(config.config)).filter((w) => w.code === 'HOST_PART_UNAVAILABLE');
    expect(parts.map((w) => w.field)).toEqual(['layer4[0]', 'layer4[1]', 'layer7[0]', 'ssl[0]']);
    expect(parts[0]?.message).toBe(
      'layer4[0]: Layer 4 is unavailable on this host, because IPVS: not in this kernel: stored, but it carries no traffic here',
    );
    await engine.stop();
  });

  it("shows the SSL termination's HTTPS listener with the Layer 7 service it feeds, in its colour", async () => {
    const { engine } = setup();
    await engine.start();
    const status = engine.status();
    const site = status.services.find((s) => s.label === 'site');
    expect(status.terminations).toEqual([
      { label: 'tls', vip: '192.0.2.30', port: 443, certificate: 'cert', service: 'site', colour: site?.colour },
    ]);
    expect(site?.colour).toBe('grey');
    await engine.stop();
  });
});
