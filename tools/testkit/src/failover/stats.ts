/** The value at percentile `p` of ascending `sorted` values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)] ?? Number.NaN;
}

/** One implementation's outages (ms): what the benchmarks print. */
export interface OutageSummary {
  impl: string;
  trials: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(impl: string, values: readonly number[]): OutageSummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    impl,
    trials: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** How many times `of`'s outages are `to`'s, at p50 and p99. */
export function outageRatio(
  of: OutageSummary,
  to: OutageSummary,
): { of: string; to: string; p50: number; p99: number } {
  return { of: of.impl, to: to.impl, p50: of.p50 / to.p50, p99: of.p99 / to.p99 };
}
