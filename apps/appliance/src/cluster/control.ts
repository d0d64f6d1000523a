import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { AdminStates } from '../admin-states/contract.js';
import type { Engine } from '../engine/contract.js';
import { ApplianceError } from '../errors.js';
import { createReplicaEndpoint, type ReplicaEndpoint, type ReplicaResult } from '../ha/replica-endpoint.js';
import type { HeadInfo, ReplicaReply } from '../ha/replica-message.js';
import { type Headers, replicaKey } from '../ha/replica-protocol.js';
import { Replicator } from '../ha/replicator.js';
import type { LogBook } from '../logs/contract.js';
import type { ClusterNodeStatus, ClusterRole, ClusterStatus, NodeReport } from '../model/cluster-status.js';
import type { NodeHold } from '../model/engine-status.js';
import type { LogLevel } from '../model/log-record.js';
import { type ApplianceConfig, clusterMode } from '../model/schema.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import { bgpSummary } from './bgp-summary.js';
import { readDrain, writeDrain } from './hold-file.js';

export interface ClusterControlOptions {
  store: Pick<ConfigStore, 'current' | 'get' | 'acceptReplica'>;
  engine: Pick<Engine, 'status' | 'setNodeHold'>;
  adminStates: Pick<AdminStates, 'list' | 'replaceAll'>;
  logs?: Pick<LogBook, 'write'>;
  /** Where the drain is kept (`<dataDir>/cluster-drain.json`) and the certificates travel from. */
  dataDir: string;
  /** This node's name (SLUICE_NODE_NAME, default the host name): its entry in cluster.nodes. */
  nodeName: string;
  /** The followers' admin HTTP port (default: administration.httpPort of the configuration). */
  adminPort?: number;
  /** How often the configuring node says hello to every follower (default 10 s). */
  syncIntervalMs?: number;
  /** How often a node looks at its own lag and apply (default 1 s). */
  checkIntervalMs?: number;
  dispatcher?: Dispatcher;
  now?: () => number;
}

/** What the API and the commit pipeline use of the cluster. */
export interface ClusterService {
  status(): ClusterStatus;
  /** False on a follower: the configuration is edited on the configuring node only. */
  isEditable(): boolean;
  /** The configuring node's name (cluster.nodes[0]) in ECMP; undefined otherwise. */
  configuringNode(): string | undefined;
  drain(author?: string): Promise<ClusterStatus>;
  undrain(author?: string): Promise<ClusterStatus>;
  /** A version became the head: the configuring node sends it to every follower. */
  committed(version: StoredVersion): Promise<void>;
  adminStatesChanged(): Promise<void>;
  /** Whether replica requests are the cluster's now (ECMP mode) rather than the pair's. */
  handlesReplicas(): boolean;
  handleReplica(body: Buffer | string, headers: Headers, method?: string, path?: string): Promise<ReplicaResult>;
  handleReplicaRequest(req: IncomingMessage): Promise<ReplicaResult>;
  /** The configuring node: hello to every follower now, sending what each lacks. */
  sync(): Promise<void>;
  /** Look at this node's lag and apply now, and hold or release its VIPs for them. */
  check(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  settled(): Promise<void>;
}

interface Follower {
  name: string;
  address: string;
  replicator: Replicator;
  report?: NodeReport;
  head?: HeadInfo;
  heardAt?: number;
}

const urlHost = (address: string) => (address.includes(':') ? `[${address}]` : address);

/**
 * The ECMP cluster (`cluster.mode: ecmp`): every node is active; cluster.nodes[0] is where
 * the admins edit, and it sends each version to every follower over the pair's replica
 * channel (signed and sealed under a key derived from `cluster.key`). A follower takes
 * versions and refuses edits; it withdraws its VIPs (NodeHold.stale) when it learns from
 * the configuring node that it runs an older version for longer than `maxLagSeconds` (a
 * failed apply withdraws through the engine's BGP part, on any node). A follower that hears nothing keeps serving what it has: the
 * configuring node may just be down, and withdrawing every follower then would take the
 * whole cluster down with it.
 */
export function createClusterControl(options: ClusterControlOptions): ClusterService {
  const now = options.now ?? Date.now;
  const inFlight = new Set<Promise<unknown>>();
  const followers = new Map<string, Follower>();
  let followersKey = '';
  let drain = false;
  /** The stale reason last given to the engine (undefined: none). */
  let stale: string | undefined;
  let holdSent: string | undefined;
  /** The follower's view of the configuring node: its head, when it was learned, and since when this node is behind. */
  let leaderHead: HeadInfo | undefined;
  let leaderHeardAt: number | undefined;
  let behindSince: number | undefined;
  let timers: NodeJS.Timeout[] = [];

  const log = (level: LogLevel, message: string) => options.logs?.write('system', level, `cluster: ${message}`);
  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const done = () => inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  };

