// Runs inside the rig's UML kernel (see daemon-run.mjs): the appliance as a user runs it,
// `sluice serve` in its own process with every timer it has (drift check, observations,
// traffic samples, heartbeat), driven through the REST API by this process. 1,000 Layer 4
// virtual services with 10 real servers each; the VIPs go on a dummy interface, as they
// would go on the balancer's own. Prints "BENCH {json}".
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { keepAliveClient } from './keepalive-client.mjs';
import { CHANGES, counts, ipvsadm, layer4Services, log, SERVERS, SERVICES, stats, WARMUP } from './table.mjs';

// The daemon as the README's run command starts it.
const NODE_FLAGS = (process.env.BENCH_DAEMON_NODE_FLAGS ?? '--max-semi-space-size=1').split(' ').filter(Boolean);
const PORT = 9080;
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let daemon;
function start(dataDir) {
  const child = spawn(
    process.execPath,
    [...NODE_FLAGS, cli, 'serve', '--data-dir', dataDir, '--port', String(PORT), '--https-port', '9443'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (daemon === child) {
      console.error(stderr);
      throw new Error(`the daemon exited (${code ?? signal}) during the benchmark`);
    }
  });
  daemon = child;
  return child;
}

async function stop() {
  const child = daemon;
  daemon = undefined;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The API answers once the daemon's engine has applied the stored configuration (it listens after that). */
async function ready() {
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${PORT}/api/v1/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
}

// The VIPs' network on an interface of the balancer's, so that the appliance places them.
execFileSync('ip', ['link', 'add', 'bench0', 'type', 'dummy']);
execFileSync('ip', ['addr', 'add', '198.51.100.254/24', 'dev', 'bench0']);
execFileSync('ip', ['link', 'set', 'bench0', 'up']);
ipvsadm('-C');

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-daemon-bench-'));
start(dataDir);
await ready();
const tokenFile = join(dataDir, 'cli.token');
if (!existsSync(tokenFile)) throw new Error('the daemon wrote no CLI token');
const authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
const client = await keepAliveClient({ port: PORT, authorization });

// 1. The whole table in one PUT of the configuration, until the kernel has it.
const current = JSON.parse(await client.call('GET', '/api/v1/config', undefined, true));
let version = current.version;
const document = JSON.stringify({ ...current.config, layer4: layer4Services() });
let t = performance.now();
const reply = JSON.parse(await client.call('PUT', `/api/v1/config?version=${version}&wait=applied`, document, true));
const loadMs = performance.now() - t;
version = reply.version;
let table = counts();
if (table.services !== SERVICES || table.destinations !== SERVICES * SERVERS) {
  throw new Error(`after the PUT the table has ${table.services} services and ${table.destinations} destinations`);
}
log(`PUT of the whole configuration until applied: ${loadMs.toFixed(0)} ms`);
// Every part applied (Layer 7 has nothing to run), and every VIP on the dummy interface.
const parts = JSON.parse(await client.call('GET', '/api/v1/status', undefined, true)).engine.parts;
const failed = parts.filter((p) => p.state !== 'applied' && !(p.part === 'layer7' && p.state === 'unavailable'));
if (failed.length > 0) throw new Error(`parts not applied: ${JSON.stringify(failed)}`);
const vips = execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'bench0'], { encoding: 'utf8' }).trim().split('\n');
if (vips.length !== 1 + Math.ceil(SERVICES / 4)) throw new Error(`bench0 holds ${vips.length} addresses`);

/** One real server's weight, PUT as the web UI does it; `wait`: until the kernel has it. */
async function weightChanges(wait, count) {
  const samples = [];
  let verified = 0;
  for (let k = -WARMUP; k < count; k++) {
    const m = k + WARMUP + (wait ? 0 : 7);
    const i = (m * 7919) % SERVICES;
    const j = m % SERVERS;
    const weight = 2 + (m % 50);
    const body = { label: `rs${j}`, address: `203.0.113.${10 + j}`, port: 8080 + (i % 100), weight };
    const path = `/api/v1/layer4/services/svc${i}/real-servers/rs${j}?version=${version}${wait ? '&wait=applied' : ''}`;
    const t0 = performance.now();
    const answer = JSON.parse(await client.call('PUT', path, body, true));
    const ms = performance.now() - t0;
    version = answer.version;
    if (k < 0) continue;
    samples.push(ms);
    if (wait && k % 20 === 0) {
      // Outside the timing: the real ipvsadm shows the new weight once the answer came.
      const vip = `198.51.100.${1 + Math.floor(i / 4)}:${80 + (i % 4)}`;
      const line = ipvsadm('-L', '-n', '-t', vip)
        .split('\n')
        .find((l) => l.includes(`203.0.113.${10 + j}:${8080 + (i % 100)}`));
      if (!line || line.trim().split(/\s+/)[3] !== String(weight))
        throw new Error(`ipvsadm does not show weight ${weight}: ${line}`);
      verified++;
    }
  }
  return { ...stats(samples), verified };
}

// 2. Weight changes until stored (the answer without ?wait), then until applied.
const stored = await weightChanges(false, CHANGES);
log(`PUT until stored: p50 ${stored.p50.toFixed(1)} ms, p99 ${stored.p99.toFixed(1)} ms`);
const applied = await weightChanges(true, CHANGES);
log(`PUT until applied: p50 ${applied.p50.toFixed(1)} ms, p99 ${applied.p99.toFixed(1)} ms`);

// 3. GET of one service and of the whole status, with the daemon's timers running.
const getOne = [];
const getStatus = [];
for (let k = 0; k < 200; k++) {
  t = performance.now();
  await client.call('GET', `/api/v1/layer4/services/svc${(k * 37) % SERVICES}`);
  getOne.push(performance.now() - t);
  if (k % 4 === 0) {
    t = performance.now();
    await client.call('GET', '/api/v1/status');
    getStatus.push(performance.now() - t);
  }
}
client.close();

// 4. Cold start: the daemon stopped, the kernel's table emptied (as after a boot), started again.
await stop();
ipvsadm('-C');
const cold = [];
for (let r = 0; r < 3; r++) {
  t = performance.now();
  start(dataDir);
  await ready();
  cold.push(performance.now() - t);
  table = counts();
  if (table.destinations !== SERVICES * SERVERS) throw new Error(`cold start left ${table.destinations} destinations`);
  log(`cold start ${r + 1}: ${cold[r].toFixed(0)} ms`);
  await stop();
  if (r < 2) ipvsadm('-C');
}

// 5. The same table with ipvsadm -R from empty, same kernel, same run.
const saveFile = join(dataDir, 'ipvsadm.rules');
writeFileSync(saveFile, table.text);
ipvsadm('-C');
t = performance.now();
execFileSync('sh', ['-c', 'ipvsadm -R < "$1"', 'sh', saveFile]);
const ipvsadmRestoreMs = performance.now() - t;
if (counts().destinations !== SERVICES * SERVERS) throw new Error('ipvsadm -R did not load the table');
ipvsadm('-C');

console.log(
  `BENCH ${JSON.stringify({
    kernel: release(),
    nodeFlags: process.execArgv.join(' '),
    daemonFlags: NODE_FLAGS.join(' '),
    warmup: WARMUP,
    services: SERVICES,
    serversPerService: SERVERS,
    loadMs,
    stored,
    applied,
    getOne: stats(getOne),
    getStatus: stats(getStatus),
    coldStartMs: cold,
    ipvsadmRestoreMs,
  })}`,
);
