// REST API latency with a large configuration: 1,000 Layer 4 virtual services with 10 real
// servers each (10,000 real servers). Reads: GET one service, GET the status of everything.
// Writes: PUT one real server (a new configuration version), timed until the answer, which
// comes once the version is durable on disk (fsynced); the engine is a stand-in here, so
// "until the kernel reflects it" is the engine benchmark's figure, not this one's.
// The client runs in a worker thread (its own heap, so its garbage does not pause the
// server), in the same process, so that the CPU time per request still counts both.
// Run after a build: `npm run bench -w apps/appliance` (or `node bench/api-bench.mjs`).
// BENCH_SERVICES, BENCH_SERVERS, BENCH_READS, BENCH_WRITES change the sizes.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  ConfigStore,
  createApi,
  createCommitPipeline,
  createLogBook,
  openAdminStates,
  openAuth,
  startTrafficSampler,
} from '../dist/index.js';
import { keepAliveClient } from './keepalive-client.mjs';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 10);
const READS = Number(process.env.BENCH_READS ?? 2000);
const WRITES = Number(process.env.BENCH_WRITES ?? 1000);

function configuration() {
  const layer4 = [];
  for (let i = 0; i < SERVICES; i++) {
    const realServers = [];
    for (let j = 0; j < SERVERS; j++) {
      realServers.push({ label: `rs-${j}`, address: `198.51.100.${(j % 250) + 1}`, weight: 1 });
    }
    layer4.push({
      label: `svc-${i}`,
      vip: `192.0.2.${(i % 250) + 1}`,
      ports: [1000 + Math.floor(i / 250)],
      forwarding: 'dr',
      realServers,
    });
  }
  return { layer4 };
}

/**
 * An engine that applies nothing: it takes a version at no cost and builds a status like
 * the real one's (every service and real server) when asked, once per version, so that
 * the figures are the API's and the store's, not a stand-in engine's.
 */
function benchEngine() {
  let applied;
  let status = { version: null, parts: [], services: [] };
  const build = (version) => ({
    version: version.version,
    parts: [{ part: 'layer4', state: 'applied' }],
    services: version.config.layer4.map((s) => ({
      layer: 'layer4',
      label: s.label,
      vip: s.vip,
      ports: s.ports.map(String),
      protocol: s.protocol,
      colour: 'green',
      fallbackActive: false,
      connections: 0,
      bytesIn: 0,
      bytesOut: 0,
      realServers: s.realServers.map((r) => ({
        label: r.label,
        address: r.address,
        port: r.port ?? null,
        admin: 'online',
        health: 'unchecked',
        colour: 'green',
        weight: r.weight,
        effectiveWeight: r.weight,
        activeConnections: 0,
        inactiveConnections: 0,
        bytesIn: 0,
        bytesOut: 0,
      })),
    })),
  });
  return {
    async start() {},
    async stop() {},
    async apply(version) {
      applied = version;
      return { version: version.version, parts: [{ part: 'layer4', state: 'applied' }], changes: [], changeCount: 0 };
    },
    async setActive() {},
    hostWarnings: async () => [],
    status() {
      if (applied !== undefined && status.version !== applied.version) status = build(applied);
      return status;
    },
    onStatus: () => () => {},
    // What the Layer 4 driver's last reading holds: every service and real server with
    // kernel counters, for /metrics's node_ipvs_* families (built once per version).
    metrics() {
      if (applied !== undefined && ipvs.version !== applied.version) ipvs = ipvsTable(applied);
      return { ipvs: ipvs.table, applySeconds: new Map(), applyFailures: new Map(), healthChecks: [] };
    },
    connections: async () => [],
    layer7Stats: async () => [],
  };
}

const stats = (n) => ({
  connections: BigInt(n),
  inPackets: BigInt(n * 10),
  outPackets: BigInt(n * 9),
  inBytes: BigInt(n * 1500),
  outBytes: BigInt(n * 9000),
  connectionRate: 0,
  inPacketRate: 0,
  outPacketRate: 0,
  inByteRate: 0,
  outByteRate: 0,
});

let ipvs = { version: null, table: [] };
function ipvsTable(version) {
  const table = [];
  for (const s of version.config.layer4) {
    for (const port of s.ports) {
      table.push({
        family: 4,
        protocol: 'tcp',
        address: s.vip,
        port,
        scheduler: 'wlc',
        flags: 0,
        stats: stats(s.realServers.length * 1000),
        destinations: s.realServers.map((r, i) => ({
          address: r.address,
          port,
          forwarding: 'dr',
          weight: r.weight,
          upperThreshold: 0,
          lowerThreshold: 0,
          family: 4,
          activeConnections: i,
          inactiveConnections: i * 2,
          persistentConnections: 0,
          stats: stats(1000 + i),
        })),
      });
    }
  }
  return { version: version.version, table };
}

