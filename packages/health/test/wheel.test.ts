import { describe, expect, it } from 'vitest';
import { TickWheel } from '../src/wheel.js';
import { FakeClock } from './fake-clock.js';

describe('TickWheel', () => {
  it('fires items at their tick, in tick order, on one timer, and skips cancelled ones', async () => {
    const clock = new FakeClock();
    const fired: Array<[string, number]> = [];
    const wheel = new TickWheel<{ due: number | undefined; name: string }>(clock, 10, (item) =>
      fired.push([item.name, clock.now()]),
    );
    const items = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ due: undefined, name }));
    const [a, b, c, d, e] = items as [
      (typeof items)[0],
      (typeof items)[0],
      (typeof items)[0],
      (typeof items)[0],
      (typeof items)[0],
    ];
    wheel.schedule(c, 95);
    wheel.schedule(a, 1);
    wheel.schedule(b, 10);
    wheel.schedule(d, 500);
    wheel.schedule(e, 95);
    wheel.cancel(d);
    expect(clock.pending).toBe(1);
    await clock.advance(1000);
    expect(fired).toEqual([
      ['a', 10],
      ['b', 10],
      ['c', 100],
      ['e', 100],
    ]);
    expect(d.due).toBeUndefined();
  });

  it('lets a fired item schedule itself again, even for the current tick', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const item = { due: undefined as number | undefined };
    const wheel = new TickWheel(clock, 10, (i) => {
      if (++runs < 3) wheel.schedule(i, 0);
    });
    wheel.schedule(item, 0);
    await clock.advance(0);
    expect(runs).toBe(3);
    wheel.stop();
    expect(clock.pending).toBe(0);
  });
});
