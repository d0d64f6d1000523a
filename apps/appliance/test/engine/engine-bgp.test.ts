import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import type { NodeHold } from '../../src/model/engine-status.js';
import { ecmpConfig } from '../fixtures/ecmp-config.js';
import { FakeAdminStates, FakeDriver, fakeDrivers, MemoryLogBook, twoServices, version } from './fakes.js';

/** The bgp part as the engine drives it: what it was asked, and the holds it was given. */
class FakeBgp extends FakeDriver {
  readonly holds: NodeHold[] = [];
  constructor() {
    super('bgp');
  }
  setHold(hold: NodeHold): void {
    this.holds.push(hold);
  }
  bgpStatus() {
    return { state: 'running' as const, drained: this.holds.at(-1)?.drain ?? false, peers: [], vips: [] };
  }
}

function setup(config = ecmpConfig(), nodeName = 'lb1') {
  const bgp = new FakeBgp();
  const drivers = { ...fakeDrivers(), bgp };
  const adminStates = new FakeAdminStates();
  const engine = createEngine({
    store: () => version(1, config),
    adminStates,
    logs: new MemoryLogBook(),
    stateDir: '/nonexistent',
    nodeName,
    drivers,
    driftIntervalMs: 0,
    observeIntervalMs: 0,
  });
  return { engine, drivers, bgp, adminStates };
}

describe('engine: the bgp part of an ECMP cluster', () => {
  it('applies last, after the parts that serve the VIPs, and sees their states', async () => {
    const { engine, drivers, bgp } = setup();
    const order: string[] = [];
    for (const d of [drivers.health, drivers.addresses, drivers.layer4, drivers.layer7, bgp]) {
      const apply = d.apply.bind(d);
      d.apply = (input) => {
        order.push(d.part);
        return apply(input);
      };
    }
    drivers.layer7.failWith = new Error('haproxy: bind failed');
    await engine.start();
    expect(order).toEqual(['health', 'addresses', 'layer4', 'layer7', 'bgp']);
    expect(bgp.inputs[0]?.partState?.('layer7')).toBe('failed');
    expect(bgp.inputs[0]?.partState?.('layer4')).toBe('applied');
    expect(engine.status().bgp).toEqual({ state: 'running', drained: false, peers: [], vips: [] });
    await engine.stop();
    expect(bgp.stopped).toBe(true);
  });

  it('a health transition or an admin state change re-applies the bgp part with that service scope', async () => {
    const { engine, drivers, bgp, adminStates } = setup();
    await engine.start();
    drivers.health.transition({ ref: { layer: 'layer4', service: 'web', server: 'rs1' }, state: 'down' });
    await engine.idle();
    expect(bgp.inputs).toHaveLength(2);
    expect(bgp.inputs[1]?.scope).toEqual([{ layer: 'layer4', service: 'web' }]);
    expect(bgp.seen[1]?.['layer4/web/rs1']).toEqual({ admin: 'online', health: 'down' });
    await adminStates.set({ layer: 'layer4', service: 'web', server: 'rs2' }, 'offline', 'admin');
    await engine.idle();
    expect(bgp.inputs).toHaveLength(3);
    await engine.stop();
  });

  it('setNodeHold hands the hold to the part and resolves once it applied it', async () => {
    const { engine, bgp, drivers } = setup();
    await engine.start();
    const layer4Applies = drivers.layer4.inputs.length;
    await engine.setNodeHold({ drain: true });
    expect(bgp.holds).toEqual([{ drain: true }]);
    expect(bgp.inputs).toHaveLength(2);
    expect(drivers.layer4.inputs).toHaveLength(layer4Applies);
    expect(engine.status().bgp?.drained).toBe(true);
    await engine.stop();
  });

  it('a change of the health HAProxy reports re-applies the bgp part (Layer 7 has no transitions)', async () => {
    const config = ecmpConfig();
    config.layer7 = [
      { label: 'app', vip: '203.0.113.20', ports: [80], realServers: [{ label: 'h1', address: '198.51.100.21' }] },
    ];
    const { engine, drivers, bgp } = setup(config);
    await engine.start();
    const observed = (health: 'up' | 'down') =>
      drivers.layer7.observations.set('layer7/app/h1', {
        activeConnections: 0,
        inactiveConnections: 0,
        bytesIn: 0,
        bytesOut: 0,
        health,
        effectiveWeight: health === 'up' ? 1 : 0,
      });
    observed('up');
    await engine.refreshObservations();
    await engine.idle();
    const applies = bgp.inputs.length;
    // Counters alone change nothing it announces.
    await engine.refreshObservations();
    await engine.idle();
    expect(bgp.inputs).toHaveLength(applies);
    observed('down');
    await engine.refreshObservations();
    await engine.idle();
    expect(bgp.inputs).toHaveLength(applies + 1);
    expect(bgp.inputs.at(-1)?.server({ layer: 'layer7', service: 'app', server: 'h1' }).health).toBe('down');
    await engine.stop();
  });

  it('outside ECMP a health transition leaves the bgp part alone, and the status has no bgp', async () => {
    const { engine, drivers, bgp } = setup(twoServices());
    await engine.start();
    drivers.health.transition({ ref: { layer: 'layer4', service: 'web', server: 'alpha' }, state: 'down' });
    await engine.idle();
    expect(bgp.inputs).toHaveLength(1);
    expect(engine.status().bgp).toBeUndefined();
    await engine.stop();
  });
  it('warns the write that stores an ECMP cluster this node is not listed in (it would announce nothing)', async () => {
    const { engine } = setup(ecmpConfig(), 'lb9');
    const config = version(1, ecmpConfig()).config;
    expect(await engine.hostWarnings(config)).toEqual([
      expect.objectContaining({ code: 'HOST_NODE_UNLISTED', field: 'cluster.nodes' }),
    ]);
    const listed = setup(ecmpConfig(), 'lb2').engine;
    expect(await listed.hostWarnings(config)).toEqual([]);
    expect(await listed.hostWarnings(version(1, {}).config)).toEqual([]);
  });
});
