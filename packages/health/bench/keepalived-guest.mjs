// Runs inside the IPVS test kernel (as root): the same COUNT TCP listeners checked by
// keepalived's TCP_CHECK (checker process only, --check) and by @sluice/health at the same
// time, each from its own namespace over its own veth link to the servers' namespace
// (keepalived to 192.0.2.2, @sluice/health to 198.51.100.2: two addresses of the same
// listening sockets), so both see the same servers and conditions and the listeners count
// each checker's connections apart by the address they were made to. CPU of each process tree comes from
// /proc over the same SECONDS.
// Usage: node keepalived-guest.mjs COUNT SECONDS [auto|native|socket]   (prints "RESULT {json}";
// the third argument picks @sluice/health's connect path, as BENCH_CONNECT does for checker.mjs)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '@sluice/testkit';
import { descendants, figures, nextReport, sample, sleep } from './proc.mjs';

const [count, seconds] = process.argv.slice(2, 4).map(Number);
const connect = process.argv[4] ?? 'auto';
process.env.BENCH_CONNECT = connect; // inherited by the checker
process.env.BENCH_STATE = join(process.env.SLUICE_JOB_DIR ?? '/tmp', 'sluice-state.json');
// The test kernel counts CPU time by ticks (100 Hz, CONFIG_TICK_CPU_ACCOUNTING; its
// schedstat runtimes are tick-grained too): the process running when a tick comes is
// charged the whole 10 ms. A checker waking on a 10 ms grid keeps one phase against that
// tick for the whole run, so it is charged nearly nothing or several times its cost,
// depending on the run. On a 7 ms grid its wake-ups sweep across the tick's phase, and the
// charge matches its share of the CPU on average, as keepalived's own (unaligned) timers do.
process.env.BENCH_TICK_MS ??= '7';
const here = import.meta.dirname;

const lab = await Lab.create();
try {
  const kaHost = await lab.host('keepalived');
  const ourHost = await lab.host('sluice');
  const server = await lab.host('server');
  await lab.link(kaHost, server, { aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] });
  await lab.link(ourHost, server, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.2/24'] });
  const listeners = server.spawn(process.execPath, [join(here, 'listeners.mjs'), '0.0.0.0', '20000', String(count)]);
  await listeners.waitForLine('READY', 300_000);

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
  const keepalived = kaHost.spawn('keepalived', [
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
  const checker = ourHost.spawn(process.execPath, [
    ...(process.env.SLUICE_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    '--expose-gc',
    join(here, 'checker.mjs'),
    '198.51.100.2',
    '20000',
    String(count),
    String(seconds + 30),
  ]);
  await sleep(10_000); // both warmed up: every target checked several times
  const kaPids = descendants(keepalived.pid);
  const ourPids = descendants(checker.pid);
  // keepalived's checks are counted by the listeners. Ours are counted by the checker itself:
  // its connect checks end before the handshake does (a reset right after the SYN-ACK), so
  // the listeners never see them. Both counts are rates over the window, times its length.
  const readState = () => JSON.parse(readFileSync(process.env.BENCH_STATE, 'utf8'));
  await nextReport(listeners);
  const ka0 = sample(listeners, kaPids, '192.0.2.2');
  const our0 = { ...sample(listeners, ourPids, '198.51.100.2'), state: readState() };
  await sleep(seconds * 1000 - 500);
  await nextReport(listeners);
  const ka1 = sample(listeners, kaPids, '192.0.2.2');
  const our1 = { ...sample(listeners, ourPids, '198.51.100.2'), state: readState() };
  const state = our1.state;
  await Promise.all([keepalived.stop(), checker.stop()]);
  const ka = figures('keepalived TCP_CHECK', ka0, ka1);
  const ourRate = (our1.state.results - our0.state.results) / ((our1.state.at - our0.state.at) / 1000);
  const checks = Math.round((ourRate * (our1.at - our0.at)) / 1000);
  const ours = {
    ...figures('@sluice/health connect', { ...our0, accepted: 0 }, { ...our1, accepted: checks }),
    // Its handshakes that completed all the same (the reset came after the delayed ACK).
    seenByListeners: our1.accepted - our0.accepted,
  };
  const ratio = Number((ours.cpuMicrosecondsPerCheck / ka.cpuMicrosecondsPerCheck).toFixed(2));
  console.log(
    `RESULT ${JSON.stringify({ targets: count, seconds, connect, tickMs: Number(process.env.BENCH_TICK_MS), keepalived: ka, sluice: ours, ratio, sluiceState: state })}`,
  );
} finally {
  await lab.destroy();
}
