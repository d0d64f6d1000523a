// Benchmark: false failovers under load. The pair of the failover benchmark runs for
// SECONDS with one busy loop per core competing with it (at the same priority as the
// rest of the machine); any takeover by the backup is a false failover. Runs
// sluice-heartbeat (defaults), sluice-heartbeat at nice 0 (`sluice-nice0`, keepalived's
// default priority) and tuned keepalived, one after the other.
// Usage (root): node bench/stability.ts [SECONDS=60] [IMPLS=sluice,sluice-nice0,keepalived-tuned]
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailoverLab, heartbeatDaemon, keepalived, pickImplementation } from '@sluice/testkit';

const seconds = Number(process.argv[2] ?? 60);
const impls = (process.argv[3] ?? 'sluice,sluice-nice0,keepalived-tuned').split(',');
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'sluice-hb-stab-'));
const lab = await FailoverLab.create();
try {
  const implementations = [
    heartbeatDaemon(dir, { cli: CLI }),
    heartbeatDaemon(dir, { cli: CLI, name: 'sluice-nice0', extra: { niceness: 0 } }),
    keepalived(dir, true),
  ];

  const { lba, lbb } = lab.nodes;
  const results = [];
  for (const name of impls) {
    const impl = pickImplementation(implementations, name);
    await impl.start(lba, lab);
    await sleep(1500); // the master settles first
    await impl.start(lbb, lab);
    await sleep(2000);
    const backupLog = () => impl.log(lbb);
    const takeovers = (log: string) =>
      name.startsWith('sluice')
        ? log.split('\n').filter((l) => l.includes('"type":"peer-dead"')).length
        : (log.match(/Entering MASTER STATE/g) ?? []).length;
    const before = takeovers(backupLog());
    // Heartbeats later than the warntime: how close the load came to a false failover.
    const late = (log: string) => log.split('\n').filter((l) => l.includes('"type":"peer-late"')).length;
    const lateBefore = late(backupLog());
    const burners = Array.from({ length: availableParallelism() }, () =>
      lab.load.spawn(process.execPath, ['-e', 'for (;;) {}']),
    );
    await sleep(seconds * 1000);
    await Promise.all(burners.map((b) => b.stop()));
    results.push({
      impl: name,
      seconds,
      busyLoops: burners.length,
      falseFailovers: takeovers(backupLog()) - before,
      ...(name.startsWith('sluice') ? { lateWarnings: late(backupLog()) - lateBefore } : {}),
    });
    for (const node of [lbb, lba]) await lab.killProcesses(node);
    await sleep(1000);
    await lab.flushVip();
  }
  console.log(JSON.stringify({ bench: 'heartbeat false failovers under CPU load', results }, null, 2));
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
