// `npm run bench`: boots the rig's IPVS kernel, runs ipvs-bench.mjs inside it, and writes
// the figures into README.md between the bench markers. Sizes: BENCH_SERVICES, BENCH_DESTS.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rigDescription, runInKernel } from '@sluice/testkit';

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
  timeoutMs: 90 * 60_000,
  onOutput: (chunk) => process.stderr.write(chunk),
});
const line = result.output.split('\n').find((l) => l.startsWith('BENCH '));
if (result.exitCode !== 0 || !line) {
  console.error(`benchmark failed (exit ${result.exitCode})`);
  process.exit(1);
}
const r = JSON.parse(line.slice(6));
const host = JSON.parse(execFileSync(process.execPath, [here('./costs.mjs')], { encoding: 'utf8' }));
const sorted = (name) => [...r.samples[name]].sort((a, b) => a - b);
const median = (name) => {
  const v = sorted(name);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const pct = (name, p) => {
  const v = sorted(name);
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))];
};
const s = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
/** Median, and the range of the samples when there are several. */
const m = (name) => {
  const v = sorted(name);
  return v.length > 1 ? `${s(median(name))} (${s(v[0])}-${s(v.at(-1))})` : s(median(name));
};
const x = (a, b) => `${(median(a) / median(b)).toFixed(1)}x`;
const table = `Measured ${new Date().toISOString().slice(0, 10)} on ${await rigDescription()}, shared with other jobs. Table: ${r.services.toLocaleString('en')} services × ${r.destinationsPerService} real servers. Each figure is the median of
${r.repeat} runs (range in brackets), the tools taking turns; ratios are of medians.
Reproduce: \`npm run bench -w packages/ipvs\`.

| what | ipvsadm | @sluice/ipvs | ratio | goal |
| --- | --- | --- | --- | --- |
| empty -> full table | \`ipvsadm -R\` ${m('ipvsadmRestoreMs')} | \`apply(plan())\` in process ${m('oursApplyMs')}; \`sluice-ipvs -R\` ${m('oursCliRestoreMs')} | ${x('ipvsadmRestoreMs', 'oursApplyMs')}; ${x('ipvsadmRestoreMs', 'oursCliRestoreMs')} | 10x |
| full dump | \`ipvsadm -Ln\` ${m('ipvsadmListMs')} | \`list()\`, first call of a process ${m('oursListMs')}; in a running process ${m('oursListWarmMs')}; \`sluice-ipvs -Ln\` ${m('oursCliListMs')} | ${x('ipvsadmListMs', 'oursListMs')}; ${x('ipvsadmListMs', 'oursListWarmMs')}; ${x('ipvsadmListMs', 'oursCliListMs')} | 5x |
| no-op reconcile, 0 writes | \`ipvsadm -S -n\` ${m('ipvsadmSaveMs')}; save, sort and \`diff\` with the rules ${m('ipvsadmUserNoopMs')} | \`plan(desired, await listSettings())\` in a running process, rounds 3-5 ${m('oursNoopWarmMs')} (its first round ${m('oursNoopFirstMs')}); in a fresh process ${m('oursNoopColdMs')}; \`plan(desired, await list())\` ${m('oursNoopFromListMs')} | ${x('ipvsadmSaveMs', 'oursNoopWarmMs')} (vs \`-S\`), ${x('ipvsadmUserNoopMs', 'oursNoopWarmMs')} (vs save+diff); fresh process ${x('ipvsadmSaveMs', 'oursNoopColdMs')}; from \`list()\` ${x('ipvsadmSaveMs', 'oursNoopFromListMs')} | 10x |
| one weight change, table loaded | \`ipvsadm -e\` ${m('ipvsadmEditMs')} | \`editDestination()\` p50 ${s(pct('weightChangeMs', 50))}, p99 ${s(pct('weightChangeMs', 99))}, max ${s(pct('weightChangeMs', 100))} | ${(median('ipvsadmEditMs') / pct('weightChangeMs', 50)).toFixed(0)}x (p50) | < 5 ms |

\`list()\` in a running process through the \`netlink\` package's sockets (\`directDumps: false\`, 4 sockets): ${m('oursListWarmPackageMs')}, ${x('oursListWarmPackageMs', 'oursListWarmMs')} the direct socket's time.
What UML costs here, seen from Node (\`bench/costs.mjs\`): a system call ${r.guestCosts.syscallUs.toFixed(0)} µs in the guest, ${host.syscallUs.toFixed(1)} µs on the
host (${(r.guestCosts.syscallUs / host.syscallUs).toFixed(0)}x); a page fault ${r.guestCosts.faultUs.toFixed(0)} µs in the guest, ${host.faultUs.toFixed(1)} µs on the host (${(r.guestCosts.faultUs / host.faultUs).toFixed(0)}x).
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
  // The repository's formatter aligns the table, so the README stays lint-clean.
  execFileSync(here('../../../node_modules/.bin/biome'), ['format', '--write', readme], { stdio: 'ignore' });
  console.log('README.md updated');
}
