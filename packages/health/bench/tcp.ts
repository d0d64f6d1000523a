// Benchmark: COUNT (10,000) TCP connect targets at a 1 s interval against real listeners
// in a network namespace. Prints CPU (percent of one core, microseconds per check) and
// memory per target above the baseline, measured inside the checker process.
// Usage (root): node bench/tcp.ts [COUNT] [SECONDS]
// BENCH_CONNECT=native|socket picks the connect path; BENCH_FLOOR=/tmp/floor (built from
// bench/floor.c) then runs that C program on the same listeners, for the floor any checker
// making these system calls pays here, in each mode of BENCH_FLOOR_MODES (space-separated,
// default "close reuse,defer": a socket per check, and the native lane's system calls).
import { join } from 'node:path';
import { Lab } from '@sluice/testkit';

const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 20);
const here = import.meta.dirname;

const lab = await Lab.create();
try {
  const client = await lab.host('client');
  const server = await lab.host('server');
  await lab.link(client, server, { aAddrs: ['192.0.2.1/24'], bAddrs: ['192.0.2.2/24'] });
  const listeners = server.spawn(process.execPath, [join(here, 'listeners.mjs'), '192.0.2.2', '20000', String(count)]);
  await listeners.waitForLine('READY', 120_000);
  const { stdout } = await client.exec(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      '--expose-gc',
      join(here, 'checker.mjs'),
      '192.0.2.2',
      '20000',
      String(count),
      String(seconds),
    ],
    (seconds + 120) * 1000,
  );
  const figures = JSON.parse(stdout) as Record<string, unknown>;
  console.log(JSON.stringify({ bench: 'health tcp connect', ...figures }, null, 2));
  const floor = process.env.BENCH_FLOOR;
  if (floor) {
    for (const mode of (process.env.BENCH_FLOOR_MODES ?? 'close reuse,defer').split(' ')) {
      const args = ['192.0.2.2', '20000', String(count), String(seconds), mode];
      const { stdout: c } = await client.exec(floor, args, (seconds + 30) * 1000);
      console.log(
        JSON.stringify({ bench: `C floor (bench/floor.c ${mode}), same listeners`, ...JSON.parse(c) }, null, 2),
      );
    }
  }
} finally {
  await lab.destroy();
}
