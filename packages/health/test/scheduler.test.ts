import { describe, expect, it } from 'vitest';
import { HealthError, Scheduler, type TargetDefinition, type TransitionEvent } from '../src/index.js';
import { FakeClock } from './fake-clock.js';
import { FakeExecutor, OK, REFUSED } from './fake-executor.js';

function setup(options: { delayMs?: number; concurrency?: number; random?: () => number; warmupMs?: number } = {}) {
  const clock = new FakeClock();
  const executor = new FakeExecutor(clock, options.delayMs ?? 0);
  const scheduler = new Scheduler({
    executor,
    clock,
    random: options.random ?? (() => 0),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.warmupMs === undefined ? {} : { warmupMs: options.warmupMs }),
  });
  const transitions: TransitionEvent[] = [];
  scheduler.on('transition', (e) => transitions.push(e));
  return { clock, executor, scheduler, transitions };
}

const target = (over: Partial<TargetDefinition> = {}): TargetDefinition => ({
  id: 'web/a',
  address: '192.0.2.10',
  port: 80,
  ...(over.schedule ? {} : { check: { type: 'connect' } }),
  intervalMs: 1000,
  timeoutMs: 500,
  ...over,
});

describe('Scheduler: rise and fall', () => {
  it('comes up after exactly `rise` successes and goes down after exactly `fall` failures', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', OK, OK, OK, REFUSED, REFUSED, OK, REFUSED, OK, OK, OK);
    scheduler.set(target({ rise: 3, fall: 2 }));
    const states: string[] = [];
    scheduler.on('result', (e) => states.push(e.state));
    await clock.advance(0); // check 1 at t=0 (random() = 0)
    await clock.advance(9000); // checks 2..10
    expect(executor.calls).toHaveLength(10);
    expect(states).toEqual(['unknown', 'unknown', 'up', 'up', 'down', 'down', 'down', 'down', 'down', 'up']);
    expect(transitions.map((t) => [t.from, t.to, t.reason, t.at])).toEqual([
      ['unknown', 'up', 'passed', 2000],
      ['up', 'down', 'refused', 4000],
      ['down', 'up', 'passed', 9000],
    ]);
  });

  it('marks a server never seen up down on its first failure', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', REFUSED);
    scheduler.set(target({ fall: 3 }));
    await clock.advance(0);
    expect(transitions).toMatchObject([
      { from: 'unknown', to: 'down', reason: 'refused', detail: 'connect ECONNREFUSED' },
    ]);
  });

  it('with initialState up, needs `fall` failures (HAProxy start)', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', REFUSED);
    scheduler.set(target({ fall: 3, initialState: 'up' }));
    await clock.advance(1000);
    expect(transitions).toEqual([]);
    await clock.advance(1000);
    expect(transitions).toMatchObject([{ from: 'up', to: 'down', at: 2000 }]);
  });

  it('off goes down and on comes up at once, without the executor', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    scheduler.set(target({ check: { type: 'off' }, fall: 5, initialState: 'up' }));
    await clock.advance(0);
    expect(transitions).toMatchObject([{ to: 'down', reason: 'manual-off' }]);
    scheduler.set(target({ check: { type: 'on' }, rise: 5 }));
    await clock.advance(1000);
    expect(transitions).toMatchObject([{ to: 'down' }, { from: 'down', to: 'up', reason: 'passed' }]);
    expect(executor.calls).toHaveLength(0);
  });
});

