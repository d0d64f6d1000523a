import type { IncomingMessage } from 'node:http';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TIMING, type HeartbeatEventRecord, LATENESS_BUCKETS_MS, type Timing } from '@sluice/heartbeat';
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
import { type HeartbeatRun, type HeartbeatRunner, inProcessHeartbeat } from './heartbeat-runner.js';
import type { HeartbeatSpec } from './heartbeat-spec.js';
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
import { sectionTiming } from './timing.js';
import { haWarnings } from './warnings.js';

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
  /**
   * Where the heartbeat runs (default: on this event loop, the engine holding the
   * addresses); the daemon runs it in the HA engine process (engine-process/).
   */
  heartbeat?: HeartbeatRunner;
  /** In-process only: this process's nice value while HA runs (default -10, as the heartbeat daemon); null leaves it. */
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
  spec: HeartbeatSpec;
  identity: HaIdentity;
  run: HeartbeatRun;
  replicator: Replicator;
  timer: NodeJS.Timeout;
}

/** The connection sync is the engine's (it follows the role): changing it must not restart the heartbeat. */
const sectionKey = (section: HeartbeatSection | undefined) =>
  section?.enabled ? JSON.stringify({ ...section, connectionSync: undefined }) : 'standalone';

export function createHaControl(options: HaControlOptions): HaService {
  const now = options.now ?? Date.now;
  const runner = options.heartbeat ?? inProcessHeartbeat(options.engine);
  const listeners = new Set<(status: HaStatus) => void>();
  const local = options.local ?? {};
  let running: Running | undefined;
  /** The heartbeat section that start() or a reconfiguration last acted on. */
  let configured = 'standalone';
  let enabled = false;
  let startFailure: string | undefined;
  let peerHead: { version: number; time: string } | undefined;
  const inFlight = new Set<Promise<unknown>>();
  /** takeover() and standby() waiting for the role to move, looked at after every event. */
  const stateWaiters = new Set<() => void>();
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
    const hb = running?.run.status();
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
    certificateDir: join(options.dataDir, 'certificates'),
    onReplica: (event) => {
      peerHead = event.peerHead;
      if (event.accepted.length > 0) {
        log('info', `stored configuration version ${event.accepted.at(-1)} replicated from ${event.from}`, {
          versions: event.accepted.join(','),
          ...(event.certificates === undefined ? {} : { certificates: event.certificates.join(',') }),
        });
      }
      emit();
    },
  });

  function isActive(): boolean {
    if (!enabled) return true;
    return running?.run.status()?.state === 'active';
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
    for (const check of [...stateWaiters]) check();
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
    const spec: HeartbeatSpec = {
      key: sectionKey(section),
      nodeId: identity.nodeId,
      peerId: identity.peerId,
      role: identity.role,
      autoFailback: section.autoFailback,
      configVersion: options.store.current().version,
      secret: section.key,
      // The package's timers (50/150 ms) unless the section sets them: the heartbeat has a
      // process of its own, which no commit holds.
      timing: { ...sectionTiming(section), ...options.timing },
      links: identity.links,
      pingNodes: section.pingNodes,
      epochFile: join(options.dataDir, 'ha.epoch'),
    };
    // Events before `running` is set (the node's first, an adopted engine's) are told after.
    const early: HeartbeatEventRecord[] = [];
    let live = false;
    const { run, adopted } = await runner.start(spec, (event) => {
      if (live) onEvent(event);
      else early.push(event);
    });
    const replicator = new Replicator({
      store: options.store,
      adminStates: options.adminStates,
      key: replicaKey(section.key),
      previousKeys: () => previousKeys(section.key),
      node: identity.nodeId,
      peerUrl: identity.peerUrl,
      isActive: () => run.status()?.state === 'active',
      now,
      certificateDir: join(options.dataDir, 'certificates'),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      onPeer: (reply) => {
        peerHead = reply.head;
        emit();
      },
    });
    const timer = setInterval(() => {
      if (run.status()?.link === 'up') void sync();
    }, options.syncIntervalMs ?? 15_000);
    timer.unref();
    const state = run.status()?.state === 'active' ? 'active' : 'passive';
    history.settle(state, now(), adopted ? 'adopted' : 'heartbeat-started');
    running = { section, spec, identity, run, replicator, timer };
    live = true;
    for (const event of early.splice(0)) onEvent(event);
    log(
      'info',
      `heartbeat ${adopted ? `adopted (${state})` : 'started'} as ${identity.role} ${identity.nodeId}, peer ${identity.peerId}`,
    );
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
    running = undefined;
    await current.run.stop();
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
      await runner.standalone();
      history.settle('active', now(), 'standalone');
      emit();
      return;
    }
    if (options.heartbeat === undefined && options.niceness !== null) {
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

  async function waitForState(run: HeartbeatRun, want: 'active' | 'passive'): Promise<void> {
    const timeout =
      options.transitionTimeoutMs ?? (running?.spec.timing.deadtimeMs ?? DEFAULT_TIMING.deadtimeMs) + 2000;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stateWaiters.delete(check);
        resolve();
      };
      const check = () => {
        if (run.status()?.state === want) done();
      };
      const timer = setTimeout(done, timeout);
      stateWaiters.add(check);
      check();
    });
    await run.settled();
  }

  function requireHa(what: string): HeartbeatRun {
    if (!enabled) throw new ApplianceError('HA_DISABLED', `${what}: HA is not configured on this node`);
    const run = running?.run;
    if (run === undefined) {
      throw new ApplianceError('HA_DISABLED', `${what}: the heartbeat is not running (${startFailure ?? 'stopped'})`);
    }
    return run;
  }

  // The HA engine process died and a new one started (passive, knowing nothing): the peer
  // has taken over; this node's heartbeat starts again on the current settings.
  runner.onRestarted?.(() => {
    void inLifecycle(async () => {
      if (running !== undefined) clearInterval(running.timer);
      running = undefined;
      peerHead = undefined;
      await configure();
    });
  });

  return {
    status,
    isEditable: () => !enabled || running === undefined || isActive(),
    async takeover() {
      const run = requireHa('takeover');
      log('info', 'takeover requested');
      await run.takeover();
      await waitForState(run, 'active');
      return status();
    },
    async standby() {
      const run = requireHa('standby');
      log('info', 'standby requested');
      await run.standby();
      await waitForState(run, 'passive');
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
      await running?.run.settled();
    },
  };
}
