// The measured side of the benchmark, run inside the client namespace with --expose-gc:
// COUNT targets at a 1 s interval, then CPU and memory over SECONDS.
// Usage: node --expose-gc checker.mjs ADDRESS BASE COUNT SECONDS [connect|negotiate]
// BENCH_CONNECT=native|socket|auto picks the connect path (default auto).
import { NetworkExecutor, Scheduler } from '@sluice/health';

const [address, base, count, seconds] = process.argv.slice(2, 6).map((v, i) => (i === 0 ? v : Number(v)));
const check =
  process.argv[6] === 'negotiate' ? { type: 'negotiate', path: '/', expectStatus: [200] } : { type: 'connect' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const memory = () => {
  globalThis.gc();
  return process.memoryUsage();
};

// The baseline is the process with its executor and scheduler ready and no target: what a
// target costs, not what loading the FFI library once costs.
const executor = new NetworkExecutor({ connect: process.env.BENCH_CONNECT ?? 'auto' });
void executor.connectPath;
// BENCH_TICK_MS: the scheduler's tick grid (default 10 ms), see keepalived-guest.mjs.
const tickMs = process.env.BENCH_TICK_MS ? Number(process.env.BENCH_TICK_MS) : undefined;
const scheduler = new Scheduler({ executor, concurrency: 5000, warmupMs: 1000, ...(tickMs ? { tickMs } : {}) });
const baseline = memory();
let results = 0;
let failures = 0;
const reasons = {};
scheduler.on('result', (e) => {
  results++;
  if (!e.result.ok) {
    failures++;
    reasons[e.result.reason] = (reasons[e.result.reason] ?? 0) + 1;
  }
});
for (let i = 0; i < count; i++) {
  scheduler.set({
    id: `bench/${i}`,
    address,
    port: base + i,
    check,
    intervalMs: 1000,
    timeoutMs: 900,
    rise: 1,
    fall: 1,
  });
}
// BENCH_STATE=FILE: the checker's own view, rewritten four times a second, for a caller that
// kills it before it prints (the side-by-side benchmarks), and counts its checks by it.
if (process.env.BENCH_STATE) {
  const { renameSync, writeFileSync } = await import('node:fs');
  const file = process.env.BENCH_STATE;
  setInterval(() => {
    const state = { at: Date.now(), results, failures, reasons, load: scheduler.load, connect: executor.connectPath };
    // Whole or not at all: the caller may read it at any moment.
    writeFileSync(`${file}.new`, JSON.stringify(state));
    renameSync(`${file}.new`, file);
  }, 250).unref();
}
await sleep(5000); // warm-up: every target has run a few times, JIT settled
const loaded = memory();
const r0 = results;
const f0 = failures;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await sleep(seconds * 1000);
const cpu = process.cpuUsage(cpu0);
const elapsed = (performance.now() - t0) / 1000;
const checks = results - r0;
const after = memory();
const connectPath = executor.connectPath.path;
const counters = executor.connectPath.counters;
const load = scheduler.load;
const snapshot = scheduler.snapshot();
const p50s = snapshot
  .map((s) => s.stats.p50Ms ?? Number.NaN)
  .filter((v) => !Number.isNaN(v))
  .sort((a, b) => a - b);
const states = {};
for (const s of snapshot) states[s.state] = (states[s.state] ?? 0) + 1;
scheduler.stop();
await executor.close();
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(
  JSON.stringify({
    targets: count,
    connectPath,
    lane: counters && { ...counters, pollsPerSecond: Math.round(counters.polls / (elapsed + 6)) },
    /** Median over targets of each target's median latency, and the slowest target's. */
    latencyP50Ms: Number((p50s[Math.floor(p50s.length / 2)] ?? Number.NaN).toFixed(2)),
    latencyP50MaxMs: Number((p50s.at(-1) ?? Number.NaN).toFixed(2)),
    running: load.running,
    queued: load.queued,
    seconds: Number(elapsed.toFixed(1)),
    checksPerSecond: Math.round(checks / elapsed),
    failuresInWindow: failures - f0,
    reasons,
    states,
    cpuPercentOfOneCore: Number(((cpuSeconds / elapsed) * 100).toFixed(1)),
    cpuMicrosecondsPerCheck: Number(((cpuSeconds * 1e6) / checks).toFixed(1)),
    userMicrosecondsPerCheck: Number((cpu.user / checks).toFixed(1)),
    systemMicrosecondsPerCheck: Number((cpu.system / checks).toFixed(1)),
    heapBytesPerTarget: Math.round((loaded.heapUsed - baseline.heapUsed) / count),
    rssBytesPerTarget: Math.round((Math.max(loaded.rss, after.rss) - baseline.rss) / count),
    /** RSS per target after the warm-up and after the measured window; off-heap parts. */
    rssAfterWarmupBytesPerTarget: Math.round((loaded.rss - baseline.rss) / count),
    rssAfterWindowBytesPerTarget: Math.round((after.rss - baseline.rss) / count),
    arrayBuffersBytesPerTarget: Math.round((after.arrayBuffers - baseline.arrayBuffers) / count),
    externalBytesPerTarget: Math.round((after.external - baseline.external) / count),
    heapTotalBytesPerTarget: Math.round((loaded.heapTotal - baseline.heapTotal) / count),
  }),
);