describe('Scheduler: timing', () => {
  it('runs each target at its interval, from a jittered start', async () => {
    const randoms = [0.25, 0.75];
    const { clock, executor, scheduler } = setup({ random: () => randoms.shift() ?? 0 });
    scheduler.set(target({ id: 'a', address: '192.0.2.1', intervalMs: 1000 }));
    scheduler.set(target({ id: 'b', address: '192.0.2.2', intervalMs: 400, timeoutMs: 100 }));
    await clock.advance(2000);
    const times = (address: string) => executor.calls.filter((c) => c.address === address).length;
    // a: 250, 1250 -> 2; b: 300, 700, 1100, 1500, 1900 -> 5
    expect(times('192.0.2.1')).toBe(2);
    expect(times('192.0.2.2')).toBe(5);
  });

  it('spreads the first checks over warmupMs', async () => {
    let i = 0;
    const { clock, executor, scheduler } = setup({ random: () => (i++ % 10) / 10, warmupMs: 500 });
    for (let n = 0; n < 10; n++) scheduler.set(target({ id: `t${n}`, address: `192.0.2.${n + 1}`, intervalMs: 5000 }));
    await clock.advance(0);
    expect(executor.calls).toHaveLength(1);
    await clock.advance(449);
    expect(executor.calls).toHaveLength(9);
    await clock.advance(1);
    expect(executor.calls).toHaveLength(10);
  });

  it('starts runs on the tick grid (tickMs, default 10)', async () => {
    const { clock, executor, scheduler } = setup({ random: () => 0.1234 });
    const starts: number[] = [];
    const run = executor.run.bind(executor);
    executor.run = (request, signal) => {
      starts.push(clock.now());
      return run(request, signal);
    };
    scheduler.set(target({ intervalMs: 1000 }));
    await clock.advance(2500);
    expect(starts).toEqual([130, 1130, 2130]);
    expect(() => new Scheduler({ executor, tickMs: 0 })).toThrow(expect.objectContaining({ field: 'tickMs' }));
  });

  it('checks at downIntervalMs while down', async () => {
    const { clock, executor, scheduler } = setup();
    executor.script('192.0.2.10', REFUSED);
    scheduler.set(target({ intervalMs: 1000, downIntervalMs: 5000 }));
    await clock.advance(10_000);
    // t=0 (goes down), then every 5 s: 5000, 10000
    expect(executor.calls).toHaveLength(3);
  });

  it('times out a check, aborts its signal and reports `timeout`', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', 'hang');
    scheduler.set(target({ timeoutMs: 300 }));
    await clock.advance(299);
    expect(transitions).toEqual([]);
    expect(executor.signals[0]?.aborted).toBe(false);
    await clock.advance(1);
    expect(transitions).toMatchObject([{ to: 'down', reason: 'timeout', latencyMs: 300 }]);
    expect(executor.signals[0]?.aborted).toBe(true);
  });

  it('ignores a result that arrives after the timeout', async () => {
    const { clock, executor, scheduler } = setup({ delayMs: 800 });
    scheduler.set(target({ timeoutMs: 500, intervalMs: 1000 }));
    const results: string[] = [];
    scheduler.on('result', (e) => results.push(e.result.reason ?? 'ok'));
    await clock.advance(900);
    expect(results).toEqual(['timeout']);
    expect(executor.calls).toHaveLength(1);
  });

  it('never lets a hung check delay another target', async () => {
    const { clock, executor, scheduler } = setup({ concurrency: 2 });
    executor.script('192.0.2.66', 'hang');
    scheduler.set(target({ id: 'hung', address: '192.0.2.66', timeoutMs: 900 }));
    scheduler.set(target({ id: 'fine', address: '192.0.2.10' }));
    await clock.advance(9999);
    expect(executor.callsTo('192.0.2.10')).toHaveLength(10);
    expect(executor.callsTo('192.0.2.66')).toHaveLength(10);
    expect(scheduler.get('fine')?.state).toBe('up');
  });

  it('keeps at most `concurrency` checks in flight and queues the rest', async () => {
    const { clock, executor, scheduler } = setup({ delayMs: 100, concurrency: 3 });
    for (let n = 0; n < 10; n++) scheduler.set(target({ id: `t${n}`, address: `192.0.2.${n + 1}` }));
    await clock.advance(0);
    expect(scheduler.load).toMatchObject({ running: 3, queued: 7, runs: 10, targets: 10 });
    await clock.advance(399);
    expect(executor.calls).toHaveLength(10);
    expect(executor.maxInFlight).toBe(3);
    await clock.advance(1);
    expect(scheduler.snapshot().every((s) => s.stats.checks === 1)).toBe(true);
  });
});

