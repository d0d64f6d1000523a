import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { AdminStates } from '../../src/admin-states/contract.js';
import { openAdminStates } from '../../src/admin-states/index.js';
import { type Api, type ApiDeps, createApi } from '../../src/api/index.js';
import { type Auth, openAuth } from '../../src/auth/index.js';
import type { Capability } from '../../src/capabilities.js';
import { type ClusterService, createClusterControl } from '../../src/cluster/control.js';
import { Foreground } from '../../src/engine/index.js';
import { type ClosableLogBook, createLogBook } from '../../src/logs/index.js';
import { startTrafficSampler, type TrafficSampler } from '../../src/metrics/traffic-sampler.js';
import { type CommitPipeline, createCommitPipeline } from '../../src/pipeline/index.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { FakeEngine } from '../fakes/engine.js';
import { FakeHa } from '../fakes/ha.js';

/** A clock a test moves by hand. */
export class Clock {
  time = Date.parse('2026-01-01T00:00:00Z');
  now = () => new Date(this.time);
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of many shapes
  body: any;
  text: string;
}

/** A client that keeps its session cookie and CSRF token, like a browser with the UI's script. */
export class Client {
  cookie: string | undefined;
  csrf: string | undefined;
  bearer: string | undefined;

  constructor(public base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const all: Record<string, string> = { ...headers };
    if (body !== undefined && all['content-type'] === undefined) all['content-type'] = 'application/json';
    if (this.cookie && all.cookie === undefined) all.cookie = this.cookie;
    if (this.bearer && all.authorization === undefined) all.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && method !== 'GET' && all['x-csrf-token'] === undefined) all['x-csrf-token'] = this.csrf;
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: all,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body) }),
    });
    const text = await response.text();
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const value = /sluice_session=([^;]*)/.exec(setCookie)?.[1];
      this.cookie = value ? `sluice_session=${value}` : undefined;
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);
  post = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('POST', path, body, headers);
  put = (path: string, body?: unknown, headers?: Record<string, string>) => this.request('PUT', path, body, headers);
  delete = (path: string, headers?: Record<string, string>) => this.request('DELETE', path, undefined, headers);

  async login(username: string, password: string): Promise<Answer> {
    const answer = await this.post('/api/v1/session', { username, password });
    if (answer.status === 200) this.csrf = answer.body.csrfToken;
    return answer;
  }

  /** The version the next write is based on. */
  async version(): Promise<number> {
    return (await this.get('/api/v1/config')).body.version;
  }
}

export const ADMIN_PASSWORD = 'correct horse battery';

export interface Harness {
  dir: string;
  clock: Clock;
  store: ConfigStore;
  adminStates: AdminStates;
  logs: ClosableLogBook;
  auth: Auth;
  engine: FakeEngine;
  foreground: Foreground;
  ha: FakeHa;
  /** The real cluster service over the fake engine, as node `lb1` (no timers: tests call check()). */
  cluster: ClusterService;
  /** The daemon's commit pipeline, composed as the daemon composes it. */
  pipeline: CommitPipeline;
  /** The traffic sampler (no timer here: a test calls `traffic.sample()`). */
  traffic: TrafficSampler;
  api: Api;
  /** What the API reports this host can do: none by default; a test may fill it in (it is read at every request). */
  capabilities: Capability[];
  server: Server;
  base: string;
  client(): Client;
  /** A client logged in as admin (first-boot password changed to ADMIN_PASSWORD). */
  admin(): Promise<Client>;
  restart(): Promise<Harness>;
  close(options?: { keep?: boolean }): Promise<void>;
}

