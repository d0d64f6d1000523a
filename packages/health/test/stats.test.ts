import { describe, expect, it } from 'vitest';
import { LatencyRecorder, SampleStore } from '../src/stats.js';

describe('LatencyRecorder', () => {
  it('keeps counters over all checks and percentiles over the last 64 successes', () => {
    const recorder = new LatencyRecorder();
    expect(recorder.read()).toMatchObject({ checks: 0, samples: 0, lastMs: undefined, p50Ms: undefined });
    for (let i = 1; i <= 100; i++) recorder.record(true, i);
    recorder.record(false, 5000);
    expect(recorder.read()).toEqual({
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

  it('shares a store between recorders without mixing their samples, and reuses released rings', () => {
    const store = new SampleStore();
    const recorders = Array.from({ length: 600 }, () => new LatencyRecorder(store));
    recorders.forEach((r, i) => {
      r.record(true, i + 0.25);
    });
    expect(recorders.map((r) => r.read().p50Ms)).toEqual(recorders.map((_, i) => i + 0.25));
    (recorders[7] as LatencyRecorder).release();
    const again = new LatencyRecorder(store);
    expect(store.allocate()).toBe(600); // the released ring went to `again`, the next is new
    again.record(true, 3);
    expect(again.read()).toMatchObject({ samples: 1, p50Ms: 3, p99Ms: 3 });
    expect((recorders[8] as LatencyRecorder).read().p50Ms).toBe(8.25);
  });
});
