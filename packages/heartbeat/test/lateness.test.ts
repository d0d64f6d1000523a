import { describe, expect, it } from 'vitest';
import { LATENESS_BUCKETS_MS, Lateness } from '../src/lateness.js';
import { makePair } from './support/fakes.js';

describe('Lateness', () => {
  it('keeps count, sum, last, max and cumulative buckets (Prometheus le semantics)', () => {
    const lateness = new Lateness();
    expect(lateness.snapshot()).toMatchObject({ count: 0, sumMs: 0, lastMs: undefined, maxMs: 0 });
    for (const ms of [0, 5, 6, 120, 7000, -3]) lateness.record(ms);
    const snapshot = lateness.snapshot();
    expect(snapshot).toMatchObject({ count: 6, sumMs: 7131, lastMs: 0, maxMs: 7000 });
    const at = (bound: number) => snapshot.buckets[LATENESS_BUCKETS_MS.indexOf(bound as never)];
    // 0, 5 and the negative one (counted as 0) are <= 5 ms; 6 <= 10; 120 <= 150; 7000 above every bound.
    expect(at(5)).toBe(3);
    expect(at(10)).toBe(4);
    expect(at(100)).toBe(4);
    expect(at(150)).toBe(5);
    expect(at(5000)).toBe(5);
    expect(snapshot.count - (snapshot.buckets.at(-1) ?? 0)).toBe(1);
  });
});

describe('heartbeat timing in the node status', () => {
  it('a blocked event loop shows as send lateness on this node and as a gap at the peer', async () => {
    const { a, b, clock } = makePair();
    a.node.start();
    b.node.start();
    await clock.advance(1000);
    const before = a.node.status().timing;
    // On time: every heartbeat left when due, and the peer's arrive a keepalive apart.
    expect(before.sendLateness.count).toBeGreaterThan(10);
    expect(before.sendLateness.maxMs).toBe(0);
    expect(before.peerGap.maxMs).toBeGreaterThan(0);
    expect(before.peerGap.maxMs).toBeLessThanOrEqual(60);
    // Blocked 120 ms from a moment 50 ms before the next heartbeat was due: it leaves 70 ms late.
    await clock.stall(120);
    await clock.advance(100);
    const after = a.node.status().timing;
    expect(after.sendLateness.maxMs).toBe(70);
    expect(b.node.status().timing.peerGap.maxMs).toBeGreaterThanOrEqual(120);
  });
});
