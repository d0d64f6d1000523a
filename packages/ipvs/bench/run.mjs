// `npm run bench`: boots the rig's IPVS kernel, runs ipvs-bench.mjs inside it, and writes
// the figures into README.md between the bench markers. Sizes: BENCH_SERVICES, BENCH_DESTS.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runInKernel } from '@sluice/testkit';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const result = await runInKernel({
  command: [process.execPath, here('./ipvs-bench.mjs')],
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
  console.error(`benchmark failed (exit ${result.exitCode})`);
  process.exit(1);
}
const r = JSON.parse(line.slice(6));
const s = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const x = (a, b) => `${(a / b).toFixed(1)}x`;
const table = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim()} (Debian 12), inside the
rig's User-Mode Linux kernel ${r.kernel} (system calls there cost tens of times a native kernel's: compare
the ratios, not the absolute figures). Table: ${r.services.toLocaleString('en')} services × ${r.destinationsPerService} real servers.
Reproduce: \`npm run bench -w packages/ipvs\`.

| what | ipvsadm | @sluice/ipvs | ratio |
| --- | --- | --- | --- |
| empty -> full table | \`ipvsadm -R\` ${s(r.ipvsadmRestoreMs)} | \`apply(plan())\` in process ${s(r.oursApplyMs)}; \`sluice-ipvs -R\` ${s(r.oursCliRestoreMs)} | ${x(r.ipvsadmRestoreMs, r.oursApplyMs)}; ${x(r.ipvsadmRestoreMs, r.oursCliRestoreMs)} |
| no-op reconcile of the full table | \`ipvsadm -S -n\` ${s(r.ipvsadmSaveMs)} | \`plan(desired, await list())\` ${s(r.oursNoopReconcileMs)}, ${r.oursNoopOperations} writes | ${x(r.ipvsadmSaveMs, r.oursNoopReconcileMs)} |
| full dump | \`ipvsadm -Ln\` ${s(r.ipvsadmListMs)} | \`list()\` ${s(r.oursListMs)}; \`sluice-ipvs -Ln\` ${s(r.oursCliListMs)} | ${x(r.ipvsadmListMs, r.oursListMs)}; ${x(r.ipvsadmListMs, r.oursCliListMs)} |
| one weight change, table loaded | \`ipvsadm -e\` ${s(r.ipvsadmEditMs)} | \`editDestination()\` p50 ${s(r.weightChangeMs.p50)}, p99 ${s(r.weightChangeMs.p99)}, max ${s(r.weightChangeMs.max)} | ${x(r.ipvsadmEditMs, r.weightChangeMs.p50)} (p50) |
`;
console.log(table);
const readme = here('../README.md');
const text = readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (text.includes(start) && text.includes(end)) {
  writeFileSync(
    readme,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${table}${text.slice(text.indexOf(end))}`,
  );
  console.log('README.md updated');
}
