// Benchmark: false failovers under load. The pair of the failover benchmark runs for
// SECONDS with one busy loop per core competing with it (at the same priority as the
// rest of the machine); any takeover by the backup is a false failover. Runs
// sluice-heartbeat (defaults), sluice-heartbeat at nice 0 (`sluice-nice0`, keepalived's
// default priority) and tuned keepalived, one after the other.
// Usage (root): node bench/stability.ts [SECONDS=60] [IMPLS=sluice,sluice-nice0,keepalived-tuned]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type NamespaceProcess } from '@sluice/testkit';

const seconds = Number(process.argv[2] ?? 60);
const impls = (process.argv[3] ?? 'sluice,sluice-nice0,keepalived-tuned').split(',');
const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const VIP = '192.0.2.100';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'sluice-hb-stab-'));
const lab = await Lab.create();
try {
  const sw = await lab.switch('sw');
  const lba = await lab.host('lba');
  const lbb = await lab.host('lbb');
  const load = await lab.host('load');
  const lan = { lba: await lab.attach(lba, sw, ['192.0.2.1/24']), lbb: await lab.attach(lbb, sw, ['192.0.2.2/24']) };
  await lab.link(lba, lbb, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] });
  const hosts = { lba, lbb };
  const results = [];
  for (const impl of impls) {
    const procs: NamespaceProcess[] = [];
    for (const label of ['lba', 'lbb'] as const) {
      const file = join(dir, `${impl}-${label}.conf`);
      const other = label === 'lba' ? 'lbb' : 'lba';
      const ip = { lba: ['192.0.2.1', '198.51.100.1'], lbb: ['192.0.2.2', '198.51.100.2'] };
      if (impl.startsWith('sluice')) {
        writeFileSync(
          file,
          JSON.stringify({
            nodeId: label,
            peerId: other,
            role: label === 'lba' ? 'master' : 'slave',
            keys: [{ id: 1, secret: 'be'.repeat(32) }],
            links: [0, 1].map((i) => ({ type: 'unicast', local: ip[label][i], peer: ip[other][i] })),
            floatingIps: [{ address: `${VIP}/24`, interface: lan[label] }],
            ...(impl === 'sluice-nice0' ? { niceness: 0 } : {}),
          }),
        );
        procs.push(hosts[label].spawn(process.execPath, [CLI, 'run', '--config', file]));
      } else {
        writeFileSync(
          file,
          `global_defs {\n  router_id ${label}\n  vrrp_version 3\n  vrrp_garp_master_delay 0\n}\n` +
            `vrrp_instance VI_1 {\n  state ${label === 'lba' ? 'MASTER' : 'BACKUP'}\n  interface ${lan[label]}\n` +
            `  virtual_router_id 51\n  priority ${label === 'lba' ? 150 : 100}\n  advert_int 0.1\n  garp_master_delay 0\n` +
            `  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
        );
        procs.push(
          hosts[label].spawn('/usr/sbin/keepalived', [
            '--dont-fork',
            '--log-console',
            '--vrrp',
            '--use-file',
            file,
            `--pid=${join(dir, `${impl}-${label}.pid`)}`,
            `--vrrp_pid=${join(dir, `${impl}-${label}.vrrp.pid`)}`,
          ]),
        );
      }
      if (label === 'lba') await sleep(1500); // the master settles first
    }
    await sleep(2000);
    const backupLog = () => procs[1]?.log ?? '';
    const takeovers = (log: string) =>
      impl.startsWith('sluice')
        ? log.split('\n').filter((l) => l.includes('"type":"peer-dead"')).length
        : (log.match(/Entering MASTER STATE/g) ?? []).length;
    const before = takeovers(backupLog());
    // Heartbeats later than the warntime: how close the load came to a false failover.
    const late = (log: string) => log.split('\n').filter((l) => l.includes('"type":"peer-late"')).length;
    const lateBefore = late(backupLog());
    const burners = Array.from({ length: availableParallelism() }, () =>
      load.spawn(process.execPath, ['-e', 'for (;;) {}']),
    );
    await sleep(seconds * 1000);
    await Promise.all(burners.map((b) => b.stop()));
    results.push({
      impl,
      seconds,
      busyLoops: burners.length,
      falseFailovers: takeovers(backupLog()) - before,
      ...(impl.startsWith('sluice') ? { lateWarnings: late(backupLog()) - lateBefore } : {}),
    });
    // keepalived's VRRP child is stopped with its parent (SIGKILL of the parent makes it exit).
    for (const p of procs.reverse()) await p.stop();
    await sleep(1000);
    for (const label of ['lba', 'lbb'] as const) {
      await hosts[label].ip(['addr', 'flush', 'dev', lan[label], 'to', `${VIP}/32`]);
    }
  }
  console.log(JSON.stringify({ bench: 'heartbeat false failovers under CPU load', results }, null, 2));
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
