import { describe, expect, it } from 'vitest';
import { SampleStore } from '../src/stats.js';

describe('SampleStore', () => {
  it('keeps counters over all checks and percentiles over the last 64 successes', () => {
    const store = new SampleStore();
    const ring = store.allocate();
    expect(store.read(ring)).toMatchObject({ checks: 0, samples: 0, lastMs: undefined, p50Ms: undefined });
    for (let i = 1; i <= 100; i++) store.record(ring, true, i);
    store.record(ring, false, 5000);
    expect(store.read(ring)).toEqual({
      checks: 101,
      failures: 1,
      samples: 100,
      lastMs: 100,
      minMs: 1,
      maxMs: 100,
      meanMs: 50.5,
      // The ring holds 37..100.
      p50Ms: 68,
      p95Ms: 97,
      p99Ms: 100,
    });
  });

  it('keeps many rings apart, and reuses released ones with their counters at zero', () => {
    const store = new SampleStore();
    const rings = Array.from({ length: 600 }, () => store.allocate());
    rings.forEach((ring, i) => {
      store.record(ring, true, i + 0.25);
    });
    expect(rings.map((ring) => store.read(ring).p50Ms)).toEqual(rings.map((_, i) => i + 0.25));
    store.release(rings[7] as number);
    const again = store.allocate();
    expect(again).toBe(rings[7]);
    expect(store.read(again)).toMatchObject({ checks: 0, samples: 0 });
    expect(store.allocate()).toBe(600); // the next is new
    store.record(again, true, 3);
    expect(store.read(again)).toMatchObject({ samples: 1, p50Ms: 3, p99Ms: 3 });
    expect(store.read(rings[8] as number).p50Ms).toBe(8.25);
  });
});
