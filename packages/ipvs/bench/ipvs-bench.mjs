// Runs inside a kernel with IPVS (the rig's UML kernel; see bench/run.mjs): this package
// and the real ipvsadm side by side on the same table, in one run. Every load starts in a
// fresh network namespace (a fresh IPVS table, no freed destinations waiting in the
// kernel's trash list), and both tools are started the same way. Each measurement is
// taken BENCH_REPEAT times, the tools taking turns, so a slow spell of the machine falls
// on both. Prints one JSON line with every sample.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { apply, IpvsClient, plan } from '../dist/index.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const DESTS = Number(process.env.BENCH_DESTS ?? 10);
const WEIGHT_CHANGES = Number(process.env.BENCH_WEIGHT_CHANGES ?? 200);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_SECONDS ?? 5);
const self = new URL(import.meta.url).pathname;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
const costs = new URL('./costs.mjs', import.meta.url).pathname;
const dir = process.env.BENCH_DIR ?? '/tmp';
const [mode = 'orchestrate'] = process.argv.slice(2);

// Documentation addresses only: VIPs in 192.0.2.0/24, real servers in 198.51.100.0/24
// and 203.0.113.0/24; DR, so each real server port equals its virtual port.
function table() {
  const desired = [];
  for (let i = 0; i < SERVICES; i++) {
    const address = `192.0.2.${(i % 250) + 1}`;
    const port = 1000 + Math.floor(i / 250);
    const destinations = [];
    for (let j = 0; j < DESTS; j++) {
      destinations.push({
        address: `${j % 2 ? '203.0.113' : '198.51.100'}.${((Math.floor(i / 7) + j) % 250) + 1}`,
        port,
        weight: 1,
      });
    }
    desired.push({ protocol: 'tcp', address, port, scheduler: 'wlc', destinations });
  }
  return desired;
}

const time = async (fn) => {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
};

async function readPhase() {
  // In a namespace ipvsadm -R filled, in a fresh process: list() as its first call (as
  // `ipvsadm -Ln` starts cold), then what a running process (a reconcile daemon) sees.
  const desired = table();
  const client = await IpvsClient.open({ timeoutMs: 120_000 });
  // Only the count is kept: a process holding two tables would collect garbage slower.
  const count = (table) => table.reduce((n, s) => n + s.destinations.length, 0);
  const listed = await time(async () => count(await client.list()));
  // A reconcile daemon's rounds: five no-op reconciles one after another. The first two
  // also pay the process's warm-up (in UML a first round faults in about 36 MB of fresh heap
  // and compiler pages, 160 us each); rounds 3-5 are the daemon's steady state.
  const noops = [];
  for (let i = 0; i < 5; i++) noops.push(await time(async () => plan(desired, await client.listSettings())));
  const noopFromList = await time(async () => plan(desired, await client.list()));
  const warmList = await time(async () => count(await client.list()));
  // The same through the `netlink` package's sockets (4, the pool's default): what the
  // direct socket gains.
  const viaPackage = await IpvsClient.open({ timeoutMs: 120_000, directDumps: false });
  const warmListPackage = await time(async () => count(await viaPackage.list()));
  viaPackage.close();
  if (client.dumpPath !== 'direct') throw new Error(`the client dumps through ${client.dumpPath}`);
  const weightChangeMs = [];
  const svc = desired[Math.floor(SERVICES / 2)];
  for (let i = 0; i < WEIGHT_CHANGES; i++) {
    const dest = { ...svc.destinations[i % DESTS], weight: (i % 7) + 2, forwarding: 'dr' };
    weightChangeMs.push((await time(() => client.editDestination(svc, dest))).ms);
  }
  // Back to the declared weights: the next no-op must find nothing to do.
  for (const d of svc.destinations) await client.editDestination(svc, { ...d, forwarding: 'dr' });
  client.close();
  const destinations = listed.value;
  if (destinations !== SERVICES * DESTS) throw new Error(`list() found ${destinations} destinations`);
  for (const p of [...noops, noopFromList]) {
    if (p.value.items.length !== 0) throw new Error(`a no-op plan has ${p.value.items.length} items`);
  }
  return {
    oursListMs: listed.ms,
    oursNoopFirstMs: noops[0].ms,
    oursNoopWarmMs: noops.slice(2).map((n) => n.ms),
    oursNoopFromListMs: noopFromList.ms,
    oursListWarmMs: warmList.ms,
    oursListWarmPackageMs: warmListPackage.ms,
    weightChangeMs,
  };
}

async function noopPhase() {
  // A no-op reconcile as a fresh process's only job (a cron job, a deploy step).
  const desired = table();
  const start = performance.now();
  const client = await IpvsClient.open({ timeoutMs: 120_000 });
  const changes = plan(desired, await client.listSettings());
  const ms = performance.now() - start;
  client.close();
  if (changes.items.length !== 0) throw new Error(`a no-op plan has ${changes.items.length} items`);
  return { oursNoopColdMs: ms, oursNoopOperations: changes.items.length };
}