  const config = (): ApplianceConfig => options.store.current().config;
  const ecmp = () => clusterMode(config()) === 'ecmp';
  function roleOf(cfg: ApplianceConfig = config()): ClusterRole | undefined {
    if (clusterMode(cfg) !== 'ecmp') return undefined;
    const nodes = cfg.cluster?.nodes ?? [];
    const index = nodes.findIndex((node) => node.name === options.nodeName);
    if (index < 0) return undefined;
    return index === 0 ? 'configuring' : 'follower';
  }
  const configuringName = () => (ecmp() ? config().cluster?.nodes[0]?.name : undefined);
  const key = (): Buffer | undefined => {
    const cluster = config().cluster;
    return cluster?.mode === 'ecmp' && cluster.key !== undefined ? replicaKey(cluster.key) : undefined;
  };

  const hold = (): NodeHold => ({ drain, ...(stale === undefined ? {} : { stale }) });

  async function sendHold(): Promise<void> {
    const wanted = JSON.stringify(hold());
    if (wanted === holdSent) return;
    holdSent = wanted;
    await options.engine.setNodeHold(hold());
  }

  function report(): NodeReport {
    const status = options.engine.status();
    // What the engine runs, not what it was just handed: a reply can leave before the apply ends.
    return {
      version: status.appliedVersion ?? null,
      hold: hold(),
      ...(status.bgp === undefined ? {} : { bgp: status.bgp }),
    };
  }

  /**
   * Why this node should not announce now: its lag behind the configuring node. (A failed
   * apply is the engine's own to act on: its BGP part withdraws what a failed part serves.)
   * The engine's status is built only on a follower that knows the configuring node's head:
   * it costs a pass over every real server, and this runs every second.
   */
  function staleReason(): string | undefined {
    if (!ecmp() || roleOf() !== 'follower' || leaderHead === undefined) {
      behindSince = undefined;
      return undefined;
    }
    const runs = options.engine.status().appliedVersion ?? 0;
    if (leaderHead.version <= runs) {
      behindSince = undefined;
      return undefined;
    }
    behindSince ??= now();
    const maxLag = (config().cluster?.maxLagSeconds ?? 30) * 1000;
    if (now() - behindSince <= maxLag) return undefined;
    return `behind: runs version ${runs}, ${configuringName() ?? 'the configuring node'} has ${leaderHead.version}`;
  }

  async function check(): Promise<void> {
    const reason = staleReason();
    if (reason !== stale) {
      if (reason === undefined) log('info', `in step again (${stale}): announcing`);
      else log('warn', `withdrawing the VIPs: ${reason}`);
      stale = reason;
    }
    await sendHold();
  }

  const endpoint: ReplicaEndpoint = createReplicaEndpoint({
    store: options.store,
    adminStates: options.adminStates,
    key,
    nodeName: () => options.nodeName,
    // Only the configuring node sends; on the configuring node itself this refuses everyone else.
    peerName: () => configuringName(),
    isActive: () => roleOf() === 'configuring',
    report,
    now,
    certificateDir: join(options.dataDir, 'certificates'),
    onReplica: (event) => {
      leaderHead = event.peerHead;
      leaderHeardAt = now();
      if (event.accepted.length > 0) {
        log('info', `stored version ${event.accepted.at(-1)} from the configuring node ${event.from}`);
      }
      void track(check());
    },
  });

