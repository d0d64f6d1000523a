import type { HeartbeatEvent } from '@sluice/heartbeat';

type StateEvent = Extract<HeartbeatEvent, { type: 'state' }>;

/**
 * This node's role as an operator reads it: active or passive, since when, and why (the
 * reason of the transition that began the move: `peer-dead`, `takeover`, `ping-lost`,
 * `failback`, ...; the package's `acquired`/`released` only end it), with a count of the
 * moves per reason for `/metrics`. A move that ends where it began (an acquire that failed)
 * is not a transition.
 */
export class RoleHistory {
  state: 'active' | 'passive';
  since: number;
  reason: string;
  private pending: string | undefined;
  private readonly counts = new Map<string, number>();

  constructor(state: 'active' | 'passive', now: number, reason: string) {
    this.state = state;
    this.since = now;
    this.reason = reason;
  }

  observe(event: Pick<StateEvent, 'to' | 'reason'>, now: number): void {
    if (event.to === 'acquiring' || event.to === 'releasing') {
      this.pending ??= event.reason;
      return;
    }
    const reason = this.pending ?? event.reason;
    this.pending = undefined;
    this.settle(event.to === 'active' ? 'active' : 'passive', now, reason);
  }

  /** A state the node was put in from outside the heartbeat (HA switched on or off, the heartbeat restarted). */
  settle(state: 'active' | 'passive', now: number, reason: string): void {
    if (state === this.state) return;
    // The first state after the daemon's start is where it begins, not a move.
    if (this.reason !== 'start') this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.state = state;
    this.since = now;
    this.reason = reason;
  }

  transitions(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