const ha = {
  status: () => ({ enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [] }),
  isEditable: () => true,
  takeover: async () => ha.status(),
  standby: async () => ha.status(),
  committed: async () => {},
  adminStatesChanged: async () => {},
  onStatus: () => () => {},
};

if (!isMainThread) {
  const { port, authorization } = workerData;
  let { version } = workerData;
  const { call, close } = await keepAliveClient({ port, authorization });

  async function measure(name, count, fn) {
    for (let i = 0; i < Math.min(50, count); i++) await fn(i);
    const samples = [];
    // CPU time of this process (server and client threads) per request: what a
    // request costs whatever else the machine is doing, unlike the wall-clock percentiles.
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await fn(i);
      samples.push(performance.now() - start);
    }
    const cpu = process.cpuUsage(cpuBefore);
    samples.sort((a, b) => a - b);
    const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
    const cpuMs = (cpu.user + cpu.system) / 1000 / count;
    return { name, count, p50: at(0.5), p99: at(0.99), max: samples[samples.length - 1], cpuMs };
  }

  const random = (() => {
    let a = 42;
    return () => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
  })();
  const statusBytes = await call('GET', '/api/v1/status');
  const metricsBytes = await call('GET', '/metrics');
  const results = [];
  results.push(
    await measure('GET /layer4/services/{label}', READS, () =>
      call('GET', `/api/v1/layer4/services/svc-${Math.floor(random() * SERVICES)}`),
    ),
  );
  results.push(
    await measure(`GET /status (${(statusBytes / 1e6).toFixed(1)} MB)`, Math.ceil(READS / 4), () =>
      call('GET', '/api/v1/status'),
    ),
  );
  results.push(
    await measure(`GET /metrics (${(metricsBytes / 1e6).toFixed(1)} MB)`, Math.ceil(READS / 20), () =>
      call('GET', '/metrics'),
    ),
  );
  // Each write changes the server's weight (every server starts at 1): a PUT of what is
  // stored already is a no-op that stores nothing, and would time less than a write.
  const weights = new Map();
  results.push(
    await measure('PUT .../real-servers/{label} (stored)', WRITES, () => {
      const service = Math.floor(random() * SERVICES);
      const rs = Math.floor(random() * SERVERS);
      const key = `${service}/${rs}`;
      const weight = ((weights.get(key) ?? 1) % 100) + 1;
      weights.set(key, weight);
      const path = `/api/v1/layer4/services/svc-${service}/real-servers/rs-${rs}?version=${version}`;
      const body = { address: `198.51.100.${(rs % 250) + 1}`, weight };
      return call('PUT', path, body, true).then((reply) => {
        version = JSON.parse(reply).version;
      });
    }),
  );
  close();
  parentPort.postMessage({ statusBytes, results });
} else {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-api-bench-'));
  const store = await ConfigStore.open(dir);
  const auth = await openAuth(dir, { store });
  await store.commit({
    config: { ...configuration(), administration: store.current().config.administration },
    baseVersion: store.current().version,
    author: 'bench',
  });
  const adminStates = await openAdminStates(dir);
  const logs = await createLogBook({ dir: join(dir, 'logs') });
  const engine = benchEngine();
  await engine.apply(store.current());
  // Composed as the daemon composes it: the pipeline applies what the API stores.
  const pipeline = createCommitPipeline({ store, engine, ha, adminStates, logs });
  const traffic = startTrafficSampler({ engine, logs, intervalSeconds: 0 });
  const api = createApi({
    store,
    adminStates,
    engine,
    ha,
    logs,
    auth,
    capabilities: [],
    version: 'bench',
    pipeline,
    traffic: traffic.history,
  });
  const server = createServer((req, res) => api.handle(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  const authorization = `Bearer ${auth.cliToken}`;
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { port, authorization, version: store.current().version },
  });
  const { results } = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `API benchmark: ${SERVICES} services x ${SERVERS} real servers; ${cpus().length} x ${cpu}; node ${process.version}; load average ${loadavg()[0].toFixed(1)}`,
  );
  console.log('| request | n | p50 ms | p99 ms | max ms | CPU ms per request |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const ms = [r.p50, r.p99, r.max, r.cpuMs].map((x) => x.toFixed(2)).join(' | ');
    console.log(`| ${r.name} | ${r.count} | ${ms} |`);
  }
  console.log(JSON.stringify({ services: SERVICES, servers: SERVERS, results }));
  await api.close();
  pipeline.close();
  await pipeline.idle();
  server.close();
  await logs.close();
  await rm(dir, { recursive: true, force: true });
}
