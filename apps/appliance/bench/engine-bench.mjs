// Runs inside the rig's UML kernel (see engine-run.mjs): the engine with 1,000 Layer 4 virtual
// services and 10,000 real servers, against ipvsadm on the same table. Prints "BENCH {json}".
// argv: <engine bundle>
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

import {
  CHANGES,
  counts,
  ipvsadm,
  layer4Services,
  log,
  percentile,
  SERVERS,
  SERVICES,
  stats,
  WARMUP,
} from './table.mjs';

const run = promisify(execFile);
const { ConfigStore, createEngine } = await import(process.argv[2]);
const config = () => ({ layer4: layer4Services() });

function memoryLogs() {
  const records = [];
  return {
    records,
    write(channel, level, message, fields) {
      const r = { seq: records.length + 1, time: new Date().toISOString(), channel, level, message, fields };
      records.push(r);
      return r;
    },
    query: () => records,
    follow: () => () => undefined,
  };
}

function memoryAdminStates() {
  const map = new Map();
  const listeners = new Set();
  const key = (r) => `${r.layer}/${r.service}/${r.server}`;
  return {
    get: (ref) => map.get(key(ref))?.state ?? 'online',
    list: () => [...map.values()],
    async set(ref, state, author) {
      const e = { ...ref, state, author, time: new Date().toISOString() };
      map.set(key(ref), e);
      for (const l of listeners) l(e);
      return e;
    },
    async replaceAll() {},
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const adminStates = memoryAdminStates();
ipvsadm('-C');

// The stored configuration, as a user would have committed it before a restart.
{
  const store = await ConfigStore.open(dataDir);
  const t = performance.now();
  await store.commit({ config: config(), baseVersion: store.current().version, author: 'bench' });
  log(`commit of the whole configuration: ${(performance.now() - t).toFixed(0)} ms`);
  await store.close();
}

async function coldStart(options) {
  ipvsadm('-C');
  const t0 = performance.now();
  const store = await ConfigStore.open(dataDir);
  const tOpen = performance.now();
  const logs = memoryLogs();
  const engine = createEngine({ store, adminStates, logs, stateDir: dataDir, ...options });
  await engine.start();
  const t1 = performance.now();
  const layer4 = engine.status().parts.find((p) => p.part === 'layer4');
  if (layer4?.state !== 'applied') throw new Error(`layer4 not applied: ${JSON.stringify(layer4)}`);
  return { store, engine, totalMs: t1 - t0, openMs: tOpen - t0, applyMs: t1 - tOpen };
}

// 1. Cold start: store open + engine apply until IPVS holds everything (apply resolves on the kernel's acks).
const timersOff = { driftIntervalMs: 0, observeIntervalMs: 0 };
const cold = [];
for (let i = 0; i < 3; i++) {
  const r = await coldStart(timersOff);
  await r.engine.stop();
  await r.store.close();
  // Only the figures: a restarted daemon does not hold the previous one's store and engine.
  cold.push({ totalMs: r.totalMs, openMs: r.openMs, applyMs: r.applyMs });
  log(`cold start ${i + 1}: ${r.totalMs.toFixed(0)} ms (open ${r.openMs.toFixed(0)}, apply ${r.applyMs.toFixed(0)})`);
}
const table = counts();
if (table.services !== SERVICES || table.destinations !== SERVICES * SERVERS) {
  throw new Error(`table has ${table.services} services and ${table.destinations} destinations`);
}

// 2. The same table with ipvsadm -R, from empty.
const saveFile = join(dataDir, 'ipvsadm.rules');
writeFileSync(saveFile, table.text);
ipvsadm('-C');
const tR = performance.now();
execFileSync('sh', ['-c', 'ipvsadm -R < "$1"', 'sh', saveFile]);
const ipvsadmRestoreMs = performance.now() - tR;
if (counts().destinations !== SERVICES * SERVERS) throw new Error('ipvsadm -R did not load the table');
log(`ipvsadm -R: ${ipvsadmRestoreMs.toFixed(0)} ms`);

// 3. One ipvsadm -e (a process per change, as scripts do it).
const ipvsadmEdit = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  await run('ipvsadm', ['-e', '-t', '198.51.100.1:80', '-r', '203.0.113.10:8080', '-m', '-w', String(2 + (i % 5))]);
  ipvsadmEdit.push(performance.now() - t);
}

/**
 * The configuration with one real server's weight changed. As the API builds it (PUT of
 * one real server): a copy of the path to that server, every other object shared with the
 * stored version. `whole`: a fresh copy of everything, as a client that PUTs the whole
 * document (GET /config, edit, PUT /config) sends it.
 */
function edit(current, i, j, weight, whole) {
  if (whole) {
    const next = structuredClone(current);
    next.layer4[i].realServers[j].weight = weight;
    return next;
  }
  const service = current.layer4[i];
  const realServers = service.realServers.map((r, n) => (n === j ? { ...r, weight } : r));
  return { ...current, layer4: current.layer4.map((s, n) => (n === i ? { ...service, realServers } : s)) };
}

// 4. One-server weight changes, committed to the store and applied, with the engine running.
async function weightChanges(options, label, changes = CHANGES, whole = false) {
  const { store, engine } = await coldStart(options);
  const commitMs = [];
  const applyMs = [];
  const totalMs = [];
  let verified = 0;
  // The first changes after a start run cold code (the compiler has not seen the commit
  // path yet: 70-250 ms each in UML). They are made but not timed, as any benchmark's
  // warm-up; the figures are the steady state of a running daemon.
  for (let k = -WARMUP; k < changes; k++) {
    const m = k + WARMUP;
    const i = (m * 7919) % SERVICES;
    const j = m % SERVERS;
    const weight = 2 + (m % 50);
    const next = edit(store.current().config, i, j, weight, whole);
    const t0 = performance.now();
    const { version } = await store.commit({ config: next, baseVersion: store.current().version, author: 'bench' });
    const t1 = performance.now();
    await engine.apply(version);
    const t2 = performance.now();
    if (k < 0) continue;
    commitMs.push(t1 - t0);
    applyMs.push(t2 - t1);
    totalMs.push(t2 - t0);
    if (k % 20 === 0) {
      // Outside the timing: the real ipvsadm shows the new weight once apply has resolved.
      const vip = `198.51.100.${1 + Math.floor(i / 4)}:${80 + (i % 4)}`;
      const out = ipvsadm('-L', '-n', '-t', vip);
      const line = out.split('\n').find((l) => l.includes(`203.0.113.${10 + j}:${8080 + (i % 100)}`));
      if (!line || line.trim().split(/\s+/)[3] !== String(weight))
        throw new Error(`ipvsadm does not show weight ${weight}: ${line}`);
      verified++;
    }
  }
  // The runtime path: drain and bring back one server (admin state, no new version).
  const adminMs = [];
  for (let k = 0; k < 100; k++) {
    const ref = { layer: 'layer4', service: `svc${(k * 31) % SERVICES}`, server: `rs${k % SERVERS}` };
    const t = performance.now();
    await adminStates.set(ref, k % 2 === 0 ? 'drain' : 'online', 'bench');
    await engine.idle();
    adminMs.push(performance.now() - t);
  }
  for (const e of adminStates.list()) await adminStates.set(e, 'online', 'bench');
  await engine.idle();
  const t = performance.now();
  const repaired = await engine.checkDrift();
  const driftMs = performance.now() - t;
  await engine.stop();
  await store.close();
  log(
    `${label}: commit+apply p50 ${percentile(totalMs, 50).toFixed(1)} ms p99 ${percentile(totalMs, 99).toFixed(1)} ms`,
  );
  return {
    commit: stats(commitMs),
    apply: stats(applyMs),
    total: stats(totalMs),
    admin: stats(adminMs),
    verified,
    driftCheckMs: driftMs,
    driftRepaired: repaired.length,
  };
}

const quiet = await weightChanges(timersOff, 'timers off');
const daemonLike = await weightChanges({}, 'drift 5 s, observe 2 s');
const wholeDocument = await weightChanges(timersOff, 'whole document', Math.min(CHANGES, 40), true);

const result = {
  kernel: release(),
  nodeFlags: process.execArgv.join(' '),
  warmup: WARMUP,
  services: SERVICES,
  serversPerService: SERVERS,
  coldStartMs: cold.map((c) => c.totalMs),
  coldOpenMs: cold.map((c) => c.openMs),
  coldApplyMs: cold.map((c) => c.applyMs),
  ipvsadmRestoreMs,
  ipvsadmEditMs: stats(ipvsadmEdit),
  quiet,
  daemonLike,
  wholeDocument,
};
console.log(`BENCH ${JSON.stringify(result)}`);
