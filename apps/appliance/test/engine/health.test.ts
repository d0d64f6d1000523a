import type { CheckExecutor, CheckRequest, CheckResult, Clock } from '@sluice/health';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { placeAddresses } from '../../src/engine/addresses/placement.js';
import { checkDefinition, createHealthBridge, type HealthTransition } from '../../src/engine/health/bridge.js';
import { twoServices, version } from './fakes.js';

/** Answers from a table the test changes: address -> up or refused. */
class TableExecutor implements CheckExecutor {
  readonly down = new Set<string>();
  readonly requests: CheckRequest[] = [];
  async run(request: CheckRequest): Promise<CheckResult> {
    this.requests.push(request);
    return this.down.has(request.address)
      ? { ok: false, reason: 'refused', detail: 'connection refused' }
      : { ok: true };
  }
}

const fakeTimersClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, ms) => setTimeout(callback, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function config() {
  const c = twoServices();
  c.healthChecks = [{ label: 'tcp', type: 'connect', intervalSeconds: 1, timeoutSeconds: 1, rise: 2, fall: 2 }];
  return c;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('health bridge', () => {
  it('maps the appliance check types to @sluice/health definitions', () => {
    expect(
      checkDefinition({
        label: 'c',
        type: 'connect',
        port: 81,
        intervalSeconds: 10,
        timeoutSeconds: 5,
        rise: 2,
        fall: 3,
      }),
    ).toEqual({
      type: 'connect',
      port: 81,
    });
    expect(
      checkDefinition({
        label: 'h',
        type: 'https',
        path: '/health',
        host: 'www.example.com',
        expectStatus: 204,
        intervalSeconds: 10,
        timeoutSeconds: 5,
        rise: 2,
        fall: 3,
      }),
    ).toEqual({
      type: 'negotiate',
      scheme: 'https',
      path: '/health',
      host: 'www.example.com',
      expectStatus: [204],
      verify: false,
    });
    expect(
      checkDefinition({ label: 'p', type: 'ping', intervalSeconds: 10, timeoutSeconds: 5, rise: 2, fall: 3 }),
    ).toEqual({ type: 'ping' });
  });

  it('checks each real server of a checked Layer 4 service; transitions go down and back up', async () => {
    vi.useFakeTimers();
    const executor = new TableExecutor();
    const bridge = createHealthBridge({ executor, clock: fakeTimersClock, warmupMs: 0 });
    const transitions: HealthTransition[] = [];
    bridge.onTransition((t) => transitions.push(t));
    const v = version(1, config());
    const input = {
      version: 1,
      config: v.config,
      server: () => ({ admin: 'online' as const, health: 'unchecked' as const }),
    };
    const applied = await bridge.apply(input);
    expect(applied.changes).toEqual([
      'health: check layer4/web/alpha (connect 198.51.100.11:8080)',
      'health: check layer4/web/bravo (connect 198.51.100.12:8080)',
    ]);
    // dns has no check: not a target.
    expect(bridge.stateOf({ layer: 'layer4', service: 'dns', server: 'charlie' })).toBeUndefined();
    expect(bridge.stateOf({ layer: 'layer4', service: 'web', server: 'alpha' })).toEqual({ state: 'unknown' });
    await vi.advanceTimersByTimeAsync(2500);
    expect(bridge.stateOf({ layer: 'layer4', service: 'web', server: 'alpha' })).toEqual({ state: 'up' });
    executor.down.add('198.51.100.11');
    await vi.advanceTimersByTimeAsync(2000);
    expect(bridge.stateOf({ layer: 'layer4', service: 'web', server: 'alpha' })).toEqual({
      state: 'down',
      reason: 'refused: connection refused',
    });
    executor.down.clear();
    await vi.advanceTimersByTimeAsync(2000);
    expect(transitions.filter((t) => t.ref.server === 'alpha').map((t) => t.state)).toEqual(['up', 'down', 'up']);
    // Re-applying the same configuration changes nothing and keeps the states.
    expect((await bridge.apply(input)).changes).toEqual([]);
    expect(bridge.stateOf({ layer: 'layer4', service: 'web', server: 'alpha' })?.state).toBe('up');
    // Dropping the check stops it.
    const without = version(2, {
      ...config(),
      layer4: config().layer4?.map((s) => ({ ...s, healthCheck: undefined })),
    });
    expect((await bridge.apply({ ...input, config: without.config })).changes).toHaveLength(2);
    const before = executor.requests.length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(executor.requests.length).toBe(before);
    await bridge.stop();
  });
});

describe('health bridge: check latencies for /metrics', () => {
  it('one histogram per checked server, by its configured check type; every result counted; gone with its check', async () => {
    vi.useFakeTimers();
    const executor = new TableExecutor();
    const bridge = createHealthBridge({ executor, clock: fakeTimersClock, warmupMs: 0 });
    const v = version(1, config());
    const input = {
      version: 1,
      config: v.config,
      server: () => ({ admin: 'online' as const, health: 'unchecked' as const }),
    };
    await bridge.apply(input);
    await vi.advanceTimersByTimeAsync(3500);
    const latencies = [...bridge.checkLatencies()];
    expect(latencies.map((l) => [l.service, l.server, l.check])).toEqual([
      ['web', 'alpha', 'connect'],
      ['web', 'bravo', 'connect'],
    ]);
    const alpha = latencies[0];
    const checked = executor.requests.filter((r) => r.address === '198.51.100.11').length;
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(alpha?.seconds.count).toBe(checked);
    // The fake clock stands still during a check: every latency is 0, in the first bucket.
    expect(alpha?.seconds.counts[0]).toBe(checked);
    expect(alpha?.seconds.sum).toBe(0);
    const without = version(2, {
      ...config(),
      layer4: config().layer4?.map((s) => ({ ...s, healthCheck: undefined })),
    });
    await bridge.apply({ ...input, config: without.config });
    expect([...bridge.checkLatencies()]).toEqual([]);
    await bridge.stop();
  });
});

describe('address placement', () => {
  const host = [
    { interface: 'lo', address: '127.0.0.1', prefix: 8 },
    { interface: 'eth0', address: '192.0.2.1', prefix: 24 },
    { interface: 'eth1', address: '2001:db8:1::1', prefix: 64 },
    { interface: 'eth0', address: '192.0.2.50', prefix: 32 },
  ];

  it('a floating IP on its interface; a VIP on the interface whose network holds it; the rest named', () => {
    const c = version(1, {
      floatingIps: [{ address: '198.51.100.5/24', interface: 'eth2' }, { address: '192.0.2.10/24' }],
      layer4: [
        { label: 'a', vip: '192.0.2.10', ports: [80], realServers: [] },
        { label: 'b', vip: '2001:db8:1::10', ports: [80], realServers: [] },
        { label: 'c', vip: '203.0.113.9', ports: [80], realServers: [] },
      ],
    }).config;
    expect(placeAddresses(c, host)).toEqual({
      placed: [
        { cidr: '198.51.100.5/24', interface: 'eth2', why: 'floating IP' },
        { cidr: '192.0.2.10/24', interface: 'eth0', why: 'floating IP' },
        { cidr: '2001:db8:1::10/64', interface: 'eth1', why: 'VIP of layer4 b' },
      ],
      unplaced: ['203.0.113.9'],
    });
  });
});
