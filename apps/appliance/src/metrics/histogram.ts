/**
 * A Prometheus histogram with fixed bounds, counted in place: recording one value costs a
 * walk over a dozen bounds and no allocation, so it can sit on the apply and health-check
 * paths. Plain arrays, not typed ones: a typed array of this size would get an off-heap
 * backing store each, and there is one histogram per checked real server.
 */
export class Histogram {
  /** Per bound, the values at or below it and above the previous one; the last: above every bound. */
  readonly counts: number[];
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // `le` is inclusive: a value equal to a bound falls in that bound's bucket.
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    this.sum += value;
  }
}

/** Engine applies, per part (seconds): from a no-op runtime change to a first apply of a large table. */
export const APPLY_SECONDS: readonly number[] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Health checks (seconds): a local connect takes well under a millisecond, a timeout several seconds. */
export const CHECK_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
