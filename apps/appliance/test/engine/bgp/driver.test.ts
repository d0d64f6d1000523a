import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BgpSession } from '../../../src/engine/bgp/birdc.js';
import { type BirdDaemon, createBgpDriver } from '../../../src/engine/bgp/driver.js';
import type { DesiredInput } from '../../../src/engine/driver.js';
import type { HealthState } from '../../../src/model/engine-status.js';
import { ecmpConfig } from '../../fixtures/ecmp-config.js';
import { twoServices, version } from '../fakes.js';

/** A BIRD that records the configuration it was started or reconfigured with. */
class FakeBird implements BirdDaemon {
  running = true;
  readonly configs: string[] = [];
  failConfigure: Error | undefined;
  sessions: BgpSession[] = [
    {
      name: 'peer1',
      protocol: 'BGP',
      table: '---',
      state: 'up',
      since: '2026-12-07 15:53:49.017',
      info: 'Established',
      bgpState: 'Established',
    },
  ];
  constructor(private readonly file: string) {
    this.configs.push(readFileSync(file, 'utf8'));
  }
  readonly control = {
    configure: async () => {
      if (this.failConfigure) throw this.failConfigure;
      this.configs.push(readFileSync(this.file, 'utf8'));
    },
    bgpSessions: async () => {
      this.sessionReads++;
      return this.sessions;
    },
  };
  /** How often BIRD was asked for its sessions. */
  sessionReads = 0;
  async stop(): Promise<void> {
    this.running = false;
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-bgp-driver-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(nodeName = 'lb1') {
  const clock = { now: 1_000_000 };
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const birds: FakeBird[] = [];
  const started: { netns?: string; configFile: string }[] = [];
  let reapplied = 0;
  const driver = createBgpDriver({
    dir: join(dir, 'bird'),
    netns: 'lb',
    nodeName,
    reapply: () => {
      reapplied++;
    },
    now: () => clock.now,
    setTimer: (fn, ms) => {
      const timer = { fn, ms, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    probe: () => ({ available: true }),
    killLeftover: async () => false,
    start: async (options) => {
      started.push(options);
      const bird = new FakeBird(options.configFile);
      birds.push(bird);
      return bird;
    },
  });
  return { driver, clock, timers, birds, started, reapplied: () => reapplied };
}

const health: Record<string, HealthState> = {};
function input(n: number, config = ecmpConfig(), partState?: DesiredInput['partState']): DesiredInput {
  return {
    version: n,
    config: version(n, config).config,
    server: (ref) => ({ admin: 'online', health: health[ref.server] ?? 'up' }),
    ...(partState ? { partState } : {}),
  };
}
const exported = (text: string | undefined) => [...(text ?? '').matchAll(/route (\S+) blackhole/g)].map((m) => m[1]);

describe('bgp driver', () => {
  afterEach(() => {
    for (const k of Object.keys(health)) delete health[k];
  });

  it('starts BIRD in the namespace with this node router id and the serving VIPs; reconfigures only on a change', async () => {
    const { driver, birds, started } = setup();
    const result = await driver.apply(input(1));
    expect(result.changes).toEqual(['bgp: started BIRD', 'bgp: announce 203.0.113.10']);
    expect(started).toEqual([
      {
        configFile: join(dir, 'bird', 'bird.conf'),
        socketPath: join(dir, 'bird', 'bird.ctl'),
        pidFile: join(dir, 'bird', 'bird.pid'),
        netns: 'lb',
      },
    ]);
    const bird = birds[0] as FakeBird;
    expect(bird.configs[0]).toContain('router id 192.0.2.11;');
    expect(bird.configs[0]).toContain('neighbor 192.0.2.1 as 64500;');
    expect(exported(bird.configs[0])).toEqual(['203.0.113.10/32']);
    expect((await driver.apply(input(2))).changes).toEqual([]);
    expect(bird.configs).toHaveLength(1);
    expect(driver.bgpStatus()).toEqual({
      state: 'running',
      drained: false,
      peers: [
        {
          address: '192.0.2.1',
          asn: 64500,
          state: 'Established',
          since: new Date('2026-12-07T15:53:49.017').toISOString(),
          info: 'Established',
        },
      ],
      vips: [{ address: '203.0.113.10', state: 'announced', reason: 'healthy' }],
    });
  });

  it('withdraws a VIP whose real servers are all down, and announces it again when one is up', async () => {
    const { driver, birds } = setup();
    await driver.apply(input(1));
    Object.assign(health, { rs1: 'down', rs2: 'down', rs3: 'down' });
    const down = await driver.apply(input(2));
    expect(down.changes).toEqual(['bgp: withdraw 203.0.113.10 (no-healthy-real-server)']);
    const bird = birds[0] as FakeBird;
    expect(exported(bird.configs.at(-1))).toEqual([]);
    health.rs2 = 'up';
    expect((await driver.apply(input(3))).changes).toEqual(['bgp: announce 203.0.113.10']);
    expect(exported(bird.configs.at(-1))).toEqual(['203.0.113.10/32']);
  });

  it('a drain announces with GRACEFUL_SHUTDOWN for drainSeconds, then the timer re-applies and it is withdrawn', async () => {
    const { driver, birds, clock, timers, reapplied } = setup();
    await driver.apply(input(1));
    driver.setHold({ drain: true });
    const draining = await driver.apply(input(1));
    expect(draining.changes).toEqual(['bgp: drain 203.0.113.10 (announced with GRACEFUL_SHUTDOWN)']);
    const bird = birds[0] as FakeBird;
    expect(bird.configs.at(-1)).toContain('bgp_community.add((65535, 0))');
    expect(timers.map((t) => t.ms)).toEqual([10_000]);
    clock.now += 4_000;
    // An apply meanwhile keeps the one timer.
    await driver.apply(input(1));
    expect(timers).toHaveLength(1);
    clock.now += 6_000;
    timers[0]?.fn();
    expect(reapplied()).toBe(1);
    const drained = await driver.apply(input(1));
    expect(drained.changes).toEqual(['bgp: withdraw 203.0.113.10 (drained)']);
    expect(exported(bird.configs.at(-1))).toEqual([]);
    expect(driver.bgpStatus()?.drained).toBe(true);
    // Undrained: announced again at once.
    driver.setHold({ drain: false });
    expect((await driver.apply(input(1))).changes).toEqual(['bgp: announce 203.0.113.10']);
  });

  it('an undrain before the drain ends cancels its timer', async () => {
    const { driver, timers } = setup();
    await driver.apply(input(1));
    driver.setHold({ drain: true });
    await driver.apply(input(1));
    driver.setHold({ drain: false });
    expect(timers[0]?.cancelled).toBe(true);
  });

  it('stale, or another part failed: everything withdrawn with the reason', async () => {
    const { driver } = setup();
    await driver.apply(input(1));
    driver.setHold({ drain: false, stale: 'version 4 is 40 s behind the configuring node' });
    expect((await driver.apply(input(2))).changes).toEqual([
      'bgp: withdraw 203.0.113.10 (stale: version 4 is 40 s behind the configuring node)',
    ]);
    expect(driver.bgpStatus()?.stale).toBe('version 4 is 40 s behind the configuring node');
    driver.setHold({ drain: false });
    const failed = await driver.apply(input(3, ecmpConfig(), (p) => (p === 'layer4' ? 'failed' : 'applied')));
    expect(failed.changes).toEqual(['bgp: withdraw 203.0.113.10 (apply-failed: layer4)']);
  });

  it('outside ECMP: stops the BIRD it ran and reports nothing', async () => {
    const { driver, birds } = setup();
    expect((await driver.apply(input(1, twoServices()))).changes).toEqual([]);
    expect(driver.bgpStatus()).toBeUndefined();
    await driver.apply(input(2));
    expect((await driver.apply(input(3, twoServices()))).changes).toEqual(['bgp: stopped BIRD (not an ECMP cluster)']);
    expect(birds[0]?.running).toBe(false);
    expect(driver.bgpStatus()).toBeUndefined();
  });

  it('a node not in cluster.nodes fails the part, naming the setting', async () => {
    const { driver, started } = setup('lb9');
    await expect(driver.apply(input(1))).rejects.toMatchObject({ code: 'BGP_INVALID', field: 'cluster.nodes' });
    expect(started).toEqual([]);
    expect(driver.bgpStatus()?.state).toBe('failed');
  });

  it('lb3 (IPv6 address) uses its routerId; a refused configure fails the part and is tried again', async () => {
    const { driver, birds } = setup('lb3');
    await driver.apply(input(1));
    const bird = birds[0] as FakeBird;
    expect(bird.configs[0]).toContain('router id 192.0.2.13;');
    bird.failConfigure = new Error('BIRD refused');
    Object.assign(health, { rs1: 'down', rs2: 'down', rs3: 'down' });
    await expect(driver.apply(input(2))).rejects.toThrow('BIRD refused');
    expect(driver.bgpStatus()?.state).toBe('failed');
    bird.failConfigure = undefined;
    await driver.apply(input(3));
    expect(exported(bird.configs.at(-1))).toEqual([]);
    expect(driver.bgpStatus()?.state).toBe('running');
  });

  it('stop() stops BIRD (its sessions close) and shows every VIP withdrawn; a dead BIRD is started again', async () => {
    const { driver, birds } = setup();
    await driver.apply(input(1));
    expect(await driver.drift()).toEqual([]);
    // Right after an apply (which read the sessions) BIRD is not asked again; a later reading asks.
    const reads = (birds[0] as FakeBird).sessionReads;
    await driver.observe({ afterApply: true });
    expect((birds[0] as FakeBird).sessionReads).toBe(reads);
    await driver.observe();
    expect((birds[0] as FakeBird).sessionReads).toBe(reads + 1);
    (birds[0] as FakeBird).running = false;
    await driver.observe();
    expect(driver.bgpStatus()?.state).toBe('failed');
    // The drift check starts it again with what was last applied.
    expect(await driver.drift()).toEqual(['bgp: BIRD had stopped; started it again']);
    expect(birds).toHaveLength(2);
    expect(exported(birds[1]?.configs[0])).toEqual(['203.0.113.10/32']);
    expect(driver.bgpStatus()?.state).toBe('running');
    (birds[1] as FakeBird).running = false;
    expect((await driver.apply(input(2))).changes).toEqual(['bgp: started BIRD']);
    await driver.stop();
    expect(await driver.drift()).toEqual([]);
    expect(birds).toHaveLength(3);
    expect(birds[2]?.running).toBe(false);
    expect(driver.bgpStatus()).toMatchObject({
      state: 'stopped',
      vips: [{ address: '203.0.113.10', state: 'withdrawn', reason: 'stopped' }],
    });
  });
});
