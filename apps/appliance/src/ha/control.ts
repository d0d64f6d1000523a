import type { IncomingMessage } from 'node:http';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import {
  type HeartbeatEventRecord,
  HeartbeatNode,
  LATENESS_BUCKETS_MS,
  PingNodes,
  type Resource,
  type Timing,
  UdpLink,
} from '@sluice/heartbeat';
import type { Dispatcher } from 'undici';
import type { AdminStates } from '../admin-states/contract.js';
import type { Engine } from '../engine/contract.js';
import { ApplianceError } from '../errors.js';
import type { LogBook } from '../logs/contract.js';
import type { HaStatus } from '../model/ha-status.js';
import type { LogLevel } from '../model/log-record.js';
import { serial } from '../serial.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import type { HaControl } from './contract.js';
import { nextEpoch } from './epoch.js';
import {
  type HaIdentity,
  type HaLocalOptions,
  type HeartbeatSection,
  type HostAddresses,
  hostAddresses,
  resolveIdentity,
} from './identity.js';
import { createReplicaEndpoint, type ReplicaEndpoint, type ReplicaResult } from './replica-endpoint.js';
import { type Headers, replicaKey } from './replica-protocol.js';
import { Replicator } from './replicator.js';
import { RoleHistory } from './role-history.js';
import { haWarnings } from './warnings.js';

/**
 * The appliance's timers are slower than the heartbeat package's defaults (50/150 ms): the
 * heartbeat shares this process's event loop with the REST API, and a large commit
 * (validating 10,000 real servers) can hold the loop for longer than 150 ms, which the
 * peer would take for a death. 2.5 s to fail over is still under keepalived's defaults.
 */
export const APPLIANCE_TIMING: Partial<Timing> = {
  keepaliveMs: 250,
  warntimeMs: 1000,
  deadtimeMs: 2500,
  initdeadMs: 5000,
};

export interface HaControlOptions {
  store: Pick<ConfigStore, 'current' | 'get' | 'acceptReplica'>;
  /**
   * The engine holds the floating IPs and VIPs: HA only says whether this node is active.
   * Versions (the peer's too) reach the engine through the commit pipeline, not through HA.
   */
  engine: Pick<Engine, 'setActive' | 'announce'>;
  adminStates: Pick<AdminStates, 'list' | 'replaceAll'>;
  logs?: Pick<LogBook, 'write'>;
  /** Where the heartbeat epoch counter lives (`<dataDir>/ha.epoch`). */
  dataDir: string;
  /** This node's role and its view of the peer: node-local, never replicated (see identity.ts). */
  local?: HaLocalOptions;
  /** The admin HTTP port of the peer (default: administration.httpPort of the configuration). */
  adminPort?: number;
  timing?: Partial<Timing>;
  /** How often the nodes compare configuration versions while the peer is up (default 15 s). */
  syncIntervalMs?: number;
  /** How long takeover() and standby() wait for the role to move (default: deadtime + 2 s). */
  transitionTimeoutMs?: number;
  /** The process's nice value while HA runs (default -10, as the heartbeat daemon); null leaves it. */
  niceness?: number | null;
  dispatcher?: Dispatcher;
  hostAddresses?: () => HostAddresses;
  now?: () => number;
}

/** HaControl plus the lifecycle the daemon drives and the replication endpoint it mounts. */
export interface HaService extends HaControl {
  /** Standalone: the engine is made active. HA: the heartbeat starts (passive until elected). */
  start(): Promise<void>;
  /** Stops the heartbeat: the engine is made passive and the peer takes over at once. */
  stop(): Promise<void>;
  /** `PUT /api/v1/ha/replica`, with the raw body and the request's headers. */
  handleReplica(body: Buffer | string, headers: Headers, method?: string, path?: string): Promise<ReplicaResult>;
  /** The same for a request whose body is still to be read (ReplicaEndpoint.handleRequest). */
  handleReplicaRequest(req: IncomingMessage): Promise<ReplicaResult>;
  /** Compare versions with the peer now and send what it lacks (no-op standalone). */
  sync(): Promise<void>;
  /** Resolves once no replication or role change started by this node is in flight. */
  settled(): Promise<void>;
}

interface Running {
  section: HeartbeatSection;
  identity: HaIdentity;
  node: HeartbeatNode;
  links: UdpLink[];
  replicator: Replicator;
  timer: NodeJS.Timeout;
}