describe('Scheduler: sharing, changes, events, snapshot', () => {
  it('runs an identical check on one real server once and fans the result out', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', REFUSED);
    scheduler.set(target({ id: 'web/a', service: 'web', fall: 1 }));
    scheduler.set(target({ id: 'api/a', service: 'api', rise: 5, check: { port: 80, type: 'connect' }, port: 80 }));
    await clock.advance(2000);
    expect(executor.calls).toHaveLength(3);
    expect(scheduler.get('web/a')?.sharedBy).toBe(2);
    expect(transitions.map((t) => [t.target, t.service, t.to])).toEqual([
      ['web/a', 'web', 'down'],
      ['api/a', 'api', 'down'],
    ]);
    expect(scheduler.remove('web/a')).toBe(true);
    await clock.advance(1000);
    expect(executor.calls).toHaveLength(4);
    expect(scheduler.remove('api/a')).toBe(true);
    expect(scheduler.remove('api/a')).toBe(false);
    await clock.advance(5000);
    expect(executor.calls).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });

  it('does not share checks that differ (port, interval)', async () => {
    const { clock, executor, scheduler } = setup();
    scheduler.set(target({ id: 'a' }));
    scheduler.set(target({ id: 'b', port: 81 }));
    scheduler.set(target({ id: 'c', intervalMs: 2000 }));
    await clock.advance(0);
    expect(executor.calls).toHaveLength(3);
    expect(scheduler.load.runs).toBe(3);
  });

  it('keeps runs apart when a definition no run uses any more is forgotten and another takes its place', async () => {
    const { clock, executor, scheduler } = setup();
    scheduler.set(target({ id: 'a', intervalMs: 1000 }));
    scheduler.remove('a');
    // Same server and port, new definitions: neither may join the other's run.
    scheduler.set(target({ id: 'b', intervalMs: 2000 }));
    scheduler.set(target({ id: 'c', intervalMs: 1000 }));
    await clock.advance(2000);
    expect(scheduler.load.runs).toBe(2);
    expect(scheduler.get('b')?.sharedBy).toBe(1);
    expect(executor.calls).toHaveLength(2 + 3); // b at 0 and 2000, c at 0, 1000 and 2000
  });

  it('changes a target at run time, keeping its state, without touching the others', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    scheduler.set(target({ id: 'a', address: '192.0.2.1', rise: 1 }));
    scheduler.set(target({ id: 'b', address: '192.0.2.2', rise: 1 }));
    await clock.advance(1500);
    expect(scheduler.get('a')?.state).toBe('up');
    scheduler.set(target({ id: 'a', address: '192.0.2.1', rise: 1, intervalMs: 250 }));
    await clock.advance(1000);
    expect(executor.callsTo('192.0.2.2')).toHaveLength(3); // 0, 1000, 2000: unchanged
    expect(executor.callsTo('192.0.2.1')).toHaveLength(2 + 5); // 0, 1000, then 1500..2500 every 250 ms
    expect(scheduler.get('a')?.state).toBe('up');
    expect(transitions).toHaveLength(2);
  });

  it.each([
    ['address', { address: '192.0.2.9' }],
    ['port', { port: 8080 }],
  ] as const)('moves a target whose %s alone changes to a new run of its definition', async (_, change) => {
    const { clock, executor, scheduler } = setup();
    scheduler.set(target({ id: 'a', rise: 1 }));
    await clock.advance(500);
    scheduler.set(target({ id: 'a', rise: 1, ...change }));
    // Same server and port as a's new run, another definition: it must get a run of its own.
    scheduler.set(target({ id: 'b', ...change, intervalMs: 3000 }));
    await clock.advance(1000);
    expect(scheduler.load.runs).toBe(2);
    expect(scheduler.get('a')).toMatchObject({ state: 'up', sharedBy: 1 });
    expect(scheduler.get('b')?.sharedBy).toBe(1);
    // a: at 0 on the old run, then at 500 and 1500 on the new one; b at 500.
    expect(executor.calls).toHaveLength(4);
  });

  it('cycles a mixed schedule: 5 connects : 1 negotiate', async () => {
    const { clock, executor, scheduler } = setup();
    scheduler.set(
      target({
        schedule: [
          { check: { type: 'connect' }, rounds: 5 },
          { check: { type: 'negotiate', path: '/health' }, rounds: 1 },
        ],
      }),
    );
    await clock.advance(11_000);
    expect(executor.calls.map((c) => c.check.type).join(' ')).toBe(
      'connect connect connect connect connect negotiate connect connect connect connect connect negotiate',
    );
  });

  it('reports latency in events and statistics in the snapshot', async () => {
    const { clock, scheduler, transitions } = setup({ delayMs: 30 });
    scheduler.set(target({ rise: 1 }));
    await clock.advance(5030);
    expect(transitions).toMatchObject([{ target: 'web/a', from: 'unknown', to: 'up', latencyMs: 30, at: 30 }]);
    const snap = scheduler.get('web/a');
    expect(snap).toMatchObject({ state: 'up', since: 30, successes: 6, failures: 0, lastCheck: 'connect' });
    expect(snap?.stats).toMatchObject({ checks: 6, failures: 0, samples: 6, minMs: 30, maxMs: 30, p99Ms: 30 });
  });

  it('maps a rejected executor promise to a failure reason', async () => {
    const { clock, executor, scheduler, transitions } = setup();
    executor.script('192.0.2.10', Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' }));
    scheduler.set(target());
    await clock.advance(0);
    expect(transitions).toMatchObject([{ reason: 'unreachable' }]);
  });

  it('emits feedback when an agent changes weight or admin state, once per change', async () => {
    const { clock, executor, scheduler } = setup();
    executor.script(
      '192.0.2.10',
      { ok: true, weight: 50 },
      { ok: true, weight: 50 },
      { ok: true, admin: 'drain' },
      { ok: true, weight: 100, admin: 'ready' },
    );
    const feedback: unknown[] = [];
    scheduler.on('feedback', (e) => feedback.push([e.weight, e.admin]));
    scheduler.set(target({ check: { type: 'agent', port: 3333 } }));
    await clock.advance(3000);
    expect(feedback).toEqual([
      [50, undefined],
      [50, 'drain'],
      [100, 'ready'],
    ]);
    expect(scheduler.get('web/a')).toMatchObject({ weight: 100, admin: 'ready' });
  });

  it('survives a listener that throws', async () => {
    const { clock, executor, scheduler } = setup();
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      scheduler.on('result', () => {
        throw new Error('listener bug');
      });
      scheduler.set(target());
      await clock.advance(2000);
      expect(executor.calls).toHaveLength(3);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('rejects invalid targets and options with coded errors, and stops cleanly', async () => {
    const { clock, scheduler } = setup();
    expect(() => scheduler.set(target({ rise: 0 }))).toThrow(expect.objectContaining({ field: 'target.rise' }));
    expect(() => new Scheduler({ executor: { run: async () => OK }, concurrency: 0 })).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_OPTION', field: 'concurrency' }),
    );
    scheduler.set(target());
    scheduler.stop();
    expect(clock.pending).toBe(0);
    expect(() => scheduler.set(target())).toThrow(HealthError);
  });
});
