import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { statusOf } from '../../src/api/errors.js';
import { type ClusterService, createClusterControl } from '../../src/cluster/control.js';
import { ApplianceError } from '../../src/errors.js';
import { replicaReceiver } from '../../src/ha/replica-receiver.js';
import type { BgpStatus, EngineStatus, NodeHold, PartStatus } from '../../src/model/engine-status.js';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';
import type { StoredVersion } from '../../src/store/contract.js';
import { ecmpConfig, type Mutable } from '../fixtures/ecmp-config.js';
import { FakeAdminStates } from '../ha/fakes.js';

/** lb1 configures, lb2 and lb3 follow; addresses from ecmpConfig(), reached on 127.0.0.1 through ClusterAgent. */
export const NODES = ['lb1', 'lb2', 'lb3'] as const;

export function clusterConfig(change?: (config: Mutable) => void): ApplianceConfig {
  const input = ecmpConfig();
  change?.(input);
  const result = validateConfig(input);
  if (!result.ok) throw new Error(`fixture config invalid: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.config;
}

/** The store's replica rule (only a newer version is stored) over versions of one configuration. */
export class ClusterStore {
  readonly versions = new Map<number, StoredVersion>();
  private head: StoredVersion;

  constructor(
    public config: ApplianceConfig,
    head = 1,
  ) {
    for (let n = 1; n <= head; n++) this.versions.set(n, this.make(n));
    this.head = this.make(head);
  }

  private make(n: number): StoredVersion {
    return {
      version: n,
      author: 'alice',
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
      comment: `v${n}`,
      config: this.config,
    };
  }

  current(): StoredVersion {
    return this.head;
  }

  async get(n: number): Promise<StoredVersion> {
    const found = this.versions.get(n);
    if (!found) throw new ApplianceError('STORE_NOT_FOUND', `no version ${n}`);
    return found;
  }

  async acceptReplica(stored: StoredVersion): Promise<StoredVersion> {
    if (stored.version <= this.head.version) throw new ApplianceError('HA_STALE_VERSION', 'not newer');
    this.versions.set(stored.version, stored);
    this.head = stored;
    return stored;
  }

  commit(config = this.config): StoredVersion {
    this.config = config;
    const next = this.make(this.head.version + 1);
    this.versions.set(next.version, next);
    this.head = next;
    return next;
  }
}

/** The engine as the cluster sees it: the version it runs, its parts, its BGP, and the last hold asked. */
export class ClusterEngine {
  version: number | null = null;
  parts: PartStatus[] = [];
  bgp: BgpStatus | undefined;
  hold: NodeHold = { drain: false };
  holds: NodeHold[] = [];

  status(): EngineStatus {
    // This fake's version is both the one asked and the one run (tests set it after the apply).
    return {
      version: this.version,
      ...(this.version === null ? {} : { appliedVersion: this.version }),
      parts: this.parts,
      services: [],
      ...(this.bgp === undefined ? {} : { bgp: this.bgp }),
    };
  }

  async setNodeHold(hold: NodeHold): Promise<void> {
    this.hold = { ...hold };
    this.holds.push(this.hold);
  }
}

export function bgpOf(announced: string[], withdrawn: string[] = []): BgpStatus {
  return {
    state: 'running',
    drained: false,
    peers: [
      { address: '192.0.2.1', asn: 64500, state: 'Established' },
      { address: '192.0.2.2', asn: 64500, state: 'Active' },
    ],
    vips: [
      ...announced.map((address) => ({ address, state: 'announced' as const, reason: 'healthy' })),
      ...withdrawn.map((address) => ({ address, state: 'withdrawn' as const, reason: 'no-healthy-real-server' })),
    ],
  };
}

/** A clock the test moves: the sender's and the receiver's (the replay window is judged on it). */
export class TestClock {
  time = Date.parse('2026-01-01T00:00:00Z');
  now = () => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Sends each node's address to the 127.0.0.1 port its test server listens on. */
class ClusterAgent extends Agent {
  constructor(private readonly ports: Map<string, number>) {
    super();
  }
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = new URL(String(options.origin));
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    const port = this.ports.get(host);
    if (port === undefined) throw new Error(`no test node at ${host}`);
    return super.dispatch({ ...options, origin: `http://127.0.0.1:${port}` }, handler);
  }
}

export interface TestNode {
  name: string;
  dir: string;
  store: ClusterStore;
  engine: ClusterEngine;
  adminStates: FakeAdminStates;
  cluster: ClusterService;
  server: Server;
}

export interface TestCluster {
  clock: TestClock;
  nodes: Record<string, TestNode>;
  /** Starts a node's cluster service again on its data directory (a restart). */
  restart(name: string): Promise<TestNode>;
  close(): Promise<void>;
}

/** Three nodes, each with its store, engine and cluster service behind a real HTTP server. */
export async function startCluster(config = clusterConfig()): Promise<TestCluster> {
  const clock = new TestClock();
  const ports = new Map<string, number>();
  const agent = new ClusterAgent(ports);
  const nodes: Record<string, TestNode> = {};
  const make = async (name: string, dir: string, store: ClusterStore, engine: ClusterEngine) => {
    const adminStates = new FakeAdminStates();
    const cluster = createClusterControl({
      store,
      engine,
      adminStates,
      dataDir: dir,
      nodeName: name,
      adminPort: 9080,
      dispatcher: agent,
      now: clock.now,
      // The tests call sync() and check() themselves.
      syncIntervalMs: 3_600_000,
      checkIntervalMs: 3_600_000,
    });
    const receive = replicaReceiver((req) => cluster.handleReplicaRequest(req));
    const server = createServer((req, res) => {
      receive(req).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (error: ApplianceError) => {
          res.writeHead(statusOf(error.code), { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: error.toJSON() }));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Every node's address, listed in `config` or not yet (a test may add it in a later version).
    const address = clusterConfig().cluster?.nodes.find((node) => node.name === name)?.address;
    if (address !== undefined) ports.set(address, (server.address() as AddressInfo).port);
    await cluster.start();
    const node: TestNode = { name, dir, store, engine, adminStates, cluster, server };
    nodes[name] = node;
    return node;
  };
  for (const name of NODES) {
    const dir = await mkdtemp(join(tmpdir(), `sluice-cluster-${name}-`));
    // Every node starts from version 1 (the admin put the cluster's first configuration on each).
    await make(name, dir, new ClusterStore(config), new ClusterEngine());
  }
  const stopNode = async (node: TestNode) => {
    await node.cluster.stop();
    await new Promise<void>((resolve) => node.server.close(() => resolve()));
  };
  return {
    clock,
    nodes,
    async restart(name) {
      const old = nodes[name];
      if (old === undefined) throw new Error(`no node ${name}`);
      await stopNode(old);
      return make(name, old.dir, old.store, new ClusterEngine());
    },
    async close() {
      for (const node of Object.values(nodes)) {
        await stopNode(node);
        await rm(node.dir, { recursive: true, force: true });
      }
      await agent.close();
    },
  };
}
