// The keepalived comparison, RUNS times over: each run boots the IPVS test kernel and runs
// bench/keepalived-guest.mjs in it. Prints every run (CPU per check of both, the ratio, the
// host's load average before and after) and the median ratio. CPU is each process tree's
// time on the CPU (schedstat; the ticked figures are utime + stime): in the test kernel
// both are counted by 100 Hz ticks, see keepalived-guest.mjs on the checker's tick grid.
// Usage (root): node bench/keepalived.mjs [RUNS=9] [COUNT=1000] [SECONDS=20] [CONNECT=native]
// BENCH_LOCK=FILE: hold flock(1) on FILE for each run only (a machine shared with other benchmarks).
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const [runs = 9, count = 1000, seconds = 20] = process.argv.slice(2, 5).map(Number);
const connect = process.argv[5] ?? 'native';
const guest = join(import.meta.dirname, 'keepalived-guest.mjs');
const kernel = [
  'sluice-testkit',
  'kernel',
  '--timeout',
  '900',
  '--',
  'node',
  guest,
  String(count),
  String(seconds),
  connect,
];
const command = process.env.BENCH_LOCK ? ['flock', process.env.BENCH_LOCK, ...kernel] : kernel;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const rows = [];
for (let i = 1; i <= runs; i++) {
  const before = load();
  const { stdout } = await run(command[0], command.slice(1), { maxBuffer: 64 << 20, timeout: 1_000_000 });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`run ${i} printed no RESULT:\n${stdout.slice(-2000)}`);
  const r = JSON.parse(line.slice(7));
  const row = {
    run: i,
    keepalivedMicroseconds: r.keepalived.cpuMicrosecondsPerCheck,
    keepalivedTickedMicroseconds: r.keepalived.tickedMicrosecondsPerCheck,
    keepalivedChecksPerSecond: r.keepalived.checksPerSecond,
    sluiceMicroseconds: r.sluice.cpuMicrosecondsPerCheck,
    sluiceTickedMicroseconds: r.sluice.tickedMicrosecondsPerCheck,
    sluiceChecksPerSecond: r.sluice.checksPerSecond,
    sluiceSeenByListeners: r.sluice.seenByListeners,
    failures: r.sluiceState.failures,
    ratio: r.ratio,
    tickedRatio: Number((r.sluice.tickedMicrosecondsPerCheck / r.keepalived.tickedMicrosecondsPerCheck).toFixed(2)),
    loadBefore: before,
    loadAfter: load(),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
console.log(
  JSON.stringify({
    runs: rows.length,
    ratios: rows.map((r) => r.ratio),
    medianRatio: median(rows.map((r) => r.ratio)),
    maxRatio: Math.max(...rows.map((r) => r.ratio)),
    medianKeepalivedMicroseconds: median(rows.map((r) => r.keepalivedMicroseconds)),
    medianSluiceMicroseconds: median(rows.map((r) => r.sluiceMicroseconds)),
  }),
);
