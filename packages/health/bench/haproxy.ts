// Benchmark: the same COUNT (1,000) HTTP listeners checked by HAProxy's own health checks
// (`option httpchk`, `inter 1s`, one thread) and by @sluice/health `negotiate`, at the same
// time, each from its own namespace over its own veth link to the servers' namespace (HAProxy
// to 192.0.2.2, @sluice/health to 198.51.100.2); CPU per check of each process tree from
// /proc, requests counted by the listeners by the address they were made to. Runs on the host kernel.
// Usage (root): node bench/haproxy.ts [COUNT] [SECONDS]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '@sluice/testkit';
// @ts-expect-error: plain JavaScript helpers shared with the in-kernel benchmark
import { descendants, figures, nextReport, sample, sleep } from './proc.mjs';

const count = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 20);
const here = import.meta.dirname;

const lab = await Lab.create();
const dir = await mkdtemp(join(tmpdir(), 'sluice-health-bench-'));
try {
  const haHost = await lab.host('haproxy');
  const ourHost = await lab.host('sluice');
  const server = await lab.host('server');
  await lab.link(haHost, server, { aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] });
  await lab.link(ourHost, server, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] });
  const listeners = server.spawn(process.execPath, [
    join(here, 'http-listeners.mjs'),
    '0.0.0.0',
    '20000',
    String(count),
  ]);
  await listeners.waitForLine('READY', 120_000);
  const servers: string[] = [];
  for (let i = 0; i < count; i++) servers.push(`  server s${i} 192.0.2.2:${20000 + i} check inter 1s`);
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4000',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 5s',
      '  timeout server 5s',
      '  timeout check 1s',
      'listen bench',
      '  bind 127.0.0.1:8080',
      '  option httpchk GET /',
      '  http-check expect status 200',
      ...servers,
      '',
    ].join('\n'),
  );
  const haproxy = haHost.spawn('haproxy', ['-db', '-f', cfg]);
  const checker = ourHost.spawn(process.execPath, [
    '--expose-gc',
    join(here, 'checker.mjs'),
    '198.51.100.2',
    '20000',
    String(count),
    String(seconds + 30),
    'negotiate',
  ]);
  await sleep(10_000);
  if (haproxy.child.exitCode !== null) throw new Error(`haproxy exited: ${haproxy.log}`);
  const haPids = descendants(haproxy.pid);
  const ourPids = descendants(checker.pid);
  await nextReport(listeners);
  const ha0 = sample(listeners, haPids, '192.0.2.2');
  const our0 = sample(listeners, ourPids, '198.51.100.2');
  await sleep(seconds * 1000 - 500);
  await nextReport(listeners);
  const ha1 = sample(listeners, haPids, '192.0.2.2');
  const our1 = sample(listeners, ourPids, '198.51.100.2');
  await Promise.all([haproxy.stop(), checker.stop()]);
  const ha = figures('haproxy httpchk', ha0, ha1);
  const ours = figures('@sluice/health negotiate', our0, our1);
  const ratio = Number((ours.cpuMicrosecondsPerCheck / ha.cpuMicrosecondsPerCheck).toFixed(2));
  console.log(
    JSON.stringify(
      { bench: 'health http vs haproxy', targets: count, seconds, haproxy: ha, sluice: ours, ratio },
      null,
      2,
    ),
  );
} finally {
  await lab.destroy();
  await rm(dir, { recursive: true, force: true });
}
