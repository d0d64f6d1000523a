// `npm run bench -w apps/appliance` (daemon part): boots the rig's UML kernel with IPVS, runs
// daemon-bench.mjs inside it (the built daemon, `dist/cli.js serve`, in its own process,
// driven through the REST API), and writes the figures into README.md between the
// daemon-bench markers. Sizes: BENCH_SERVICES, BENCH_SERVERS, BENCH_CHANGES; Node flags
// of the daemon: BENCH_DAEMON_NODE_FLAGS.
import { benchInKernel, here, list, measuredOn, median, ms, writeFigures } from './uml-run.mjs';

const r = await benchInKernel([here('./daemon-bench.mjs')]);
const a = r.applied;
const s = r.stored;
const table = `${await measuredOn(r)} The daemon is \`sluice serve\` with every timer it has (drift check every 5 s,
observations every 2 s, traffic samples, heartbeat)${r.daemonFlags ? ` and Node flags \`${r.daemonFlags}\`` : ''}; the client is
another process on one keep-alive connection.

| what | figure | goal |
| --- | --- | --- |
| one real server's weight, \`PUT /api/v1/layer4/services/{s}/real-servers/{r}?wait=applied\`, until the answer (the kernel has it) (${a.n} changes after ${r.warmup} untimed) | p50 ${ms(a.p50)}, p99 ${ms(a.p99)}, max ${ms(a.max)} | p99 < 50 ms |
| the same without \`wait\`: until the answer (the version is fsynced) | p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)} | p99 < 10 ms |
| \`GET /api/v1/layer4/services/{s}\` | p50 ${ms(r.getOne.p50)}, p99 ${ms(r.getOne.p99)} | p99 < 10 ms |
| \`GET /api/v1/status\` (every VIP and real server) | p50 ${ms(r.getStatus.p50)}, p99 ${ms(r.getStatus.p99)} | p99 < 10 ms |
| cold start: \`sluice serve\` started on an empty IPVS table until its API answers (it listens once the table is programmed) (3 runs) | ${list(r.coldStartMs)} | < 3 s |
| the same table with \`ipvsadm -R\` from empty, same kernel, same run | ${ms(r.ipvsadmRestoreMs)}: ${(r.ipvsadmRestoreMs / median(r.coldStartMs)).toFixed(1)}x the daemon's cold start | |
| the whole table in one \`PUT /api/v1/config?wait=applied\` | ${ms(r.loadMs)} | |

Every 20th change with \`wait=applied\` was read back with the real \`ipvsadm -L -n -t\` after its answer (${a.verified} checks, all showed the new weight).
`;
writeFigures('daemon-bench', table);
