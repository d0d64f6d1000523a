import { describe, expect, it } from 'vitest';
import { serial } from '../src/serial.js';

describe('serial', () => {
  it('runs tasks one at a time in the order given, a failure staying with its caller', async () => {
    const queue = serial();
    const events: string[] = [];
    let release: () => void = () => undefined;
    const first = queue(
      () =>
        new Promise<string>((resolve) => {
          events.push('first starts');
          release = () => resolve('first');
        }),
    );
    const second = queue(async () => {
      events.push('second starts');
      throw new Error('second fails');
    });
    const third = queue(() => {
      events.push('third starts');
      return 3;
    });
    await Promise.resolve();
    expect(events).toEqual(['first starts']);
    release();
    await expect(first).resolves.toBe('first');
    await expect(second).rejects.toThrow('second fails');
    await expect(third).resolves.toBe(3);
    expect(events).toEqual(['first starts', 'second starts', 'third starts']);
  });

  it('idle() waits for what was queued before it, failures included', async () => {
    const queue = serial();
    let done = false;
    const failing = queue(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      done = true;
      throw new Error('no');
    });
    failing.catch(() => undefined);
    await queue.idle();
    expect(done).toBe(true);
  });
});
