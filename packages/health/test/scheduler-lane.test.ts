import { describe, expect, it } from 'vitest';
import {
  type CheckLane,
  type CheckRequest,
  type CheckResult,
  Scheduler,
  type TargetDefinition,
  type TransitionEvent,
} from '../src/index.js';
import { FakeClock } from './fake-clock.js';
import { FakeExecutor, OK, REFUSED } from './fake-executor.js';

/**
 * A lane for connect checks over the fake clock: answers per address from a script (the
 * last reply repeats) after `delayMs`, or never ('hang': the lane's own timeout answers,
 * as the native lane's does).
 */
class FakeLane implements CheckLane {
  readonly started: CheckRequest[] = [];
  readonly cancelled: number[] = [];
  private readonly timers = new Map<number, unknown>();
  private readonly replies = new Map<string, Array<CheckResult | 'hang'>>();
  private next = 0;
  /** Reported as the answer's age when settling (a lane that held the answer that long). */
  ageMs: number | undefined;

  constructor(
    private readonly clock: FakeClock,
    private readonly delayMs: number,
  ) {}

  script(address: string, ...replies: Array<CheckResult | 'hang'>): void {
    this.replies.set(address, replies);
  }

  get inFlight(): number {
    return this.timers.size;
  }

  accepts(request: CheckRequest): boolean {
    return request.check.type === 'connect';
  }

  start<T>(request: CheckRequest, token: T, settle: (token: T, result: CheckResult) => void): number {
    this.started.push(request);
    const queue = this.replies.get(request.address) ?? [OK];
    const reply = (queue.length > 1 ? queue.shift() : queue[0]) as CheckResult | 'hang';
    const handle = this.next++;
    const result: CheckResult =
      reply === 'hang'
        ? { ok: false, reason: 'timeout', detail: `no conclusive answer within ${request.timeoutMs} ms` }
        : reply;
    const delay = reply === 'hang' ? request.timeoutMs : this.delayMs;
    this.timers.set(
      handle,
      this.clock.setTimer(() => {
        this.timers.delete(handle);
        if (this.ageMs === undefined) settle(token, result);
        else (settle as (t: T, r: CheckResult, age?: number) => void)(token, result, this.ageMs);
      }, delay),
    );
    return handle;
  }

  cancel(handle: number): void {
    this.cancelled.push(handle);
    this.clock.clearTimer(this.timers.get(handle));
    this.timers.delete(handle);
  }
}

function setup(options: { delayMs?: number; concurrency?: number } = {}) {
  const clock = new FakeClock();
  const executor = new FakeExecutor(clock, options.delayMs ?? 0);
  const lane = new FakeLane(clock, options.delayMs ?? 0);
  const withLane = Object.assign(executor, { lane });
  const scheduler = new Scheduler({
    executor: withLane,
    clock,
    random: () => 0,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const transitions: TransitionEvent[] = [];
  scheduler.on('transition', (e) => transitions.push(e));
  return { clock, executor, lane, scheduler, transitions };
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

describe('Scheduler with an executor lane', () => {
  it('runs connect checks in the lane, others through run, with exact rise and fall', async () => {
    const { clock, executor, lane, scheduler, transitions } = setup();
    lane.script('192.0.2.10', OK, OK, REFUSED, REFUSED, OK);
    scheduler.set(target({ rise: 2, fall: 2 }));
    scheduler.set(target({ id: 'web/b', address: '192.0.2.11', check: { type: 'negotiate' } }));
    await clock.advance(4000);
    expect(lane.started.map((r) => r.address)).toEqual(Array(5).fill('192.0.2.10'));
    expect(executor.calls.map((r) => r.address)).toEqual(Array(5).fill('192.0.2.11'));
    expect(transitions.filter((t) => t.target === 'web/a').map((t) => [t.from, t.to, t.reason, t.at])).toEqual([
      ['unknown', 'up', 'passed', 1000],
      ['up', 'down', 'refused', 3000],
    ]);
  });

  it('takes the lane timeout as the result, with its latency', async () => {
    const { clock, lane, scheduler, transitions } = setup();
    lane.script('192.0.2.10', 'hang');
    scheduler.set(target({ timeoutMs: 300 }));
    await clock.advance(0);
    expect(transitions).toEqual([]);
    await clock.advance(300);
    expect(transitions).toMatchObject([
      { to: 'down', reason: 'timeout', detail: 'no conclusive answer within 300 ms', latencyMs: 300, check: 'connect' },
    ]);
    // The next run starts on the interval, not after the timeout.
    await clock.advance(700);
    expect(lane.started).toHaveLength(2);
  });

  it('takes the age of an answer the lane held off the latency', async () => {
    const { clock, lane, scheduler } = setup({ delayMs: 100 });
    lane.ageMs = 30;
    const latencies: number[] = [];
    scheduler.on('result', (e) => latencies.push(e.latencyMs));
    scheduler.set(target());
    await clock.advance(100);
    expect(latencies).toEqual([70]);
    expect(scheduler.get('web/a')?.stats).toMatchObject({ lastMs: 70, p50Ms: 70 });
  });

  it('counts lane checks against concurrency and frees the slot when a target is removed', async () => {
    const { clock, lane, scheduler } = setup({ delayMs: 100, concurrency: 2 });
    lane.script('192.0.2.1', 'hang');
    scheduler.set(target({ id: 'a', address: '192.0.2.1' }));
    scheduler.set(target({ id: 'b', address: '192.0.2.2' }));
    scheduler.set(target({ id: 'c', address: '192.0.2.3' }));
    await clock.advance(0);
    expect(scheduler.load).toMatchObject({ running: 2, queued: 1 });
    expect(scheduler.remove('a')).toBe(true);
    expect(lane.cancelled).toHaveLength(1);
    expect(scheduler.load).toMatchObject({ running: 2, queued: 0 });
    await clock.advance(100);
    expect(scheduler.load).toMatchObject({ running: 0, queued: 0 });
    expect(lane.started.map((r) => r.address)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(scheduler.get('a')).toBeUndefined();
    expect(scheduler.get('c')).toMatchObject({ state: 'unknown', successes: 1 });
  });

  it('fans a lane result out to every target sharing the run, and stop cancels what is in flight', async () => {
    const { clock, lane, scheduler } = setup({ delayMs: 50 });
    scheduler.set(target({ id: 'web/a', service: 'web', rise: 1 }));
    scheduler.set(target({ id: 'api/a', service: 'api', rise: 1 }));
    await clock.advance(1000);
    expect(lane.started).toHaveLength(2);
    expect(scheduler.snapshot().map((s) => [s.id, s.state, s.sharedBy, s.stats.checks])).toEqual([
      ['web/a', 'up', 2, 1],
      ['api/a', 'up', 2, 1],
    ]);
    scheduler.stop();
    expect(lane.cancelled).toHaveLength(1);
    expect(lane.inFlight).toBe(0);
  });
});
