import type {
  CheckDefinition,
  CheckType,
  NormalizedTarget,
  ScheduleEntry,
  TargetDefinition,
  TargetState,
} from './checks.js';
import { type Clock, systemClock } from './clock.js';
import { HealthError } from './errors.js';
import type { CheckExecutor, CheckRequest } from './executor.js';
import { checkPort } from './ports.js';
import {
  type AgentAdminState,
  type CheckResult,
  classifyError,
  type FailureReason,
  fail,
  pass,
  timedOut,
} from './result.js';
import { stableKey } from './stable-key.js';
import { type LatencyStats, SampleStore } from './stats.js';
import { validateTarget } from './validate.js';
import { TickWheel, type WheelItem } from './wheel.js';

export interface TransitionEvent {
  target: string;
  service: string | undefined;
  from: TargetState;
  to: TargetState;
  /** The failure that took it down, or `passed` when it came up. */
  reason: FailureReason | 'passed';
  detail: string | undefined;
  /** Latency of the check that caused the transition. */
  latencyMs: number;
  /** Clock time of the transition. */
  at: number;
  check: CheckType;
}

export interface ResultEvent {
  target: string;
  service: string | undefined;
  check: CheckType;
  result: CheckResult;
  latencyMs: number;
  at: number;
  state: TargetState;
}

/** A feedback agent (or a dynamic-weight external check) changed the weight or admin state. */
export interface FeedbackEvent {
  target: string;
  service: string | undefined;
  /** Percent of the configured weight. */
  weight: number | undefined;
  admin: AgentAdminState | undefined;
  at: number;
}

export interface SchedulerEvents {
  transition: TransitionEvent;
  result: ResultEvent;
  feedback: FeedbackEvent;
}

export interface TargetSnapshot {
  id: string;
  service: string | undefined;
  address: string;
  port: number | undefined;
  state: TargetState;
  /** Clock time of the last state change (or of `set`). */
  since: number;
  /** Consecutive successes and failures so far. */
  successes: number;
  failures: number;
  lastResult: CheckResult | undefined;
  lastCheck: CheckType | undefined;
  weight: number | undefined;
  admin: AgentAdminState | undefined;
  /** How many targets share this target's check run (1: not shared). */
  sharedBy: number;
  stats: LatencyStats;
}

export interface SchedulerOptions {
  executor: CheckExecutor;
  clock?: Clock;
  /** Uniform [0, 1), for the warm-up jitter (default Math.random). */
  random?: () => number;
  /** Checks in flight at once, over all targets (default 1000). */
  concurrency?: number;
  /** A new check first runs at a random point within this many ms (default: its interval). */
  warmupMs?: number;
  /**
   * Runs start on a grid of this many ms (default 10, at least 1), so thousands of targets
   * wake the process 100 times a second in batches instead of at every millisecond.
   */
  tickMs?: number;
}

interface Run {
  controller: AbortController;
  timer: unknown;
  startedAt: number;
  check: CheckDefinition;
  done: boolean;
}

/** One check run on one real server, shared by every target that asks for exactly it. */
class Probe implements WheelItem {
  /**
   * The subscriber when there is exactly one (the common case: no Set per probe, no Set
   * iterator per run); otherwise all of them.
   */
  solo: Subscription | undefined;
  private many: Set<Subscription> | undefined;
  /** Its tick on the wheel while waiting for its next run. */
  due: number | undefined;
  run: Run | undefined;
  /** The executor lane's handle while a run is in its lane, else -1. */
  laneHandle = -1;
  laneCheck: CheckDefinition | undefined;
  queued = false;
  lastStart = Number.NaN;
  private round = 0;
  /**
   * The request of a single-check schedule (the common case: no array per probe), else one
   * request per schedule entry; built once, so a run allocates as little as it can.
   */
  private readonly requests: CheckRequest | CheckRequest[];

  constructor(
    readonly key: string,
    readonly target: NormalizedTarget,
    /** Its definition's number in the scheduler's `Definitions`. */
    readonly definition: number,
  ) {
    const requests = target.schedule.map((entry) =>
      Object.freeze({
        check: entry.check,
        address: target.address,
        port: checkPort(entry.check, target.port),
        realPort: target.port,
        virtual: target.virtual,
        timeoutMs: target.timeoutMs,
      }),
    );
    this.requests = requests.length === 1 ? (requests[0] as CheckRequest) : requests;
  }

