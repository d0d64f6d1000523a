// Runs inside a kernel with IPVS (the rig's UML kernel; see bench/run.mjs): this package
// and the real ipvsadm side by side on the same table, in one run. Every load starts in a
// fresh network namespace (a fresh IPVS table, no freed destinations waiting in the
// kernel's trash list), and both tools are started the same way. Prints one JSON line.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { apply, IpvsClient, plan } from '../dist/index.js';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 10_000);
const DESTS = Number(process.env.BENCH_DESTS ?? 10);
const WEIGHT_CHANGES = Number(process.env.BENCH_WEIGHT_CHANGES ?? 200);
const self = new URL(import.meta.url).pathname;
const cli = new URL('../dist/cli.js', import.meta.url).pathname;
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
  // In the namespace ipvsadm -R filled: a dump, a no-op reconcile and weight changes.
  const desired = table();
  const client = await IpvsClient.open({ timeoutMs: 120_000 });
  const listed = await time(() => client.list());
  const noop = await time(async () => plan(desired, await client.list()));
  const samples = [];
  const svc = desired[Math.floor(SERVICES / 2)];
  for (let i = 0; i < WEIGHT_CHANGES; i++) {
    const dest = { ...svc.destinations[i % DESTS], weight: (i % 7) + 2, forwarding: 'dr' };
    samples.push((await time(() => client.editDestination(svc, dest))).ms);
  }
  samples.sort((a, b) => a - b);
  const pct = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
  client.close();
  const destinations = listed.value.reduce((n, s) => n + s.destinations.length, 0);
  return {
    oursListMs: listed.ms,
    oursListed: destinations,
    oursNoopReconcileMs: noop.ms,
    oursNoopOperations: noop.value.items.length,
    weightChangeMs: { p50: pct(50), p99: pct(99), max: samples.at(-1) },
  };
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
  writeFileSync(rulesFile, `${rules}\n`);
  const run = (cmd, args, input) => {
    const start = performance.now();
    const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 30, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return { ms: performance.now() - start, stdout: r.stdout };
  };
  const namespace = (name) => {
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return (cmd, args, input) => run('ip', ['netns', 'exec', name, cmd, ...args], input);
  };
  const lines = (inNs) => inNs('ipvsadm', ['-S', '-n']).stdout.split('\n').filter(Boolean).length;
  const expected = SERVICES * (DESTS + 1);
  const result = {
    services: SERVICES,
    destinationsPerService: DESTS,
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  };

  const a = namespace('bench-ipvsadm');
  result.ipvsadmRestoreMs = a('ipvsadm', ['-R'], readFileSync(rulesFile, 'utf8')).ms;
  if (lines(a) !== expected) throw new Error('ipvsadm -R did not load the whole table');
  result.ipvsadmListMs = a('ipvsadm', ['-Ln']).ms;
  result.ipvsadmSaveMs = a('ipvsadm', ['-S', '-n']).ms;
  result.oursCliListMs = a(process.execPath, [cli, '-Ln']).ms;
  Object.assign(result, JSON.parse(a(process.execPath, [self, 'read']).stdout));
  const mid = table()[Math.floor(SERVICES / 2)];
  result.ipvsadmEditMs = a('ipvsadm', [
    '-e',
    '-t',
    `${mid.address}:${mid.port}`,
    '-r',
    `${mid.destinations[0].address}:${mid.port}`,
    '-g',
    '-w',
    '3',
  ]).ms;

  const b = namespace('bench-apply');
  Object.assign(result, JSON.parse(b(process.execPath, [self, 'apply']).stdout));
  if (lines(b) !== expected) throw new Error('apply did not load the whole table');

  const c = namespace('bench-cli');
  result.oursCliRestoreMs = c(process.execPath, [cli, '-R'], readFileSync(rulesFile, 'utf8')).ms;
  if (lines(c) !== expected) throw new Error('sluice-ipvs -R did not load the whole table');
  console.log(`BENCH ${JSON.stringify(result)}`);
}

if (mode === 'read') console.log(JSON.stringify(await readPhase()));
else if (mode === 'apply') console.log(JSON.stringify(await applyPhase()));
else orchestrate();