  /** The configuring node's replicators, one per follower, rebuilt when the nodes, key or port change. */
  function reconcileFollowers(): void {
    const cfg = config();
    const cluster = cfg.cluster;
    const port = options.adminPort ?? cfg.administration.httpPort;
    const wanted =
      roleOf(cfg) === 'configuring' && cluster?.key !== undefined
        ? JSON.stringify({ nodes: cluster.nodes.slice(1), key: cluster.key, port })
        : '';
    if (wanted === followersKey) return;
    followersKey = wanted;
    const previous = new Map(followers);
    followers.clear();
    if (wanted === '' || cluster?.key === undefined) return;
    const replicaKeyNow = replicaKey(cluster.key);
    for (const node of cluster.nodes.slice(1)) {
      const peerUrl = `http://${urlHost(node.address)}:${port}`;
      const follower: Follower = {
        name: node.name,
        address: node.address,
        replicator: new Replicator({
          store: options.store,
          adminStates: options.adminStates,
          key: replicaKeyNow,
          previousKeys: () => previousKeys(cluster.key as string),
          node: options.nodeName,
          peerUrl,
          isActive: () => true,
          now,
          certificateDir: join(options.dataDir, 'certificates'),
          ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
          onPeer: (reply: ReplicaReply) => {
            follower.head = reply.head;
            follower.heardAt = now();
            if (reply.report !== undefined) follower.report = reply.report;
          },
        }),
      };
      // What was heard of a node that is still listed stays in the table.
      const before = previous.get(node.name);
      if (before !== undefined && before.address === node.address) {
        if (before.report !== undefined) follower.report = before.report;
        if (before.head !== undefined) follower.head = before.head;
        if (before.heardAt !== undefined) follower.heardAt = before.heardAt;
      }
      followers.set(node.name, follower);
    }
  }

  /**
   * The replication keys of the last versions with another cluster key, newest first: a
   * follower holds the old key until it stores the version that changes it.
   */
  async function previousKeys(current: string): Promise<Buffer[]> {
    const seen = new Set([current]);
    const keys: Buffer[] = [];
    const head = options.store.current().version;
    for (let n = head; n >= 1 && n > head - 50 && keys.length < 3; n--) {
      const old = (await options.store.get(n).catch(() => undefined))?.config.cluster?.key;
      if (old !== undefined && !seen.has(old)) {
        seen.add(old);
        keys.push(replicaKey(old));
      }
    }
    return keys;
  }

  async function push(what: string, fresh: boolean): Promise<void> {
    reconcileFollowers();
    await Promise.all(
      [...followers.values()].map((follower) =>
        track(
          follower.replicator.sync(undefined, fresh).then(
            (outcome) => {
              if (outcome.sent.length > 0) log('info', `sent versions ${outcome.sent.join(',')} to ${follower.name}`);
            },
            (error: unknown) => log('warn', `replication of ${what} to ${follower.name}: ${(error as Error).message}`),
          ),
        ),
      ),
    );
  }

  const iso = (time: number | undefined) => (time === undefined ? {} : { lastHeard: new Date(time).toISOString() });