async function applyPhase() {
  const desired = table();
  const client = await IpvsClient.open({ timeoutMs: 120_000 });
  const applied = await time(async () => apply(client, plan(desired, await client.list())));
  client.close();
  if (applied.value.failed !== 0) throw new Error(`apply failed ${applied.value.failed} operations`);
  return { oursApplyMs: applied.ms };
}

function orchestrate() {
  const rules = table()
    .flatMap((s) => [
      `-A -t ${s.address}:${s.port} -s wlc`,
      ...s.destinations.map((d) => `-a -t ${s.address}:${s.port} -r ${d.address}:${d.port} -g -w 1`),
    ])
    .join('\n');
  const rulesFile = `${dir}/bench-rules.txt`;
  const sortedFile = `${dir}/bench-rules.sorted`;
  writeFileSync(rulesFile, `${rules}\n`);
  execFileSync('sort', ['-o', sortedFile, rulesFile], { env: { ...process.env, LC_ALL: 'C' } });
  const run = (cmd, args, input, okStatus = [0]) => {
    const start = performance.now();
    const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30, encoding: 'utf8' });
    if (!okStatus.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
    return { ms: performance.now() - start, stdout: r.stdout, status: r.status };
  };
  let namespaces = 0;
  const namespace = (label) => {
    const name = `bench-${label}-${namespaces++}`;
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    const inNs = (cmd, args, input, ok) => run('ip', ['netns', 'exec', name, cmd, ...args], input, ok);
    // Emptied before it goes, and given time for the kernel to free what it held (freed
    // real servers wait for a timer): the next measurement must not pay for this teardown.
    inNs.remove = () => {
      inNs('ipvsadm', ['-C']);
      execFileSync('ip', ['netns', 'del', name]);
      execFileSync('sleep', [String(SETTLE_SECONDS)]);
    };
    return inNs;
  };
  const lines = (inNs) => inNs('ipvsadm', ['-S', '-n']).stdout.split('\n').filter(Boolean).length;
  const expected = SERVICES * (DESTS + 1);
  const samples = {};
  const add = (name, value) => {
    samples[name] ??= [];
    if (Array.isArray(value)) samples[name].push(...value);
    else samples[name].push(value);
  };
  const result = {
    services: SERVICES,
    destinationsPerService: DESTS,
    repeat: REPEAT,
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    guestCosts: JSON.parse(run(process.execPath, [costs]).stdout),
    samples,
  };
  const rulesText = readFileSync(rulesFile, 'utf8');

  // Loading, the three ways taking turns; the last table ipvsadm loaded stays for reading.
  let loaded;
  for (let r = 0; r < REPEAT; r++) {
    const a = namespace('ipvsadm');
    add('ipvsadmRestoreMs', a('ipvsadm', ['-R'], rulesText).ms);
    if (lines(a) !== expected) throw new Error('ipvsadm -R did not load the whole table');
    if (loaded) loaded.remove();
    loaded = a;
    const b = namespace('apply');
    add('oursApplyMs', JSON.parse(b(process.execPath, [self, 'apply']).stdout).oursApplyMs);
    if (lines(b) !== expected) throw new Error('apply did not load the whole table');
    b.remove();
    const c = namespace('cli');
    add('oursCliRestoreMs', c(process.execPath, [cli, '-R'], rulesText).ms);
    if (lines(c) !== expected) throw new Error('sluice-ipvs -R did not load the whole table');
    c.remove();
  }

  // Reading the same table, taking turns.
  const a = loaded;
  const mid = table()[Math.floor(SERVICES / 2)];
  for (let r = 0; r < REPEAT; r++) {
    add('ipvsadmListMs', a('ipvsadm', ['-Ln']).ms);
    for (const [name, value] of Object.entries(JSON.parse(a(process.execPath, [self, 'read']).stdout)))
      add(name, value);
    add('ipvsadmSaveMs', a('ipvsadm', ['-S', '-n']).ms);
    add('oursNoopColdMs', JSON.parse(a(process.execPath, [self, 'noop']).stdout).oursNoopColdMs);
    // What a user of ipvsadm does for a reconcile: save, compare with the rules file, and
    // restore the difference (none here). diff exits 0: nothing differs.
    const user = a('sh', ['-c', `ipvsadm -S -n | LC_ALL=C sort | diff - ${sortedFile}`], undefined, [0, 1]);
    if (user.status !== 0) throw new Error(`the saved table differs from the rules:\n${user.stdout.slice(0, 2000)}`);
    add('ipvsadmUserNoopMs', user.ms);
    add('oursCliListMs', a(process.execPath, [cli, '-Ln']).ms);
    const edit = (weight) =>
      a('ipvsadm', [
        '-e',
        '-t',
        `${mid.address}:${mid.port}`,
        '-r',
        `${mid.destinations[0].address}:${mid.port}`,
        '-g',
        '-w',
        weight,
      ]);
    add('ipvsadmEditMs', edit('3').ms);
    edit('1');
  }
  console.log(`BENCH ${JSON.stringify(result)}`);
}

if (mode === 'read') console.log(JSON.stringify(await readPhase()));
else if (mode === 'noop') console.log(JSON.stringify(await noopPhase()));
else if (mode === 'apply') console.log(JSON.stringify(await applyPhase()));
else orchestrate();
