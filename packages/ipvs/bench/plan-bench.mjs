// The reconcile's own cost, outside any kernel: plan() for a table of BENCH_SERVICES x
// BENCH_DESTS against an identical table (a no-op) and against an empty one (a full
// load). Run after a build: `node bench/plan-bench.mjs`. Prints medians of 5 runs.
import { performance } from 'node:perf_hooks';
import { plan } from '../dist/index.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const DESTS = Number(process.env.BENCH_DESTS ?? 10);
const zero = { connections: 0n, inPackets: 0n, outPackets: 0n, inBytes: 0n, outBytes: 0n };
const stats = { ...zero, connectionRate: 0, inPacketRate: 0, outPacketRate: 0, inByteRate: 0, outByteRate: 0 };
const desired = [];
const actual = [];
for (let i = 0; i < SERVICES; i++) {
  const address = `192.0.2.${(i % 250) + 1}`;
  const port = 1000 + Math.floor(i / 250);
  const want = [];
  const have = [];
  for (let j = 0; j < DESTS; j++) {
    const dest = { address: `${j % 2 ? '203.0.113' : '198.51.100'}.${(j % 250) + 1}`, port, weight: 1 };
    want.push(dest);
    have.push({
      ...dest,
      forwarding: 'dr',
      upperThreshold: 0,
      lowerThreshold: 0,
      family: 4,
      activeConnections: 0,
      inactiveConnections: 0,
      persistentConnections: 0,
      stats,
    });
  }
  desired.push({ protocol: 'tcp', address, port, scheduler: 'wlc', destinations: want });
  actual.push({ protocol: 'tcp', address, port, scheduler: 'wlc', family: 4, flags: 2, stats, destinations: have });
}
const median = (fn) => {
  const times = [];
  for (let i = 0; i < 6; i++) {
    const start = performance.now();
    fn();
    if (i > 0) times.push(performance.now() - start); // the first run warms the JIT
  }
  return times.sort((a, b) => a - b)[2];
};
const noop = median(() => {
  if (plan(desired, actual).items.length !== 0) throw new Error('expected a no-op plan');
});
const full = median(() => plan(desired, []));
console.log(
  `plan() ${SERVICES} services x ${DESTS}: no-op ${noop.toFixed(0)} ms, full load ${full.toFixed(0)} ms (median of 5)`,
);
