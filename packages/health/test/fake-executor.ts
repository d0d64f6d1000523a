import type { CheckExecutor, CheckRequest, CheckResult } from '../src/index.js';
import type { FakeClock } from './fake-clock.js';

export type Reply = CheckResult | 'hang' | Error;

/**
 * An executor whose answers the test scripts per address: a queue of replies (the last one
 * repeats), each after `delayMs` of fake time.
 */
export class FakeExecutor implements CheckExecutor {
  readonly calls: CheckRequest[] = [];
  readonly signals: AbortSignal[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly replies = new Map<string, Reply[]>();

  constructor(
    private readonly clock: FakeClock,
    private readonly delayMs = 0,
  ) {}

  script(address: string, ...replies: Reply[]): void {
    this.replies.set(address, replies);
  }

  callsTo(address: string): CheckRequest[] {
    return this.calls.filter((c) => c.address === address);
  }

  run(request: CheckRequest, signal: AbortSignal): Promise<CheckResult> {
    this.calls.push(request);
    this.signals.push(signal);
    const queue = this.replies.get(request.address) ?? [{ ok: true }];
    const reply = (queue.length > 1 ? queue.shift() : queue[0]) as Reply;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (reply === 'hang') return new Promise(() => {}); // ignores abort on purpose: never settles
    return new Promise((resolve, reject) => {
      this.clock.setTimer(() => {
        this.inFlight--;
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      }, this.delayMs);
    });
  }
}

export const OK: CheckResult = { ok: true };
export const REFUSED: CheckResult = { ok: false, reason: 'refused', detail: 'connect ECONNREFUSED' };