  function status(): ClusterStatus {
    const cfg = config();
    const head = options.store.current().version;
    const role = roleOf(cfg);
    const base = {
      mode: clusterMode(cfg),
      node: options.nodeName,
      configVersion: head,
      hold: hold(),
    };
    if (base.mode !== 'ecmp') return { ...base, nodes: [] };
    const engineStatus = options.engine.status();
    const nodes = (cfg.cluster?.nodes ?? []).map((node, index): ClusterNodeStatus => {
      const nodeRole: ClusterRole = index === 0 ? 'configuring' : 'follower';
      const row = { name: node.name, address: node.address, role: nodeRole };
      if (node.name === options.nodeName) {
        const summary = bgpSummary(engineStatus.bgp);
        const lagBase = role === 'follower' ? leaderHead?.version : head;
        return {
          ...row,
          self: true,
          version: engineStatus.appliedVersion ?? null,
          lastHeard: new Date(now()).toISOString(),
          ...(lagBase === undefined ? {} : { lag: Math.max(0, lagBase - (engineStatus.appliedVersion ?? 0)) }),
          drained: drain,
          ...(stale === undefined ? {} : { stale }),
          ...(summary === undefined ? {} : { bgp: summary }),
        };
      }
      const follower = role === 'configuring' ? followers.get(node.name) : undefined;
      const heard = follower?.report;
      const summary = bgpSummary(heard?.bgp);
      const error = follower?.replicator.lastError;
      // A follower sees the configuring node only through its hellos: its head, when last heard.
      if (role === 'follower' && nodeRole === 'configuring') {
        return {
          ...row,
          self: false,
          version: leaderHead?.version ?? null,
          ...iso(leaderHeardAt),
        };
      }
      return {
        ...row,
        self: false,
        version: heard?.version ?? null,
        ...iso(follower?.heardAt),
        ...(heard === undefined ? {} : { lag: Math.max(0, head - (heard.version ?? 0)), drained: heard.hold.drain }),
        ...(heard?.hold.stale === undefined ? {} : { stale: heard.hold.stale }),
        ...(summary === undefined ? {} : { bgp: summary }),
        ...(error === undefined ? {} : { error }),
      };
    });
    return {
      ...base,
      ...(role === undefined ? {} : { role }),
      ...(configuringName() === undefined ? {} : { configuringNode: configuringName() as string }),
      nodes,
    };
  }

  async function setDrain(value: boolean, author: string | undefined): Promise<ClusterStatus> {
    await writeDrain(options.dataDir, {
      drain: value,
      ...(author === undefined ? {} : { author }),
      time: new Date(now()).toISOString(),
    });
    drain = value;
    log('info', `${value ? 'drained' : 'undrained'}${author === undefined ? '' : ` by ${author}`}`);
    await sendHold();
    // The configuring node hears of it at its next hello; tell it now if this is the configuring node.
    return status();
  }

  return {
    status,
    isEditable: () => roleOf() !== 'follower',
    configuringNode: configuringName,
    drain: (author) => track(setDrain(true, author)),
    undrain: (author) => track(setDrain(false, author)),
    async committed() {
      if (roleOf() === 'configuring') await push('the configuration', false);
      else reconcileFollowers();
      await track(check());
    },
    async adminStatesChanged() {
      if (roleOf() === 'configuring') await push('the admin states', false);
    },
    handlesReplicas: ecmp,
    handleReplica: (body, headers, method, path) => track(endpoint.handleReplica(body, headers, method, path)),
    handleReplicaRequest: (req) => track(endpoint.handleRequest(req)),
    sync: async () => {
      if (roleOf() === 'configuring') await push('the configuration', true);
    },
    check: () => track(check()),
    async start() {
      drain = (await readDrain(options.dataDir)).drain;
      if (drain) log('info', 'this node is drained (kept from before the restart)');
      reconcileFollowers();
      await check();
      const every = (ms: number, task: () => Promise<void>) => {
        const timer = setInterval(() => void task().catch(() => undefined), ms);
        timer.unref();
        timers.push(timer);
      };
      every(options.syncIntervalMs ?? 10_000, () =>
        roleOf() === 'configuring' ? push('a hello', true) : Promise.resolve(),
      );
      every(options.checkIntervalMs ?? 1000, () => track(check()));
      if (roleOf() === 'configuring') void push('the configuration', true);
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      timers = [];
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/** The refusal a follower gives an edit. */
export function followerError(configuring: string | undefined): ApplianceError {
  return new ApplianceError(
    'CLUSTER_FOLLOWER',
    `this node follows the configuring node of the ECMP cluster: edit the configuration on ${configuring ?? 'cluster.nodes[0]'}`,
  );
}