  nextRequest(): CheckRequest {
    const requests = this.requests;
    if (!Array.isArray(requests)) return requests;
    const schedule = this.target.schedule;
    let cycle = 0;
    for (const entry of schedule) cycle += entry.rounds;
    let position = this.round++ % cycle;
    for (let i = 0; i < requests.length; i++) {
      const rounds = (schedule[i] as ScheduleEntry).rounds;
      if (position < rounds) return requests[i] as CheckRequest;
      position -= rounds;
    }
    throw new Error('unreachable: schedule cycle');
  }

  /** Every subscriber; a Set, so that iterating tolerates removals meanwhile. */
  get subscribers(): ReadonlySet<Subscription> {
    if (this.many) return this.many;
    return new Set(this.solo ? [this.solo] : []);
  }

  get size(): number {
    return this.many ? this.many.size : this.solo ? 1 : 0;
  }

  add(sub: Subscription): void {
    if (this.many) this.many.add(sub);
    else if (this.solo && this.solo !== sub) {
      this.many = new Set([this.solo, sub]);
      this.solo = undefined;
    } else this.solo = sub;
  }

  delete(sub: Subscription): void {
    if (this.solo === sub) this.solo = undefined;
    else if (this.many) {
      this.many.delete(sub);
      if (this.many.size === 1) {
        this.solo = this.many.values().next().value as Subscription;
        this.many = undefined;
      }
    }
  }

  allDown(): boolean {
    if (this.solo) return this.solo.state === 'down';
    for (const sub of this.subscribers) if (sub.state !== 'down') return false;
    return true;
  }
}

class Subscription {
  state: TargetState;
  since: number;
  successes = 0;
  failures = 0;
  lastResult: CheckResult | undefined;
  lastCheck: CheckType | undefined;
  weight: number | undefined;
  admin: AgentAdminState | undefined;
  /** Its latency statistics in the scheduler's `SampleStore`. */
  readonly ring: number;

  constructor(
    public target: NormalizedTarget,
    public probe: Probe,
    now: number,
    samples: SampleStore,
  ) {
    this.state = target.initialState;
    this.since = now;
    this.ring = samples.allocate();
  }
}

/**
 * What targets share beyond their address and ports: the schedule, its timing and (for
 * external checks) the ports they are given. Interned: thousands of targets with one check
 * definition hold one frozen schedule and one number, not a copy and a long key each.
 */
class Definitions {
  private readonly byKey = new Map<string, number>();
  private readonly entries: Array<Definition | undefined> = [];
  private readonly free: number[] = [];

  /**
   * The number of the target's definition, and its schedule: the definition's shared one
   * when equal (checks given the port the target has anyway make the same run, but keep
   * their own schedule).
   */
  acquire(t: NormalizedTarget): { id: number; schedule: ScheduleEntry[] } {
    const external = t.schedule.some((e) => e.check.type === 'external');
    const key = stableKey({
      // External checks see the real and virtual ports as arguments; others only the port they
      // use, which the run's key holds.
      r: external ? t.port : undefined,
      v: external ? t.virtual : undefined,
      s: t.schedule.map((e) => ({ c: { ...e.check, port: undefined }, n: e.rounds })),
      i: t.intervalMs,
      d: t.downIntervalMs,
      t: t.timeoutMs,
    });
    const scheduleKey = stableKey(t.schedule);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.free.pop() ?? this.entries.length;
      this.entries[id] = { key, scheduleKey, schedule: deepFreeze(t.schedule), probes: 0 };
      this.byKey.set(key, id);
    }
    const entry = this.entries[id] as Definition;
    return { id, schedule: entry.scheduleKey === scheduleKey ? (entry.schedule as ScheduleEntry[]) : t.schedule };
  }

  use(id: number): void {
    (this.entries[id] as { probes: number }).probes++;
  }

  /** One run fewer uses it; forgotten when none does. */
  release(id: number): void {
    const entry = this.entries[id];
    if (entry === undefined || --entry.probes > 0) return;
    this.byKey.delete(entry.key);
    this.entries[id] = undefined;
    this.free.push(id);
  }
}

