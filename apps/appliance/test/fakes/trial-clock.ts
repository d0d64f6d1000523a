import type { TrialClock } from '../../src/host-network/trial.js';

/** A clock that moves only when the test says so: timers fire in `advance`, never on their own. */
export class FakeClock implements TrialClock {
  time = 1_000_000;
  timers: { at: number; fire: () => void }[] = [];
  now = () => this.time;
  after(ms: number, fire: () => void) {
    const timer = { at: this.time + ms, fire };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
  advance(ms: number) {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const timer of due) timer.fire();
  }
}
