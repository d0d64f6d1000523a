// Runs inside the IPVS test kernel (as root): COUNT TCP targets checked by keepalived's
// TCP_CHECK (checker process only, --check) and COUNT others by @sluice/health, at the same
// time, from the same namespace, against listeners in another, so both see the same
// conditions; CPU of each process tree comes from /proc over the same SECONDS.
// Usage: node keepalived-guest.mjs COUNT SECONDS   (prints "RESULT {json}")
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '@sluice/testkit';
import { descendants, figures, sample, sleep } from './proc.mjs';

const [count, seconds] = process.argv.slice(2).map(Number);
const here = import.meta.dirname;

const lab = await Lab.create();
try {
  const client = await lab.host('client');
  const server = await lab.host('server');
  await lab.link(client, server, { aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] });
  const listen = async (base) => {
    const p = server.spawn(process.execPath, [join(here, 'listeners.mjs'), '192.0.2.2', String(base), String(count)]);
    await p.waitForLine('READY', 300_000);
    return p;
  };
  const kaListeners = await listen(20000);
  const ourListeners = await listen(40000);

  const conf = join(process.env.SLUICE_JOB_DIR ?? '/tmp', 'keepalived.conf');
  const servers = [];
  for (let i = 0; i < count; i++) {
    servers.push(
      `  real_server 192.0.2.2 ${20000 + i} {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }`,
    );
  }
  writeFileSync(
    conf,
    `global_defs {\n  router_id bench\n}\nvirtual_server 203.0.113.1 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${servers.join('\n')}\n}\n`,
  );
  const keepalived = client.spawn('keepalived', [
    '--dont-fork',
    '--log-console',
    '--check',
    '--use-file',
    conf,
    '--pid',
    '/tmp/ka.pid',
    '--checkers_pid',
    '/tmp/ka-check.pid',
  ]);
  const checker = client.spawn(process.execPath, [
    ...(process.env.SLUICE_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    '--expose-gc',
    join(here, 'checker.mjs'),
    '192.0.2.2',
    '40000',
    String(count),
    String(seconds + 30),
  ]);
  await sleep(10_000); // both warmed up: every target checked several times
  const kaPids = descendants(keepalived.pid);
  const ourPids = descendants(checker.pid);
  const ka0 = await sample(kaListeners, kaPids);
  const our0 = await sample(ourListeners, ourPids);
  await sleep(seconds * 1000);
  const ka1 = await sample(kaListeners, kaPids);
  const our1 = await sample(ourListeners, ourPids);
  await Promise.all([keepalived.stop(), checker.stop()]);
  const ka = figures('keepalived TCP_CHECK', ka0, ka1);
  const ours = figures('@sluice/health connect', our0, our1);
  const ratio = Number((ours.cpuMicrosecondsPerCheck / ka.cpuMicrosecondsPerCheck).toFixed(2));
  console.log(`RESULT ${JSON.stringify({ targets: count, seconds, keepalived: ka, sluice: ours, ratio })}`);
} finally {
  await lab.destroy();
}