interface Definition {
  key: string;
  scheduleKey: string;
  schedule: readonly ScheduleEntry[];
  /** Runs using it. */
  probes: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Targets whose runs would send exactly the same packets share one run. */
function probeKey(t: NormalizedTarget, definition: number): string {
  const parts: Array<string | number> = [t.address, definition];
  for (const e of t.schedule) parts.push(checkPort(e.check, t.port) ?? '');
  // join makes one flat string; concatenation would keep a tree of parts per key.
  return parts.join(' ');
}

/**
 * Runs checks on a schedule and turns results into up/down states with rise and fall.
 * Pure logic over a clock and an executor: no sockets here.
 */
export class Scheduler {
  private readonly executor: CheckExecutor;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly warmupMs: number | undefined;
  private readonly wheel: TickWheel<Probe>;
  private readonly targets = new Map<string, Subscription>();
  private readonly probes = new Map<string, Probe>();
  private readonly samples = new SampleStore();
  private readonly definitions = new Definitions();
  private readonly queue = new Set<Probe>();
  /** Replaced, never mutated, on (un)subscribe: emitting walks an array without an iterator object. */
  private listeners: { [K in keyof SchedulerEvents]: ReadonlyArray<(event: SchedulerEvents[K]) => void> } = {
    transition: [],
    result: [],
    feedback: [],
  };
  private active = 0;
  private stopped = false;
  /** The clock as read in this turn of the event loop (see `turnTime`); NaN: not read yet. */
  private turnClock = Number.NaN;
  private turnUses = 0;
  private readonly endTurn = (): void => {
    this.turnClock = Number.NaN;
  };
  /** Bound once: the lane hands each result back with the probe as its token. */
  private readonly settleLane = (probe: Probe, result: CheckResult, ageMs?: number): void =>
    this.finishLane(probe, result, ageMs ?? 0);

  constructor(options: SchedulerOptions) {
    this.executor = options.executor;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    const concurrency = options.concurrency ?? 1000;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new HealthError('HEALTH_INVALID_OPTION', 'concurrency must be a positive integer', {
        field: 'concurrency',
      });
    }
    if (options.warmupMs !== undefined && !(Number.isFinite(options.warmupMs) && options.warmupMs >= 0)) {
      throw new HealthError('HEALTH_INVALID_OPTION', 'warmupMs must be a number >= 0', { field: 'warmupMs' });
    }
    const tickMs = options.tickMs ?? 10;
    if (!Number.isFinite(tickMs) || tickMs < 1) {
      throw new HealthError('HEALTH_INVALID_OPTION', 'tickMs must be a number >= 1', { field: 'tickMs' });
    }
    this.concurrency = concurrency;
    this.warmupMs = options.warmupMs;
    this.wheel = new TickWheel(this.clock, tickMs, (probe) => this.fire(probe));
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof SchedulerEvents>(event: K, listener: (event: SchedulerEvents[K]) => void): () => void {
    // A listener given twice is called once, as with a Set.
    const current = this.listeners[event] as ReadonlyArray<(e: SchedulerEvents[K]) => void>;
    if (!current.includes(listener)) this.listeners = { ...this.listeners, [event]: [...current, listener] };
    return () => {
      const now = this.listeners[event] as ReadonlyArray<(e: SchedulerEvents[K]) => void>;
      if (!now.includes(listener)) return false;
      this.listeners = { ...this.listeners, [event]: now.filter((l) => l !== listener) };
      return true;
    };
  }

  /**
   * Adds a target, or changes one with the same id. A change that keeps the check run the
   * same (rise, fall, service) keeps the run's timing; otherwise the target moves to its new
   * run. Its state and counters are kept either way.
   */
  set(input: TargetDefinition): void {
    if (this.stopped) throw new HealthError('HEALTH_STOPPED', 'the scheduler is stopped');
    const target = validateTarget(input);
    const { id: definition, schedule } = this.definitions.acquire(target);
    target.schedule = schedule;
    const key = probeKey(target, definition);
    const existing = this.targets.get(target.id);
    if (existing) {
      existing.target = target;
      if (existing.probe.key === key) return;
      // The new run first: it holds the definition, which detaching from the old run
      // would otherwise release when both share it (a change of address or port only).
      const probe = this.probeFor(key, target, definition);
      this.detach(existing);
      existing.probe = probe;
      probe.add(existing);
      return;
    }
    const probe = this.probeFor(key, target, definition);
    const sub = new Subscription(target, probe, this.clock.now(), this.samples);
    probe.add(sub);
    this.targets.set(target.id, sub);
  }

