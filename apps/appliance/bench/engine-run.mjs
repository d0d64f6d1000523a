// `npm run bench -w apps/appliance` (engine part): bundles the engine, boots the rig's UML kernel
// with IPVS, runs engine-bench.mjs inside it, and writes the figures into README.md between
// the engine-bench markers. Sizes: BENCH_SERVICES, BENCH_SERVERS, BENCH_CHANGES.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInKernel } from '@sluice/testkit';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// Inside the package's node_modules, so that the bundle's bare imports resolve as the package's do.
const cache = here('../node_modules/.cache/');
mkdirSync(cache, { recursive: true });
const bundle = join(mkdtempSync(join(cache, 'sluice-engine-bench-')), 'engine.mjs');
await build({
  entryPoints: [here('./engine-entry.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  outfile: bundle,
  logLevel: 'error',
});

const result = await runInKernel({
  // BENCH_NODE_FLAGS: Node flags for the process under test (e.g. --max-semi-space-size=1).
  command: [
    process.execPath,
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    here('./engine-bench.mjs'),
    bundle,
  ],
  env: {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/root',
  },
  cwd: here('..'),
  memoryMiB: 3072,
  timeoutMs: 60 * 60_000,
  onOutput: (chunk) => process.stderr.write(chunk),
});
const line = result.output.split('\n').find((l) => l.startsWith('BENCH '));
if (result.exitCode !== 0 || !line) {
  console.error(`engine benchmark failed (exit ${result.exitCode})`);
  process.exit(1);
}
const r = JSON.parse(line.slice(6));
const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const list = (values) => values.map(ms).join(', ');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const q = r.quiet;
const d = r.daemonLike;
const w = r.wholeDocument;
const table = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()} (Debian 12), inside the
rig's User-Mode Linux kernel ${r.kernel} (one CPU; a system call costs tens of times a native one: read the
ratios, not the absolute figures)${r.nodeFlags ? `, Node flags \`${r.nodeFlags}\`` : ''}. ${r.services.toLocaleString('en')} Layer 4 virtual services × ${r.serversPerService} real servers
(${(r.services * r.serversPerService).toLocaleString('en')}), NAT. Reproduce: \`npm run bench -w apps/appliance\`.

| what | figure | goal |
| --- | --- | --- |
| cold start: store open + engine apply until IPVS holds the whole table (3 runs) | ${list(r.coldStartMs)} (open ${list(r.coldOpenMs)}) | < 3 s |
| the same table with \`ipvsadm -R\` from empty, same kernel, same run | ${ms(r.ipvsadmRestoreMs)}: ${(r.ipvsadmRestoreMs / median(r.coldStartMs)).toFixed(1)}x the engine's cold start | |
| one-server weight change as the API makes it, store commit until the kernel has it (${q.total.n} changes after ${r.warmup} untimed, drift and observation timers off) | p50 ${ms(q.total.p50)}, p99 ${ms(q.total.p99)} (commit p99 ${ms(q.commit.p99)}, apply p99 ${ms(q.apply.p99)}) | p99 < 50 ms |
| the same with the daemon's timers (drift 5 s, observations 2 s) | p50 ${ms(d.total.p50)}, p99 ${ms(d.total.p99)}, max ${ms(d.total.max)} (apply p99 ${ms(d.apply.p99)}) | p99 < 50 ms |
| the same change sent as a whole new document (every object new: all parsed and checked; ${w.total.n} changes) | p50 ${ms(w.total.p50)}, p99 ${ms(w.total.p99)} (commit p99 ${ms(w.commit.p99)}) | |
| drain / online of one server (admin state, no new version) | p50 ${ms(q.admin.p50)}, p99 ${ms(q.admin.p99)} | |
| one \`ipvsadm -e\` (a process per change) | p50 ${ms(r.ipvsadmEditMs.p50)}, p99 ${ms(r.ipvsadmEditMs.p99)} | |
| drift check of the whole table (dump + plan, nothing to repair) | ${ms(q.driftCheckMs)} | |

Every ${20}th weight change was read back with the real \`ipvsadm -L -n -t\` after apply resolved (${q.verified + d.verified} checks, all showed the new weight).
`;
console.log(table);
const readme = here('../README.md');
const text = readFileSync(readme, 'utf8');
const start = '<!-- engine-bench:start -->';
const end = '<!-- engine-bench:end -->';
if (text.includes(start) && text.includes(end)) {
  writeFileSync(
    readme,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${table}${text.slice(text.indexOf(end))}`,
  );
  // The table's columns are padded the way the repository's formatter (and lint) wants them.
  execFileSync(here('../../../node_modules/.bin/biome'), ['format', '--write', readme], { stdio: 'ignore' });
  console.log('README.md updated');
} else {
  console.log(`README.md has no ${start} ... ${end} markers: add them where the figures belong`);
}
