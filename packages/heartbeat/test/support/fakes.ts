import type { Clock } from '../../src/clock.js';
import type { Timing } from '../../src/config.js';
import type { HeartbeatEventRecord } from '../../src/events.js';
import type { Link, PingMonitor } from '../../src/link.js';
import { HeartbeatNode, type HeartbeatNodeOptions } from '../../src/node.js';
import type { AnnounceReason, Resource } from '../../src/resources.js';

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

/** A clock that moves only when told; timers run in time order, promises settle between them. */
export class FakeClock implements Clock {
  private time = 0;
  private order = 0;
  private timers = new Set<Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.time + Math.max(0, ms), order: this.order++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as Timer);
  }

  /** While `holding`, deferred work waits for `runDeferred()` (as input waits behind a stalled timer). */
  holding = false;
  private held: (() => void)[] = [];

  defer(fn: () => void): void {
    if (this.holding) this.held.push(fn);
    else fn();
  }

  runDeferred(): void {
    for (const fn of this.held.splice(0)) fn();
  }

  /**
   * The event loop blocked for `ms`: time moves on without running anything, then every
   * timer that came due meanwhile runs late, in order, at the new time.
   */
  async stall(ms: number): Promise<void> {
    await settle();
    this.time += ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next || next.at > this.time) break;
      this.timers.delete(next);
      next.fn();
      await settle();
    }
  }

  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next || next.at > until) break;
      this.timers.delete(next);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }
}

/** Lets pending promise callbacks (resource operations) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** One end of a fake wire; the other end's handler receives what this end sends, 1 ms later. */
export class FakeLink implements Link {
  readonly name: string;
  readonly sent: Buffer[] = [];
  peer: FakeLink | undefined;
  cut = false;
  private handler: ((datagram: Buffer) => void) | undefined;
  private readonly clock: FakeClock;

  constructor(name: string, clock: FakeClock) {
    this.name = name;
    this.clock = clock;
  }

  send(datagram: Buffer): void {
    this.sent.push(datagram);
    const peer = this.peer;
    if (this.cut || !peer) return;
    this.clock.setTimeout(() => {
      if (!this.cut) peer.deliver(datagram);
    }, 1);
  }

  onReceive(handler: (datagram: Buffer) => void): void {
    this.handler = handler;
  }

  /** Hands a datagram to this end's receiver (as if it came off the wire). */
  deliver(datagram: Buffer): void {
    this.handler?.(datagram);
  }

  async close(): Promise<void> {
    this.handler = undefined;
  }
}

export function wire(name: string, clock: FakeClock): [FakeLink, FakeLink] {
  const a = new FakeLink(name, clock);
  const b = new FakeLink(name, clock);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export class FakePing implements PingMonitor {
  private report: ((reachable: boolean) => void) | undefined;
  constructor(private readonly initial: boolean | undefined) {}
  start(report: (reachable: boolean) => void): void {
    this.report = report;
    if (this.initial !== undefined) report(this.initial);
  }
  stop(): void {
    this.report = undefined;
  }
  set(reachable: boolean): void {
    this.report?.(reachable);
  }
}

/**
 * A resource that logs every call into a shared journal; `failAcquire` makes the next
 * acquires fail, `failAnnounce` the next announcements; while `announceGate` is pending an
 * announcement is in flight (its end is journalled as `announced`).
 */
export class FakeResource implements Resource {
  failAcquire = 0;
  failRelease = false;
  failAnnounce = 0;
  announceGate: Promise<void> | undefined;
  constructor(
    readonly name: string,
    private readonly journal: string[],
  ) {}
  async acquire(): Promise<void> {
    if (this.failAcquire > 0) {
      this.failAcquire--;
      this.journal.push(`${this.name}:acquire-failed`);
      throw new Error(`${this.name} refused`);
    }
    this.journal.push(`${this.name}:acquire`);
  }
  async release(): Promise<void> {
    this.journal.push(`${this.name}:release`);
    if (this.failRelease) throw new Error(`${this.name} stuck`);
  }
  async announce(reason: AnnounceReason): Promise<void> {
    this.journal.push(`${this.name}:announce:${reason}`);
    if (this.announceGate) {
      await this.announceGate;
      this.journal.push(`${this.name}:announced`);
    }
    if (this.failAnnounce > 0) {
      this.failAnnounce--;
      throw new Error(`${this.name} frame not sent`);
    }
  }
}

export const SECRET = 'aa'.repeat(32);

export interface TestNode {
  node: HeartbeatNode;
  links: FakeLink[];
  events: HeartbeatEventRecord[];
  journal: string[];
  resources: FakeResource[];
  ping: FakePing | undefined;
  /** Events of one type, for assertions. */
  of<T extends HeartbeatEventRecord['type']>(type: T): Extract<HeartbeatEventRecord, { type: T }>[];
  /** `from>to:reason` for every state event, in order. */
  transitions(): string[];
}

export function makeNode(
  clock: FakeClock,
  links: FakeLink[],
  overrides: Partial<HeartbeatNodeOptions['config']> & { nodeId: string; peerId: string },
  extra: { ping?: boolean | 'silent'; epoch?: number } = {},
): TestNode {
  const journal: string[] = [];
  const resources = [new FakeResource('vip', journal), new FakeResource('ipvs', journal)];
  const ping = extra.ping === undefined ? undefined : new FakePing(extra.ping === 'silent' ? undefined : extra.ping);
  const node = new HeartbeatNode({
    config: { role: 'master', keys: [{ id: 1, secret: SECRET }], ...overrides },
    links,
    resources,
    clock,
    epoch: extra.epoch ?? 1000,
    ...(ping ? { ping } : {}),
  });
  const events: HeartbeatEventRecord[] = [];
  node.onEvent((e) => events.push(e));
  return {
    node,
    links,
    events,
    journal,
    resources,
    ping,
    of: (type) => events.filter((e) => e.type === type) as never,
    transitions: () => events.flatMap((e) => (e.type === 'state' ? [`${e.from}>${e.to}:${e.reason}`] : [])),
  };
}

/** Two nodes, lb-a (master) and lb-b (slave), joined by `linkCount` fake links. */
export function makePair(
  options: {
    linkCount?: number;
    autoFailback?: boolean;
    pingA?: boolean | 'silent';
    pingB?: boolean | 'silent';
    timing?: Partial<Timing>;
  } = {},
) {
  const clock = new FakeClock();
  const wires = Array.from({ length: options.linkCount ?? 2 }, (_, i) => wire(`link${i}`, clock));
  const common = {
    ...(options.autoFailback === undefined ? {} : { autoFailback: options.autoFailback }),
    ...(options.timing === undefined ? {} : { timing: options.timing }),
  };
  const a = makeNode(
    clock,
    wires.map((w) => w[0]),
    { nodeId: 'lb-a', peerId: 'lb-b', role: 'master', ...common },
    options.pingA === undefined ? {} : { ping: options.pingA },
  );
  const b = makeNode(
    clock,
    wires.map((w) => w[1]),
    { nodeId: 'lb-b', peerId: 'lb-a', role: 'slave', ...common },
    options.pingB === undefined ? {} : { ping: options.pingB },
  );
  return {
    clock,
    wires,
    a,
    b,
    /** Cuts (or restores) link i in both directions. */
    cut(i: number, isCut = true) {
      const w = wires[i];
      if (!w) throw new Error(`no link ${i}`);
      w[0].cut = isCut;
      w[1].cut = isCut;
    },
    cutAll(isCut = true) {
      for (const w of wires) {
        w[0].cut = isCut;
        w[1].cut = isCut;
      }
    },
  };
}