export interface HarnessOptions {
  dir?: string;
  clock?: Clock;
  replicaReceiver?: ApiDeps['replicaReceiver'];
  /** [0: none] */
  sseKeepAliveSeconds?: number;
  sseLimits?: ApiDeps['sseLimits'];
  applyWaitSeconds?: number;
  /** What the host can run, as `GET /api/v1/health` tells it [none listed]. */
  capabilities?: ApiDeps['capabilities'];
  /** Makes the host network part from the harness's store and log book [absent: not managed]. */
  hostNetwork?: (store: ConfigStore, logs: ClosableLogBook) => NonNullable<ApiDeps['hostNetwork']>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'sluice-api-')));
  const clock = options.clock ?? new Clock();
  const store = await ConfigStore.open(dir, { now: clock.now });
  const adminStates = await openAdminStates(dir, { now: clock.now });
  const logs = await createLogBook({ dir: join(dir, 'logs'), now: clock.now });
  const auth = await openAuth(dir, { store, now: clock.now, cost: { ln: 4, r: 8, p: 1 } });
  const engine = new FakeEngine(adminStates);
  await engine.apply(store.current());
  const ha = new FakeHa({ store, adminStates });
  const cluster = createClusterControl({
    store,
    engine,
    adminStates,
    logs,
    dataDir: dir,
    nodeName: 'lb1',
    now: () => clock.now().getTime(),
  });
  const foreground = new Foreground();
  const capabilities: Capability[] = [...(options.capabilities ?? [])];
  const pipeline = createCommitPipeline({ store, engine, ha, adminStates, logs });
  const traffic = startTrafficSampler({ engine, logs, foreground, intervalSeconds: 0, now: clock.now });
  const api = createApi({
    store,
    adminStates,
    engine,
    ha,
    cluster,
    logs,
    auth,
    capabilities,
    version: '0.0.0-test',
    now: clock.now,
    foreground,
    pipeline,
    traffic: traffic.history,
    sseKeepAliveSeconds: options.sseKeepAliveSeconds ?? 0,
    ...(options.sseLimits === undefined ? {} : { sseLimits: options.sseLimits }),
    ...(options.applyWaitSeconds === undefined ? {} : { applyWaitSeconds: options.applyWaitSeconds }),
    ...(options.replicaReceiver === undefined ? {} : { replicaReceiver: options.replicaReceiver }),
    ...(options.hostNetwork === undefined ? {} : { hostNetwork: options.hostNetwork(store, logs) }),
  });
  const server = createServer((req, res) => api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let adminPassword = ADMIN_PASSWORD;
  const harness: Harness = {
    foreground,
    dir,
    clock,
    store,
    adminStates,
    logs,
    auth,
    engine,
    ha,
    cluster,
    pipeline,
    traffic,
    api,
    capabilities,
    server,
    base,
    client: () => new Client(base),
    async admin() {
      const client = new Client(base);
      if (auth.mustChangePassword('admin')) {
        const initial = (await readFile(join(dir, 'initial-password'), 'utf8')).trim();
        await client.login('admin', initial);
        const changed = await client.post('/api/v1/session/password', { current: initial, new: ADMIN_PASSWORD });
        if (changed.status !== 200) throw new Error(`password change failed: ${changed.text}`);
        adminPassword = ADMIN_PASSWORD;
      } else {
        const answer = await client.login('admin', adminPassword);
        if (answer.status !== 200) throw new Error(`login failed: ${answer.text}`);
      }
      return client;
    },
    async restart() {
      await harness.close({ keep: true });
      return startHarness({ dir, clock });
    },
    async close(closeOptions = {}) {
      await api.close();
      pipeline.close();
      await pipeline.idle();
      traffic.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await logs.close();
      if (!closeOptions.keep) await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** A small valid configuration body for a Layer 4 service. */
export function layer4Service(label: string, vip = '192.0.2.10', port = 80) {
  return {
    label,
    vip,
    ports: [port],
    forwarding: 'nat',
    scheduler: 'wlc',
    realServers: [
      { label: 'alpha', address: '198.51.100.21', port: 8080 },
      { label: 'bravo', address: '198.51.100.22', port: 8080 },
    ],
  };
}

/** A fresh harness and its logged-in admin for each test of the file (started before, closed after each). */
export function harnessEachTest(options: HarnessOptions = {}): { readonly h: Harness; readonly admin: Client } {
  let current: { h: Harness; admin: Client } | undefined;
  const started = () => {
    if (current === undefined) throw new Error('the harness starts before each test');
    return current;
  };
  beforeEach(async () => {
    const h = await startHarness(options);
    current = { h, admin: await h.admin() };
  });
  afterEach(() => started().h.close());
  return {
    get h() {
      return started().h;
    },
    get admin() {
      return started().admin;
    },
  };
}