  /** Removes a target; its check stops unless other targets share it. Returns whether it existed. */
  remove(id: string): boolean {
    const sub = this.targets.get(id);
    if (!sub) return false;
    this.targets.delete(id);
    this.detach(sub);
    this.samples.release(sub.ring);
    return true;
  }

  get(id: string): TargetSnapshot | undefined {
    const sub = this.targets.get(id);
    return sub ? this.snap(sub) : undefined;
  }

  snapshot(): TargetSnapshot[] {
    return [...this.targets.values()].map((s) => this.snap(s));
  }

  /** Checks in flight and waiting for a slot. */
  get load(): { running: number; queued: number; runs: number; targets: number } {
    return { running: this.active, queued: this.queue.size, runs: this.probes.size, targets: this.targets.size };
  }

  /** Cancels every check and timer; accepts no more targets. */
  stop(): void {
    this.stopped = true;
    for (const sub of [...this.targets.values()]) {
      this.detach(sub);
      this.samples.release(sub.ring);
    }
    this.targets.clear();
    this.wheel.stop();
  }

  private snap(s: Subscription): TargetSnapshot {
    return {
      id: s.target.id,
      service: s.target.service,
      address: s.target.address,
      port: s.target.port,
      state: s.state,
      since: s.since,
      successes: s.successes,
      failures: s.failures,
      lastResult: s.lastResult,
      lastCheck: s.lastCheck,
      weight: s.weight,
      admin: s.admin,
      sharedBy: s.probe.size,
      stats: this.samples.read(s.ring),
    };
  }

  private probeFor(key: string, target: NormalizedTarget, definition: number): Probe {
    let probe = this.probes.get(key);
    if (probe) return probe;
    probe = new Probe(key, target, definition);
    this.definitions.use(definition);
    this.probes.set(key, probe);
    const window = Math.min(target.intervalMs, this.warmupMs ?? target.intervalMs);
    this.wheel.schedule(probe, Math.floor(this.random() * window));
    return probe;
  }

  private detach(sub: Subscription): void {
    const probe = sub.probe;
    probe.delete(sub);
    if (probe.size > 0) return;
    this.probes.delete(probe.key);
    this.definitions.release(probe.definition);
    this.wheel.cancel(probe);
    if (probe.queued) this.queue.delete(probe);
    probe.queued = false;
    if (probe.laneHandle >= 0) {
      this.executor.lane?.cancel(probe.laneHandle);
      probe.laneHandle = -1;
      this.active--;
      this.drain();
    }
    const run = probe.run;
    if (run && !run.done) {
      run.done = true;
      this.clock.clearTimer(run.timer);
      run.controller.abort();
      probe.run = undefined;
      this.active--;
      this.drain();
    }
  }

  private fire(probe: Probe): void {
    if (this.active < this.concurrency) this.start(probe);
    else {
      probe.queued = true;
      this.queue.add(probe);
    }
  }

  private drain(): void {
    if (this.queue.size === 0) return;
    for (const probe of this.queue) {
      if (this.active >= this.concurrency) return;
      this.queue.delete(probe);
      probe.queued = false;
      this.start(probe);
    }
  }

