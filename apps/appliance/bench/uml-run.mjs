// What the benchmarks that run inside the rig's UML kernel share: running one there, the
// figures' formatting, and writing a table into README.md between its markers.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rigDescription, runInKernel } from '@sluice/testkit';

export const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** Runs `argv` (after node and its BENCH_NODE_FLAGS) in the kernel; resolves with its "BENCH {json}" line. */
export async function benchInKernel(argv) {
  const result = await runInKernel({
    command: [process.execPath, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), ...argv],
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
    console.error(`benchmark failed in the kernel (exit ${result.exitCode})`);
    process.exit(1);
  }
  return JSON.parse(line.slice(6));
}

export const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
export const list = (values) => values.map(ms).join(', ');
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The first line of a figures block: when, where, how to reproduce. */
export async function measuredOn(r) {
  return `Measured ${new Date().toISOString().slice(0, 10)} on ${await rigDescription()} (one CPU; a system call costs tens of times a native one: read the
ratios, not the absolute figures)${r.nodeFlags ? `, Node flags \`${r.nodeFlags}\`` : ''}. ${r.services.toLocaleString('en')} Layer 4 virtual services × ${r.serversPerService} real servers
(${(r.services * r.serversPerService).toLocaleString('en')}), NAT. Reproduce: \`npm run bench -w apps/appliance\`.`;
}

/** Replaces the block between `<!-- name:start -->` and `<!-- name:end -->` in README.md. */
export function writeFigures(name, table) {
  console.log(table);
  const readme = here('../README.md');
  const text = readFileSync(readme, 'utf8');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  if (!text.includes(start) || !text.includes(end)) {
    console.log(`README.md has no ${start} ... ${end} markers: add them where the figures belong`);
    return;
  }
  writeFileSync(
    readme,
    `${text.slice(0, text.indexOf(start) + start.length)}\n${table}${text.slice(text.indexOf(end))}`,
  );
  // The table's columns are padded the way the repository's formatter (and lint) wants them.
  execFileSync(here('../../../node_modules/.bin/biome'), ['format', '--write', readme], { stdio: 'ignore' });
  console.log('README.md updated');
}
