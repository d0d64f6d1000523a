// Benchmarks: (1) render() of 10,000 backends x 10 servers, beside the time the real
// `haproxy -c` takes to parse the same file; (2) the runtime `set weight` round trip on
// the admin socket (a new connection per call, as the engine makes them) and through the
// master socket. HAProxy runs with no listener at all (backends only, no checks), so the
// benchmark makes no network traffic. Needs a build (`npm run build`) and haproxy on PATH.
// Usage: node bench/run.ts [BACKENDS=10000] [SERVERS=10] [CALLS=2000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HaproxyConfig, RuntimeClient, render, Supervisor } from '../dist/index.js';

const backends = Number(process.argv[2] ?? 10_000);
const servers = Number(process.argv[3] ?? 10);
const calls = Number(process.argv[4] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'sluice-haproxy-bench-'));

function model(): HaproxyConfig {
  return {
    global: { adminSocket: { path: join(dir, 'admin.sock') }, log: [] },
    frontends: [],
    backends: Array.from({ length: backends }, (_, b) => ({
      name: `app${b}`,
      balance: { algorithm: 'roundrobin' as const },
      persistence: { type: 'cookie-insert' as const, cookie: 'SRV' },
      healthCheck: { type: 'http' as const, path: '/health' },
      servers: Array.from({ length: servers }, (_, s) => ({
        name: `s${s}`,
        address: `198.51.100.${(b % 250) + 1}`,
        port: 8000 + s,
        weight: 10,
        check: false,
      })),
    })),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

// 1. render
const config = model();
for (let i = 0; i < 3; i++) render(config); // warm up the JIT
const renderTimes: number[] = [];
let text = '';
for (let i = 0; i < 10; i++) {
  const start = performance.now();
  text = render(config);
  renderTimes.push(performance.now() - start);
}
renderTimes.sort((a, b) => a - b);
const file = join(dir, 'haproxy.cfg');
writeFileSync(file, text);
const checkTimes: number[] = [];
for (let i = 0; i < 3; i++) {
  const start = performance.now();
  execFileSync('haproxy', ['-c', '-f', file], { stdio: 'ignore' });
  checkTimes.push(performance.now() - start);
}
checkTimes.sort((a, b) => a - b);
console.log(
  `render: ${backends} backends x ${servers} servers (${(text.length / 1e6).toFixed(1)} MB, ${text.split('\n').length} lines)`,
);
console.log(
  `  render()     median ${ms(percentile(renderTimes, 50))}, min ${ms(renderTimes[0] as number)}, max ${ms(renderTimes.at(-1) as number)} (10 runs)`,
);
console.log(
  `  haproxy -c   median ${ms(percentile(checkTimes, 50))}, min ${ms(checkTimes[0] as number)}, max ${ms(checkTimes.at(-1) as number)} (3 runs)`,
);

// 2. set weight round trip on a running HAProxy (a small configuration: the same model with 10 backends).
const small: HaproxyConfig = { ...model(), backends: model().backends.slice(0, 10) };
const supervisor = new Supervisor({ configPath: join(dir, 'small.cfg'), masterSocket: join(dir, 'master.sock') });
try {
  const started = await supervisor.start(small);
  if (!started.applied) throw new Error(JSON.stringify(started.diagnostics));
  for (const [label, client] of [
    ['admin socket', new RuntimeClient({ socketPath: join(dir, 'admin.sock') })],
    ['master socket @1', supervisor.runtime()],
  ] as const) {
    for (let i = 0; i < 50; i++) await client.setWeight('app0', 's0', (i % 200) + 1);
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const start = performance.now();
      await client.setWeight(`app${i % 10}`, `s${i % servers}`, (i % 200) + 1);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    console.log(
      `set weight via ${label}: ${calls} calls, p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, max ${ms(times.at(-1) as number)}`,
    );
  }
} finally {
  await supervisor.stop();
  rmSync(dir, { recursive: true, force: true });
}