  private start(probe: Probe): void {
    const request = probe.nextRequest();
    const check = request.check;
    const t = probe.target;
    const lane = this.executor.lane;
    if (lane?.accepts(request)) {
      // No Run, AbortController, timer or promise: the lane keeps the timeout.
      this.active++;
      probe.lastStart = this.turnTime();
      probe.laneCheck = check;
      probe.laneHandle = lane.start(request, probe, this.settleLane);
      return;
    }
    const run: Run = {
      controller: new AbortController(),
      timer: undefined,
      startedAt: this.turnTime(),
      check,
      done: false,
    };
    probe.lastStart = run.startedAt;
    if (check.type === 'on' || check.type === 'off') {
      // Manual states need no executor and no slot.
      this.finish(probe, run, check.type === 'on' ? pass() : fail('manual-off', 'check is off'), false);
      return;
    }
    this.active++;
    probe.run = run;
    run.timer = this.clock.setTimer(() => this.finish(probe, run, timedOut(t.timeoutMs), true), t.timeoutMs);
    let pending: Promise<CheckResult>;
    try {
      pending = this.executor.run(request, run.controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => this.finish(probe, run, result, true),
      (error: unknown) => this.finish(probe, run, classifyError(error), true),
    );
  }

  /**
   * The clock for starts and results: read once per turn of the event loop and again every
   * 16 uses, not once per check. Thousands of checks start and end in a few turns; where a
   * clock read is a system call (no vDSO, as in User-Mode Linux: about 25 µs) that is most
   * of a check's own cost. Times are off by at most the work of 16 checks (well under a
   * millisecond).
   */
  private turnTime(): number {
    if (Number.isNaN(this.turnClock)) {
      this.turnClock = this.clock.now();
      this.turnUses = 0;
      queueMicrotask(this.endTurn);
    } else if ((++this.turnUses & 15) === 0) this.turnClock = this.clock.now();
    return this.turnClock;
  }

  private finishLane(probe: Probe, result: CheckResult, ageMs: number): void {
    // Cancelled when its probe was detached; a lane does not settle those, but be sure.
    if (probe.laneHandle < 0) return;
    probe.laneHandle = -1;
    this.active--;
    this.complete(probe, probe.laneCheck as CheckDefinition, probe.lastStart, result, ageMs);
    this.drain();
  }

  private finish(probe: Probe, run: Run, result: CheckResult, slot: boolean): void {
    if (run.done) return;
    run.done = true;
    if (slot) {
      this.clock.clearTimer(run.timer);
      this.active--;
      probe.run = undefined;
      // A timed-out executor is told to let go; a late answer is ignored (run.done).
      if (!result.ok && result.reason === 'timeout') run.controller.abort();
    }
    this.complete(probe, run.check, run.startedAt, result);
    if (slot) this.drain();
  }

  /** Applies a run's result to every target sharing it, then puts the run back on the wheel. */
  private complete(probe: Probe, check: CheckDefinition, startedAt: number, result: CheckResult, ageMs = 0): void {
    const now = this.turnTime();
    const latencyMs = Math.max(0, now - startedAt - ageMs);
    // Set iteration tolerates a listener removing targets meanwhile.
    if (probe.solo) this.apply(probe.solo, check, result, latencyMs, now);
    else for (const sub of probe.subscribers) this.apply(sub, check, result, latencyMs, now);
    if (this.probes.get(probe.key) === probe && probe.due === undefined && !probe.queued) {
      const interval = probe.allDown() ? probe.target.downIntervalMs : probe.target.intervalMs;
      this.wheel.scheduleAt(probe, Math.max(now, probe.lastStart + interval));
    }
  }

  private apply(sub: Subscription, check: CheckDefinition, result: CheckResult, latencyMs: number, at: number): void {
    const t = sub.target;
    this.samples.record(sub.ring, result.ok, latencyMs);
    sub.lastResult = result;
    sub.lastCheck = check.type;
    if (result.ok) {
      sub.successes++;
      sub.failures = 0;
    } else {
      sub.failures++;
      sub.successes = 0;
    }
    const from = sub.state;
    let to = from;
    const manual = check.type === 'on' || check.type === 'off';
    if (result.ok) {
      if (from !== 'up' && (manual || sub.successes >= t.rise)) to = 'up';
    } else if (from === 'unknown' || manual || (from === 'up' && sub.failures >= t.fall)) {
      // A server never seen up gets no grace: fall damps flapping of a serving server.
      to = 'down';
    }

    if (result.weight !== undefined || result.admin !== undefined) {
      const weight = result.weight ?? sub.weight;
      const admin = result.admin ?? sub.admin;
      if (weight !== sub.weight || admin !== sub.admin) {
        sub.weight = weight;
        sub.admin = admin;
        this.emit('feedback', { target: t.id, service: t.service, weight, admin, at });
      }
    }
    if (this.listeners.result.length > 0) {
      this.emit('result', { target: t.id, service: t.service, check: check.type, result, latencyMs, at, state: to });
    }
    if (to !== from) {
      sub.state = to;
      sub.since = at;
      this.emit('transition', {
        target: t.id,
        service: t.service,
        from,
        to,
        reason: result.ok ? 'passed' : (result.reason ?? 'error'),
        detail: result.detail,
        latencyMs,
        at,
        check: check.type,
      });
    }
  }

  private emit<K extends keyof SchedulerEvents>(name: K, event: SchedulerEvents[K]): void {
    const listeners = this.listeners[name] as ReadonlyArray<(e: SchedulerEvents[K]) => void>;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i] as (e: SchedulerEvents[K]) => void;
      try {
        listener(event);
      } catch (error) {
        // A listener's bug must not stop the checks of every other target.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
