// The scheduler alone, without the network: COUNT connect targets on a lane that answers
// at once (on the next turn of the event loop); memory per target measured like
// checker.mjs, and CPU per check over SECONDS after a 2 s warm-up. SPACES=1 prints V8's
// heap spaces. Usage: node --expose-gc bench/memory-probe.mjs [COUNT] [SECONDS]
import { Scheduler } from '@sluice/health';

const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 5);
const OK = Object.freeze({ ok: true });
const memory = () => {
  globalThis.gc();
  return process.memoryUsage();
};
const pending = [];
const lane = {
  accepts: (r) => r.check.type === 'connect',
  start(_request, token, settle) {
    if (pending.length === 0) setImmediate(flush);
    pending.push(token, settle);
    return 0;
  },
  cancel() {},
};
function flush() {
  const batch = pending.splice(0);
  for (let i = 0; i < batch.length; i += 2) batch[i + 1](batch[i], OK);
}
const baseline = memory();
const scheduler = new Scheduler({ executor: { run: async () => OK, lane }, concurrency: 5000, warmupMs: 1000 });
let results = 0;
scheduler.on('result', () => results++);
for (let i = 0; i < count; i++) {
  scheduler.set({
    id: `bench/${i}`,
    address: '192.0.2.2',
    port: 20000 + i,
    check: { type: 'connect' },
    intervalMs: 1000,
    timeoutMs: 900,
    rise: 1,
    fall: 1,
  });
}
const set = memory();
await new Promise((r) => setTimeout(r, 2000));
const cpu0 = process.cpuUsage();
const r0 = results;
await new Promise((r) => setTimeout(r, seconds * 1000));
const cpu = process.cpuUsage(cpu0);
const checks = results - r0;
const loaded = memory();
const per = (a, b, k) => Math.round((a[k] - b[k]) / count);
console.log(
  JSON.stringify({
    results,
    schedulerUserMicrosecondsPerCheck: Number((cpu.user / checks).toFixed(2)),
    schedulerSystemMicrosecondsPerCheck: Number((cpu.system / checks).toFixed(2)),
    afterSet: {
      heap: per(set, baseline, 'heapUsed'),
      external: per(set, baseline, 'external') + per(set, baseline, 'arrayBuffers'),
      rss: per(set, baseline, 'rss'),
    },
    loaded: {
      heap: per(loaded, baseline, 'heapUsed'),
      heapTotal: per(loaded, baseline, 'heapTotal'),
      arrayBuffers: per(loaded, baseline, 'arrayBuffers'),
      rss: per(loaded, baseline, 'rss'),
    },
  }),
);
scheduler.stop();
const v8 = await import('node:v8');
if (process.env.SPACES)
  for (const s of v8.getHeapSpaceStatistics())
    console.log(
      s.space_name,
      Math.round(s.space_size / 1024),
      'KB size',
      Math.round(s.space_used_size / 1024),
      'KB used',
    );
