// Benchmark: failover time of the HA pair, as a client sees it. Two balancers and a
// client on a bridge; the balancers also share a direct cable. A UDP probe every 10 ms
// from the client to the floating IP; at a random moment the active node dies (its
// processes SIGKILLed and its cables pulled at the same instant); the failover time is the
// longest gap in the replies. Runs sluice-heartbeat (defaults) and keepalived 2.2.7
// (tuned: VRRPv3, advert_int 0.1, garp delay 0; and optionally its defaults) in the
// same topology, one after the other, and prints p50/p90/p99/max for each. The lab, the
// trials and keepalived's configuration are @sluice/testkit's (the appliance's
// bench/ha-failover.ts runs the same ones).
// Usage (root): node bench/failover.ts [TRIALS=20] [IMPLS=sluice,keepalived-tuned]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareFailovers, FailoverLab, heartbeatDaemon, keepalived } from '@sluice/testkit';

const trials = Number(process.argv[2] ?? 20);
const impls = (process.argv[3] ?? 'sluice,keepalived-tuned').split(',');
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');

const dir = mkdtempSync(join(tmpdir(), 'sluice-hb-bench-'));
const lab = await FailoverLab.create();
try {
  const implementations = [heartbeatDaemon(dir, { cli: CLI }), keepalived(dir, true), keepalived(dir, false)];
  const summary = await compareFailovers(lab, implementations, impls, trials);
  const ours = summary.find((s) => s.impl === 'sluice');
  console.log(
    JSON.stringify(
      {
        bench: 'heartbeat failover (UDP probe every 10 ms, ms of silence)',
        results: summary,
        ratios: ours
          ? summary.filter((s) => s !== ours).map((s) => ({ vs: s.impl, p50: s.p50 / ours.p50, p99: s.p99 / ours.p99 }))
          : [],
      },
      null,
      2,
    ),
  );
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
