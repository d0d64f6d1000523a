import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import type { ConnectionSyncStatus } from '../../src/model/engine-status.js';
import { deferred, FakeAdminStates, fakeDrivers, MemoryLogBook, pairHeartbeat, twoServices, version } from './fakes.js';

function setup(options: { driftIntervalMs?: number; observeIntervalMs?: number } = {}) {
  const drivers = fakeDrivers();
  const adminStates = new FakeAdminStates();
  const logs = new MemoryLogBook();
  let current = version(1, twoServices());
  const engine = createEngine({
    store: () => current,
    adminStates,
    logs,
    stateDir: '/nonexistent',
    drivers,
    now: () => new Date('2026-01-02T03:04:05.000Z'),
    driftIntervalMs: options.driftIntervalMs ?? 0,
    observeIntervalMs: options.observeIntervalMs ?? 0,
  });
  return {
    engine,
    drivers,
    adminStates,
    logs,
    setCurrent: (v: typeof current) => {
      current = v;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('engine: parts', () => {
  it('start() applies the store current version to every part, in order', async () => {
    const { engine, drivers, logs } = setup();
    await engine.start();
    expect(drivers.layer4.inputs.map((i) => i.version)).toEqual([1]);
    expect(engine.status().parts).toEqual([
      { part: 'health', state: 'applied', appliedAt: '2026-01-02T03:04:05.000Z' },
      { part: 'addresses', state: 'applied', appliedAt: '2026-01-02T03:04:05.000Z' },
      { part: 'layer4', state: 'applied', appliedAt: '2026-01-02T03:04:05.000Z' },
      { part: 'layer7', state: 'applied', appliedAt: '2026-01-02T03:04:05.000Z' },
      { part: 'bgp', state: 'applied', appliedAt: '2026-01-02T03:04:05.000Z' },
    ]);
    expect(logs.on('layer4', 'info')).toContain('layer4: applied version 1');
    expect(logs.on('system', 'info').at(-1)).toMatch(/^engine: applied version 1 \(4 changes; /);
    await engine.stop();
    expect(drivers.layer4.stopped).toBe(true);
  });

  it('an unavailable part is reported with its reason and the others still apply', async () => {
    const { engine, drivers } = setup();
    drivers.layer4.probeResult = { available: false, detail: 'IPVS: this kernel has no IPVS' };
    const report = await engine.apply(version(2, twoServices()));
    expect(report.parts.find((p) => p.part === 'layer4')).toEqual({
      part: 'layer4',
      state: 'unavailable',
      detail: 'IPVS: this kernel has no IPVS',
    });
    expect(drivers.layer4.inputs).toHaveLength(0);
    expect(drivers.layer7.inputs).toHaveLength(1);
    expect(report.parts.filter((p) => p.state === 'applied').map((p) => p.part)).toEqual([
      'health',
      'addresses',
      'layer7',
      'bgp',
    ]);
    // Asked again at the next full apply: the module may have been loaded since.
    drivers.layer4.probeResult = { available: true };
    const again = await engine.apply(version(3, twoServices()));
    expect(again.parts.find((p) => p.part === 'layer4')?.state).toBe('applied');
  });

  it('a failing part is failed with the error message; apply resolves and reports it', async () => {
    const { engine, drivers, logs } = setup();
    await engine.apply(version(1, twoServices()));
    drivers.layer7.failWith = new Error('haproxy: bind 192.0.2.10:80 failed');
    const report = await engine.apply(version(2, twoServices()));
    expect(report.parts.find((p) => p.part === 'layer7')).toEqual({
      part: 'layer7',
      state: 'failed',
      detail: 'haproxy: bind 192.0.2.10:80 failed',
      appliedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(report.parts.find((p) => p.part === 'layer4')?.state).toBe('applied');
    expect(report.changes).toEqual([
      'health: applied version 2',
      'addresses: applied version 2',
      'layer4: applied version 2',
    ]);
    expect(logs.on('layer7', 'error')).toEqual([
      'layer7: applying version 2 failed: haproxy: bind 192.0.2.10:80 failed',
    ]);
    // Only the VIPs of the failed part's layer turn yellow (web's servers are unchecked: grey).
    expect(engine.status().services.find((s) => s.label === 'web')?.colour).toBe('grey');
    drivers.layer4.failWith = new Error('IPVS refused 1 of 2 changes');
    await engine.apply(version(3, twoServices()));
    expect(engine.status().services.find((s) => s.label === 'web')?.colour).toBe('yellow');
  });

  it('a driver without a Layer 7 part is reported unavailable', async () => {
    const adminStates = new FakeAdminStates();
    const { layer7: _, ...rest } = fakeDrivers();
    const engine = createEngine({
      store: () => version(1, twoServices()),
      adminStates,
      logs: new MemoryLogBook(),
      stateDir: '/nonexistent',
      drivers: rest,
      driftIntervalMs: 0,
      observeIntervalMs: 0,
    });
    const report = await engine.apply(version(1, twoServices()));
    expect(report.parts.find((p) => p.part === 'layer7')).toEqual({
      part: 'layer7',
      state: 'unavailable',
      detail: 'no layer7 driver in this daemon',
    });
  });

  it('an applied part with a remark keeps it in its detail and logs a warning', async () => {
    const { engine, drivers, logs } = setup();
    drivers.addresses.detail = '192.0.2.99: no interface holds its network';
    const report = await engine.apply(version(1, twoServices()));
    expect(report.parts.find((p) => p.part === 'addresses')).toMatchObject({
      state: 'applied',
      detail: '192.0.2.99: no interface holds its network',
    });
    expect(logs.on('system', 'warn')).toEqual(['addresses: 192.0.2.99: no interface holds its network']);
  });
});

describe('engine: the version it runs', () => {
  it('appliedVersion is the last version whose whole apply ran, not the one it was just handed', async () => {
    const { engine, drivers } = setup();
    expect(engine.status().appliedVersion).toBeUndefined();
    await engine.start();
    expect(engine.status()).toMatchObject({ version: 1, appliedVersion: 1 });
    const gate = deferred();
    drivers.layer4.gate = gate;
    const applying = engine.apply(version(2, twoServices()));
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.status()).toMatchObject({ version: 2, appliedVersion: 1 });
    gate.resolve();
    await applying;
    expect(engine.status()).toMatchObject({ version: 2, appliedVersion: 2 });
    // A part that failed still ran its try: the node runs the version, its parts say what failed.
    drivers.layer4.gate = undefined;
    drivers.layer4.failWith = new Error('refused');
    await engine.apply(version(3, twoServices()));
    expect(engine.status().appliedVersion).toBe(3);
    await engine.stop();
  });
});

describe('engine: serialised and coalesced applies', () => {
  it('a burst of applies while one runs runs once more, with the newest version', async () => {
    const { engine, drivers } = setup();
    const gate = deferred();
    drivers.layer4.gate = gate;
    const first = engine.apply(version(1, twoServices()));
    // Let the first run reach the layer4 driver.
    await vi.waitFor(() => expect(drivers.layer4.inputs).toHaveLength(1));
    const second = engine.apply(version(2, twoServices()));
    const third = engine.apply(version(3, twoServices()));
    drivers.layer4.gate = undefined;
    gate.resolve();
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(drivers.layer4.inputs.map((i) => i.version)).toEqual([1, 3]);
    expect(r1.version).toBe(1);
    expect(r2.version).toBe(3);
    expect(r3.version).toBe(3);
  });

  it('never runs two applies of a driver at once', async () => {
    const { engine, drivers } = setup();
    let inFlight = 0;
    let most = 0;
    const apply = drivers.layer4.apply.bind(drivers.layer4);
    drivers.layer4.apply = async (input) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await Promise.resolve();
      const r = await apply(input);
      inFlight--;
      return r;
    };
    await Promise.all([1, 2, 3, 4, 5].map((n) => engine.apply(version(n, twoServices()))));
    expect(most).toBe(1);
    expect(drivers.layer4.inputs.at(-1)?.version).toBe(5);
  });
});

describe('engine: admin states and health', () => {
  it('an admin state change re-applies only its layer, scoped to its service', async () => {
    const { engine, drivers, adminStates } = setup();
    await engine.start();
    await adminStates.set({ layer: 'layer4', service: 'web', server: 'alpha' }, 'drain', 'admin');
    await engine.idle();
    expect(drivers.layer4.inputs).toHaveLength(2);
    expect(drivers.layer4.inputs[1]?.scope).toEqual([{ layer: 'layer4', service: 'web' }]);
    expect(drivers.layer4.seen[1]?.['layer4/web/alpha']).toEqual({ admin: 'drain', health: 'unchecked' });
    expect(drivers.layer7.inputs).toHaveLength(1);
    expect(drivers.addresses.inputs).toHaveLength(1);
    const web = engine.status().services.find((s) => s.label === 'web');
    expect(web?.realServers.map((s) => [s.label, s.colour, s.effectiveWeight])).toEqual([
      ['alpha', 'blue', 0],
      // No health check: it takes traffic, but is not shown healthy.
      ['bravo', 'grey', 1],
    ]);
    expect(web?.colour).toBe('yellow');
    await engine.stop();
  });

  it('a health transition is logged on the health channel and re-applies that service', async () => {
    const { engine, drivers, logs } = setup();
    await engine.start();
    const statuses: string[] = [];
    engine.onStatus(() => statuses.push(engine.status().services[0]?.realServers[0]?.colour ?? ''));
    drivers.health.transition({
      ref: { layer: 'layer4', service: 'web', server: 'alpha' },
      state: 'down',
      reason: 'refused',
    });
    await engine.idle();
    expect(logs.on('health', 'warn')).toEqual(['alpha of layer4 service web is down: refused']);
    expect(drivers.layer4.inputs[1]?.scope).toEqual([{ layer: 'layer4', service: 'web' }]);
    expect(drivers.layer4.seen[1]?.['layer4/web/alpha']).toEqual({ admin: 'online', health: 'down' });
    const alpha = engine.status().services[0]?.realServers[0];
    expect(alpha).toMatchObject({ colour: 'red', health: 'down', healthReason: 'refused', effectiveWeight: 0 });
    expect(statuses).toContain('red');
    drivers.health.transition({ ref: { layer: 'layer4', service: 'web', server: 'alpha' }, state: 'up' });
    await engine.idle();
    expect(logs.on('health', 'info')).toEqual(['alpha of layer4 service web is up']);
    expect(engine.status().services[0]?.realServers[0]?.colour).toBe('green');
    await engine.stop();
  });

  it('the states revision a driver sees moves with every admin or health change, and after checks changed', async () => {
    const { engine, drivers, adminStates, setCurrent } = setup();
    const revisions: (number | undefined)[] = [];
    const apply = drivers.layer4.apply.bind(drivers.layer4);
    drivers.layer4.apply = (input) => {
      revisions.push(input.statesRevision?.());
      return apply(input);
    };
    let healthChanges = ['health: check layer4/web/alpha'];
    drivers.health.apply = async () => ({ changes: healthChanges });
    await engine.start();
    healthChanges = [];
    await engine.apply(version(2, twoServices()));
    // Nothing changed any state between these two full applies: a driver may reuse what it read.
    expect(revisions[1]).toBe(revisions[0]);
    await adminStates.set({ layer: 'layer4', service: 'web', server: 'alpha' }, 'drain', 'admin');
    await engine.idle();
    drivers.health.transition({ ref: { layer: 'layer4', service: 'web', server: 'bravo' }, state: 'down' });
    await engine.idle();
    healthChanges = ['health: stop checking layer4/web/bravo'];
    setCurrent(version(3, twoServices()));
    await engine.apply(version(3, twoServices()));
    expect(revisions).toHaveLength(5);
    for (let i = 2; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1] as number);
    await engine.stop();
  });

  it('colours: every server down with a fallback is red with fallbackActive; all offline is blue', async () => {
    const { engine, drivers, adminStates } = setup();
    await engine.start();
    drivers.health.transition({
      ref: { layer: 'layer4', service: 'web', server: 'alpha' },
      state: 'down',
      reason: 'timeout',
    });
    await adminStates.set({ layer: 'layer4', service: 'web', server: 'bravo' }, 'offline', 'admin');
    await engine.idle();
    const web = engine.status().services.find((s) => s.label === 'web');
    expect(web).toMatchObject({ colour: 'red', fallbackActive: true });
    await adminStates.set({ layer: 'layer4', service: 'web', server: 'alpha' }, 'offline', 'admin');
    await engine.idle();
    expect(engine.status().services.find((s) => s.label === 'web')).toMatchObject({
      colour: 'blue',
      fallbackActive: true,
    });
    // dns has no health check: its servers take traffic, not known healthy.
    expect(engine.status().services.find((s) => s.label === 'dns')?.colour).toBe('grey');
    await engine.stop();
  });

  it('setActive(false) re-applies the addresses, and Layer 4 with no service in scope (its sync daemon follows the role)', async () => {
    const { engine, drivers } = setup();
    await engine.start();
    await engine.setActive(false);
    expect(drivers.addresses.inputs.map((i) => i.active)).toEqual([true, false]);
    expect(drivers.layer4.inputs.map((i) => [i.active, i.scope])).toEqual([
      [true, undefined],
      [false, []],
    ]);
    expect(drivers.health.inputs).toHaveLength(1);
    expect(drivers.layer7.inputs).toHaveLength(1);
    await engine.setActive(false);
    expect(drivers.addresses.inputs).toHaveLength(2);
    expect(drivers.layer4.inputs).toHaveLength(2);
    await engine.stop();
  });

  it('announce() asks the addresses part alone, and only while active', async () => {
    const { engine, drivers } = setup();
    await engine.start();
    await engine.announce('pending');
    await engine.announce();
    expect(drivers.addresses.announced).toEqual(['pending', 'all']);
    expect(drivers.layer4.announced).toEqual([]);
    await engine.setActive(false);
    await engine.announce();
    expect(drivers.addresses.announced).toEqual(['pending', 'all']);
    expect(drivers.addresses.inputs).toHaveLength(2);
    await engine.stop();
  });
});

describe('engine: connection sync status', () => {
  const withSync = () => version(2, { ...twoServices(), ...pairHeartbeat({ interface: 'eth1' }) });

  it("is the Layer 4 driver's; a configured one is unavailable, with the reason, where IPVS is", async () => {
    const { engine, drivers } = setup();
    expect(engine.status().connectionSync).toBeUndefined();
    let sync: ConnectionSyncStatus = { state: 'backup', interface: 'eth1', syncId: 0 };
    Object.assign(drivers.layer4, { connectionSync: () => sync });
    await engine.apply(withSync());
    expect(engine.status().connectionSync).toEqual(sync);
    sync = { state: 'master', interface: 'eth1', syncId: 0 };
    expect(engine.status().connectionSync).toEqual(sync);
    const { engine: noIpvs, drivers: noIpvsDrivers } = setup();
    noIpvsDrivers.layer4.probeResult = { available: false, detail: 'IPVS: this kernel has no IPVS' };
    Object.assign(noIpvsDrivers.layer4, { connectionSync: () => ({ state: 'off' }) });
    await noIpvs.apply(withSync());
    expect(noIpvs.status().connectionSync).toEqual({
      state: 'unavailable',
      detail: 'connection sync: IPVS: this kernel has no IPVS',
    });
    // Not configured: off, whatever IPVS can do.
    await noIpvs.apply(version(3, twoServices()));
    expect(noIpvs.status().connectionSync).toEqual({ state: 'off' });
    await Promise.all([engine.stop(), noIpvs.stop()]);
  });
});

describe('engine: timers (fake clock)', () => {
  it('drift repairs are logged as warnings on the part channel', async () => {
    vi.useFakeTimers();
    const { engine, drivers, logs } = setup({ driftIntervalMs: 5000 });
    await engine.start();
    drivers.layer4.driftLines = ['layer4: - tcp 192.0.2.99:80'];
    await vi.advanceTimersByTimeAsync(5000);
    expect(logs.on('layer4', 'warn')).toEqual([
      'drift: changed outside the appliance, put back: layer4: - tcp 192.0.2.99:80',
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(logs.on('layer4', 'warn')).toHaveLength(1);
    await engine.stop();
  });

  it('observations refresh on the timer and feed the status; listeners fire on change only', async () => {
    vi.useFakeTimers();
    const { engine, drivers } = setup({ observeIntervalMs: 2000 });
    await engine.start();
    // The status of the start's apply goes out on the next turn of the event loop.
    await vi.advanceTimersByTimeAsync(1);
    const seen: number[] = [];
    engine.onStatus(() => seen.push(engine.status().services[0]?.connections ?? -1));
    drivers.layer4.observations = new Map([
      [
        'layer4/web/alpha',
        { activeConnections: 4, inactiveConnections: 1, bytesIn: 100, bytesOut: 900, effectiveWeight: 3 },
      ],
    ]);
    await vi.advanceTimersByTimeAsync(2000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([5]);
    const web = engine.status().services[0];
    expect(web).toMatchObject({ connections: 5, bytesIn: 100, bytesOut: 900 });
    expect(web?.realServers[0]).toMatchObject({ activeConnections: 4, effectiveWeight: 3 });
    await engine.stop();
  });
});

describe('engine: metrics', () => {
  it('times each part apply and counts its failures; hands over the drivers readings', async () => {
    const { engine, drivers } = setup();
    await engine.apply(version(1, twoServices()));
    drivers.layer7.failWith = new Error('haproxy: bind 192.0.2.10:80 failed');
    await engine.apply(version(2, twoServices()));
    const metrics = engine.metrics();
    expect([...metrics.applySeconds.keys()]).toEqual(['health', 'addresses', 'layer4', 'layer7', 'bgp']);
    expect(metrics.applySeconds.get('layer4')?.count).toBe(2);
    // A failed apply is timed too, and counted.
    expect(metrics.applySeconds.get('layer7')?.count).toBe(2);
    expect(Object.fromEntries(metrics.applyFailures)).toEqual({
      health: 0,
      addresses: 0,
      layer4: 0,
      layer7: 1,
      bgp: 0,
    });
    // Fake drivers keep no IPVS table or `show stat`: nothing to render.
    expect(metrics.ipvs).toBeUndefined();
    expect(metrics.haproxy).toBeUndefined();
  });
});
