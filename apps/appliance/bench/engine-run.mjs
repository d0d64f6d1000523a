// `npm run bench -w apps/appliance` (engine part): bundles the engine, boots the rig's UML kernel
// with IPVS, runs engine-bench.mjs inside it, and writes the figures into README.md between
// the engine-bench markers. Sizes: BENCH_SERVICES, BENCH_SERVERS, BENCH_CHANGES.
import { bundleEntry } from '../test/engine/fixtures/bundle.ts';
import { benchInKernel, here, list, measuredOn, median, ms, writeFigures } from './uml-run.mjs';

const bundle = await bundleEntry(here('./engine-entry.ts'), 'engine-bench');

// The engine runs in the bench's own process: with the daemon's young-generation size (see the README's run command).
process.env.BENCH_NODE_FLAGS ??= '--max-semi-space-size=1';
const r = await benchInKernel([here('./engine-bench.mjs'), bundle]);
const q = r.quiet;
const d = r.daemonLike;
const w = r.wholeDocument;
const table = `${await measuredOn(r)}

| what | figure | goal |
| --- | --- | --- |
| cold start: store open + engine apply until IPVS holds the whole table (3 runs) | ${list(r.coldStartMs)} (open ${list(r.coldOpenMs)}) | < 3 s |
| the same table with \`ipvsadm -R\` from empty, same kernel, same run | ${ms(r.ipvsadmRestoreMs)}: ${(r.ipvsadmRestoreMs / median(r.coldStartMs)).toFixed(1)}x the engine's cold start | |
| one-server weight change as the API makes it, store commit until the kernel has it (${q.total.n} changes after ${r.warmup} untimed, drift and observation timers off) | p50 ${ms(q.total.p50)}, p99 ${ms(q.total.p99)} (commit p99 ${ms(q.commit.p99)}, apply p99 ${ms(q.apply.p99)}) | p99 < 50 ms |
| the same with the daemon's timers (drift 5 s, observations 2 s) | p50 ${ms(d.total.p50)}, p99 ${ms(d.total.p99)}, max ${ms(d.total.max)} (apply p99 ${ms(d.apply.p99)}) | p99 < 50 ms |
| the same change sent as a whole new document (every object new: all parsed and checked; ${w.total.n} changes) | p50 ${ms(w.total.p50)}, p99 ${ms(w.total.p99)} (commit p99 ${ms(w.commit.p99)}) | |
| drain / online of one server (admin state, no new version) | p50 ${ms(q.admin.p50)}, p99 ${ms(q.admin.p99)} | |
| one \`ipvsadm -e\` (a process per change) | p50 ${ms(r.ipvsadmEditMs.p50)}, p99 ${ms(r.ipvsadmEditMs.p99)} | |
| drift check of the whole table (dump + plan, nothing to repair) | ${ms(q.driftCheckMs)} | |

Every ${20}th weight change was read back with the real \`ipvsadm -L -n -t\` after apply resolved (${q.verified + d.verified} checks, all showed the new weight).
`;
writeFigures('engine-bench', table);
