import { describe, expect, it } from 'vitest';
import { outageRatio, percentile, summarize } from '../src/index.js';

describe('failover statistics', () => {
  it('summarize: nearest-rank percentiles of the outages', () => {
    const gaps = Array.from({ length: 25 }, (_, i) => 100 + i);
    expect(summarize('x', [...gaps].reverse())).toEqual({
      impl: 'x',
      trials: 25,
      p50: 112,
      p90: 122,
      p99: 124,
      max: 124,
    });
    expect(percentile([], 50)).toBeNaN();
  });

  it("outageRatio: how many times one implementation's outages are another's", () => {
    const ratio = outageRatio(summarize('a', [200, 400]), summarize('b', [100, 100]));
    expect(ratio).toEqual({ of: 'a', to: 'b', p50: 2, p99: 4 });
  });
});
