// Benchmark: how long clients lose the floating IP when the active node of the appliance
// pair dies, next to the heartbeat package's own daemon and keepalived 2.2.7 (tuned and
// defaults), in one run on one topology (@sluice/testkit's FailoverLab: two balancers and
// a client on a bridge, a direct cable between the balancers). A UDP probe every 10 ms
// from the client to the floating IP; at a random phase of the heartbeat cycle the active
// node dies: every process in its namespace SIGKILLed (the daemon and whatever it
// started) and both its cables pulled at the same instant. The outage is the longest
// silence the client saw. The appliance needs only the floating IP here (no Layer 4
// service: the host kernel has no IPVS). Writes the figures into README.md.
// Usage (root): node bench/ha-failover.ts [TRIALS=25] [IMPLS=appliance,sluice,keepalived-tuned,keepalived-default]
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  compareFailovers,
  FailoverLab,
  heartbeatDaemon,
  keepalived,
  type OutageSummary,
  outageRatio,
} from '@sluice/testkit';
import { AppliancePair, machine } from './ha-pair.ts';
import { writeFigures } from './uml-run.mjs';

const trials = Number(process.argv[2] ?? 25);
const impls = (process.argv[3] ?? 'appliance,sluice,keepalived-tuned,keepalived-default').split(',');
const HEARTBEAT_CLI = join(
  dirname(createRequire(import.meta.url).resolve('@sluice/heartbeat/package.json')),
  'dist',
  'cli.js',
);

const DESCRIPTION: Record<string, string> = {
  appliance: 'the appliance pair (`sluice-appliance serve` x 2, HA through the API)',
  sluice: '`sluice-heartbeat run` (the package daemon, defaults)',
  'keepalived-tuned': 'keepalived 2.2.7 tuned (VRRPv3, advert_int 0.1 s, garp delay 0)',
  'keepalived-default': 'keepalived 2.2.7 defaults (VRRPv2, advert_int 1 s)',
};

const dir = mkdtempSync(join(tmpdir(), 'sluice-ha-failover-'));
const lab = await FailoverLab.create();
try {
  const implementations = [
    new AppliancePair(lab, dir),
    heartbeatDaemon(dir, { cli: HEARTBEAT_CLI }),
    keepalived(dir, true),
    keepalived(dir, false),
  ];
  const summaries = await compareFailovers(lab, implementations, impls, trials);
  const of = (impl: string) => summaries.find((s) => s.impl === impl);
  const ratios = ['sluice', 'keepalived-tuned'].flatMap((to) => {
    const [a, b] = [of('appliance'), of(to)];
    return a && b ? [outageRatio(a, b)] : [];
  });
  console.log(JSON.stringify({ bench: 'HA failover (UDP probe every 10 ms, ms of silence)', summaries, ratios }));
  const row = (s: OutageSummary) =>
    `| ${DESCRIPTION[s.impl] ?? s.impl} | ${s.trials} | ${s.p50} | ${s.p90} | ${s.p99} | ${s.max} |`;
  writeFigures(
    'ha-failover',
    `${machine()}. Reproduce: \`node bench/ha-failover.ts ${trials} ${impls.join(',')}\` (root).

| implementation | trials | outage p50 (ms) | p90 | p99 | max |
| --- | --- | --- | --- | --- | --- |
${summaries.map(row).join('\n')}

${ratios.map((r) => `Appliance / ${r.to}: ${r.p50.toFixed(2)}x at p50, ${r.p99.toFixed(2)}x at p99.`).join(' ')}
`,
  );
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
