import { afterEach, describe, expect, it, vi } from 'vitest';
import { Foreground } from '../../src/engine/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Foreground', () => {
  it('a pause with no write in flight is one turn of the event loop', async () => {
    const fg = new Foreground();
    let passed = false;
    const pausing = fg.pause().then(() => {
      passed = true;
    });
    expect(passed).toBe(false);
    await pausing;
    expect(passed).toBe(true);
  });

  it('holds a pause while a write runs and lets it go when the last write settles, failed or not', async () => {
    const fg = new Foreground();
    let endFirst: () => void = () => undefined;
    let failSecond: (e: Error) => void = () => undefined;
    const first = fg.run(() => new Promise<void>((resolve) => (endFirst = resolve)));
    const second = fg.run(() => new Promise<void>((_, reject) => (failSecond = reject)));
    expect(fg.busy).toBe(true);
    let passed = false;
    const pausing = fg.pause().then(() => {
      passed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    endFirst();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    failSecond(new Error('refused'));
    await expect(second).rejects.toThrow('refused');
    await pausing;
    expect(passed).toBe(true);
    expect(fg.busy).toBe(false);
  });

  it('a steady stream of writes holds background work for at most two seconds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fg = new Foreground();
    void fg.run(() => new Promise<void>(() => undefined));
    let passed = false;
    const pausing = fg.pause().then(() => {
      passed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await vi.advanceTimersByTimeAsync(1999);
    expect(passed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pausing;
    expect(passed).toBe(true);
  });
});