/** The configuration's announcement settings as the heartbeat's timers (absent: the package's defaults, the same). */
function announceTiming(section: HeartbeatSection): Partial<Timing> {
  const a = section.announcements;
  if (a === undefined) return {};
  return {
    announceCount: a.count,
    announceRepeatMs: a.intervalMs,
    announceDelayMs: a.delayMs,
    announceRefreshMs: a.refreshMs,
  };
}

/** The connection sync is the engine's (it follows the role): changing it must not restart the heartbeat. */
const sectionKey = (section: HeartbeatSection | undefined) =>
  section?.enabled ? JSON.stringify({ ...section, connectionSync: undefined }) : 'standalone';

export function createHaControl(options: HaControlOptions): HaService {
  const now = options.now ?? Date.now;
  const listeners = new Set<(status: HaStatus) => void>();
  const local = options.local ?? {};
  let running: Running | undefined;
  /** The heartbeat section that start() or a reconfiguration last acted on. */
  let configured = 'standalone';
  let enabled = false;
  let startFailure: string | undefined;
  let peerHead: { version: number; time: string } | undefined;
  const inFlight = new Set<Promise<unknown>>();
  /** Active or passive, since when and why, for the status bar, the API and /metrics. */
  const history = new RoleHistory('passive', now(), 'start');

  const log = (level: LogLevel, message: string, fields?: Record<string, string | number | boolean | null>) =>
    options.logs?.write('heartbeat', level, message, fields);

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const done = () => inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  };

  const lifecycle = serial();
  /** Start, stop and restarts of the heartbeat, one at a time. */
  const inLifecycle = <T>(task: () => Promise<T>): Promise<T> => track(lifecycle(task));

  function status(): HaStatus {
    const told = {
      since: new Date(history.since).toISOString(),
      reason: history.reason,
      transitions: history.transitions(),
    };
    if (!enabled) {
      return { enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [], ...told };
    }
    const section = running?.section;
    const hb = running?.node.status();
    const identity = running?.identity;
    const own = options.store.current();
    const state = hb?.state === 'active' ? 'active' : 'passive';
    return {
      enabled: true,
      role: identity?.role ?? local.role ?? 'master',
      state,
      link: hb === undefined ? 'unknown' : hb.link,
      ...(identity === undefined
        ? {}
        : {
            peer: {
              name: identity.peerId,
              address: identity.peerAddress,
              ...(peerHead === undefined ? {} : { configVersion: peerHead.version }),
            },
          }),
      warnings: haWarnings({
        startFailure,
        heartbeat: hb,
        peerName: identity?.peerId ?? section?.peer.name ?? 'the peer',
        ownHead: { version: own.version, time: own.time },
        peerHead,
        replicationError: running?.replicator.lastError,
      }),
      ...told,
      ...(hb === undefined
        ? {}
        : {
            heartbeat: {
              sendLateness: { ...hb.timing.sendLateness, bounds: LATENESS_BUCKETS_MS },
              peerGap: { ...hb.timing.peerGap, bounds: LATENESS_BUCKETS_MS },
            },
          }),
    };
  }

  const emit = () => {
    const current = status();
    for (const listener of listeners) listener(current);
  };

  const endpoint: ReplicaEndpoint = createReplicaEndpoint({
    store: options.store,
    adminStates: options.adminStates,
    key: () => {
      const section = options.store.current().config.heartbeat;
      return section?.enabled ? replicaKey(section.key) : undefined;
    },
    nodeName: () => running?.identity.nodeId ?? 'unknown',
    peerName: () => running?.identity.peerId,
    isActive: () => isActive(),
    now,
    onReplica: (event) => {
      peerHead = event.peerHead;
      if (event.accepted.length > 0) {
        log('info', `stored configuration version ${event.accepted.at(-1)} replicated from ${event.from}`, {
          versions: event.accepted.join(','),
        });
      }
      emit();
    },
  });

  function isActive(): boolean {
    if (!enabled) return true;
    return running?.node.status().state === 'active';
  }

  function onEvent(event: HeartbeatEventRecord): void {
    switch (event.type) {
      case 'state':
        log('info', `${event.from} -> ${event.to} (${event.reason}${event.rule ? `, ${event.rule}` : ''})`);
        history.observe(event, now());
        break;
      case 'peer-up':
      case 'link-up':
        log('info', event.type === 'peer-up' ? `peer ${event.peer.nodeId} is up` : `link ${event.link} is up`);
        // Link recovery: the two nodes compare versions and the newer one is sent.
        void sync();
        break;
      case 'link-down':
        log('warn', `link ${event.link} is down`);
        break;
      case 'peer-dead':
        log('warn', `the peer is dead (${event.reason})`);
        break;
      case 'split-brain':
        log(
          'error',
          `both nodes are active; ${event.winner === 'self' ? 'the peer' : 'this node'} releases (${event.rule})`,
        );
        break;
      case 'takeover-blocked':
        log('warn', 'takeover blocked: the ping nodes are unreachable');
        break;
      case 'resource-failed':
        log('error', `${event.operation} of ${event.resource} failed: ${(event.error as Error)?.message}`);
        break;
      case 'packet-rejected':
        log('warn', `rejected ${event.count} heartbeat(s) on ${event.link}: ${event.reason}`);
        break;
      default:
        break;
    }
    emit();
  }

  async function startHeartbeat(section: HeartbeatSection): Promise<void> {
    const config = options.store.current().config;
    const identity = resolveIdentity(
      section,
      local,
      (options.hostAddresses ?? hostAddresses)(),
      options.adminPort ?? config.administration.httpPort,
    );
    const resource: Resource = {
      name: 'engine',
      acquire: () => options.engine.setActive(true),
      release: () => options.engine.setActive(false),
      // Every frame the heartbeat schedules (the takeover's bursts, the re-announcement after
      // a split brain or a silent peer, the refresh) goes out: the engine adds an address
      // only once, and one lost gratuitous ARP would leave clients on the old node's MAC.
      // The takeover's first frame is the one the engine sent as it added the addresses:
      // only those it could not send go again. A rejection makes the heartbeat retry.
      announce: (reason) => options.engine.announce(reason === 'acquired' ? 'pending' : 'all'),
    };
    const links: UdpLink[] = [];
    try {
      for (const [i, link] of identity.links.entries()) links.push(await UdpLink.open(link, `heartbeat.links[${i}]`));
      const ping = section.pingNodes.length
        ? new PingNodes({ targets: section.pingNodes.map((address) => ({ type: 'icmp' as const, address })) })
        : undefined;
      const node = new HeartbeatNode({
        config: {
          nodeId: identity.nodeId,
          peerId: identity.peerId,
          role: identity.role,
          autoFailback: section.autoFailback,
          configVersion: options.store.current().version,
          keys: [{ id: 1, secret: Buffer.from(section.key, 'utf8') }],
          timing: { ...APPLIANCE_TIMING, ...announceTiming(section), ...options.timing },
        },
        links,
        resources: [resource],
        ...(ping ? { ping } : {}),
        epoch: await nextEpoch(join(options.dataDir, 'ha.epoch')),
      });
      const replicator = new Replicator({
        store: options.store,
        adminStates: options.adminStates,
        key: replicaKey(section.key),
        previousKeys: () => previousKeys(section.key),
        node: identity.nodeId,
        peerUrl: identity.peerUrl,
        isActive: () => node.status().state === 'active',
        now,
        ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
        onPeer: (reply) => {
          peerHead = reply.head;
          emit();
        },
      });
      const timer = setInterval(() => {
        if (node.status().link === 'up') void sync();
      }, options.syncIntervalMs ?? 15_000);
      timer.unref();
      // A node starts passive: the engine must not hold the floating IPs until it is elected.
      await options.engine.setActive(false);
      history.settle('passive', now(), 'heartbeat-started');
      running = { section, identity, node, links, replicator, timer };
      node.onEvent(onEvent);
      node.start();
      log('info', `heartbeat started as ${identity.role} ${identity.nodeId}, peer ${identity.peerId}`);
    } catch (error) {
      await Promise.all(links.map((link) => link.close()));
      throw error;
    }
  }

  /** The replication keys of the last versions with another heartbeat key, newest first: the peer may still hold one. */
  async function previousKeys(current: string): Promise<Buffer[]> {
    const seen = new Set([current]);
    const keys: Buffer[] = [];
    const head = options.store.current().version;
    for (let n = head; n >= 1 && n > head - 50 && keys.length < 3; n--) {
      const key = (await options.store.get(n).catch(() => undefined))?.config.heartbeat?.key;
      if (key !== undefined && !seen.has(key)) {
        seen.add(key);
        keys.push(replicaKey(key));
      }
    }
    return keys;
  }

  async function stopHeartbeat(): Promise<void> {
    const current = running;
    if (current === undefined) return;
    clearInterval(current.timer);
    await current.node.stop();
    await Promise.all(current.links.map((link) => link.close()));
    running = undefined;
    peerHead = undefined;
    log('info', 'heartbeat stopped');
  }

  /** Start (or restart) for the heartbeat section of the current configuration. */
  async function configure(): Promise<void> {
    const section = options.store.current().config.heartbeat;
    configured = sectionKey(section);
    startFailure = undefined;
    enabled = section?.enabled === true;
    if (!enabled || section === undefined) {
      await options.engine.setActive(true);
      history.settle('active', now(), 'standalone');
      emit();
      return;
    }
    if (options.niceness !== null) {
      try {
        setPriority(0, options.niceness ?? -10);
      } catch (error) {
        log('warn', `could not raise the scheduling priority: ${(error as Error).message}`);
      }
    }
    try {
      await startHeartbeat(section);
    } catch (error) {
      // Stay passive, but editable: the way out of a broken heartbeat section is to edit it.
      startFailure = (error as Error).message;
      await options.engine.setActive(false).catch(() => undefined);
      history.settle('passive', now(), 'heartbeat-failed');
      log('error', `HA could not start: ${startFailure}`);
    }
    emit();
  }

  /** A committed or replicated version may change the heartbeat section: restart the heartbeat for it. */
  function reconfigure(version: StoredVersion): Promise<void> {
    if (sectionKey(version.config.heartbeat) === configured) return Promise.resolve();
    return inLifecycle(async () => {
      if (sectionKey(options.store.current().config.heartbeat) === configured) return;
      log('info', `heartbeat settings changed in version ${version.version}: restarting the heartbeat`);
      await stopHeartbeat();
      await configure();
    });
  }

  /**
   * Compare heads with the peer and send what it lacks (the admin states too, from the
   * active node); `fresh` asks the peer for its head first. A failure is logged (the
   * status shows it), never thrown: the next commit or sync tries again.
   */
  async function push(what: string, fresh = false): Promise<void> {
    const replicator = running?.replicator;
    if (replicator === undefined) return;
    await track(
      replicator.sync(undefined, fresh).then(
        (outcome) => {
          if (outcome.sent.length > 0) log('info', `sent versions ${outcome.sent.join(',')} to the peer`);
        },
        (error: unknown) => log('warn', `replication of ${what}: ${(error as Error).message}`),
      ),
    );
    emit();
  }

  /** Link recovery and the periodic check: the newer node sends, whichever is active. */
  const sync = () => push('the configuration', true);

  async function waitForState(want: 'active' | 'passive'): Promise<void> {
    const node = running?.node;
    if (node === undefined) return;
    const timeout = options.transitionTimeoutMs ?? (options.timing?.deadtimeMs ?? 2500) + 2000;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, timeout);
      const off = node.onEvent(() => {
        if (node.status().state === want) done();
      });
      if (node.status().state === want) done();
    });
    await node.settled();
  }

  function requireHa(what: string): HeartbeatNode {
    if (!enabled) throw new ApplianceError('HA_DISABLED', `${what}: HA is not configured on this node`);
    const node = running?.node;
    if (node === undefined) {
      throw new ApplianceError('HA_DISABLED', `${what}: the heartbeat is not running (${startFailure ?? 'stopped'})`);
    }
    return node;
  }

  return {
    status,
    isEditable: () => !enabled || running === undefined || isActive(),
    async takeover() {
      const node = requireHa('takeover');
      log('info', 'takeover requested');
      node.takeover();
      await waitForState('active');
      return status();
    },
    async standby() {
      const node = requireHa('standby');
      log('info', 'standby requested');
      node.standby();
      await waitForState('passive');
      return status();
    },
    async committed(version: StoredVersion) {
      const what = `version ${version.version}`;
      // A version that changes the heartbeat settings goes to the peer before this node
      // restarts its heartbeat with them, so that both restart on the same settings.
      if (isActive() && sectionKey(version.config.heartbeat) !== configured) await push(what);
      await reconfigure(version);
      if (isActive()) await push(what);
    },
    async adminStatesChanged() {
      if (isActive()) await push('the admin states');
    },
    onStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start: () => inLifecycle(configure),
    stop: () =>
      inLifecycle(async () => {
        await stopHeartbeat();
        emit();
      }),
    handleReplica: (body, headers, method, path) => track(endpoint.handleReplica(body, headers, method, path)),
    handleReplicaRequest: (req) => track(endpoint.handleRequest(req)),
    sync,
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await running?.node.settled();
    },
  };
}
