import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openAdminStates } from '../admin-states/index.js';
import { type Api, createApi } from '../api/index.js';
import { type Auth, openAuth } from '../auth/index.js';
import { type Capability, detectCapabilities } from '../capabilities.js';
import { type ClusterService, createClusterControl } from '../cluster/index.js';
import type { Engine } from '../engine/contract.js';
import { createEngine } from '../engine/index.js';
import { createLayer7Driver } from '../engine/layer7/index.js';
import { TproxyRouting } from '../engine/layer7/tproxy-routing.js';
import { HaEngineClient } from '../ha/engine-process/client.js';
import { HeldAddressesDriver } from '../ha/engine-process/held-addresses.js';
import { processHeartbeat } from '../ha/engine-process/process-runner.js';
import type { HaLocalOptions } from '../ha/identity.js';
import { createHaControl, type HaService, replicaReceiver } from '../ha/index.js';
import { createHostApplier, trialFile } from '../host-network/apply.js';
import { createHostNetwork, type HostNetwork } from '../host-network/control.js';
import { type ClosableLogBook, createLogBook } from '../logs/index.js';
import { startTrafficSampler } from '../metrics/traffic-sampler.js';
import type { LogRecord } from '../model/log-record.js';
import { type CommitPipeline, createCommitPipeline } from '../pipeline/index.js';
import { ConfigStore } from '../store/config-store.js';
import { createWebServers, type WebServers } from '../web/index.js';

export interface DaemonOptions {
  /** Configuration versions, audit, logs, admin states, credentials and the HTTPS certificate live here. */
  dataDir: string;
  /** The appliance's own version (package.json). */
  version: string;
  /** [9080]; 0 picks a free port. */
  httpPort?: number | undefined;
  /** [9443]; 0 picks a free port. */
  httpsPort?: number | undefined;
  /** Addresses the web servers listen on [`::`]. */
  hosts?: readonly string[] | undefined;
  /**
   * Program IPVS, hold the VIPs and floating IPs, run the health checks, set up TPROXY's
   * routing and run HAProxy in this named network namespace instead of the daemon's own.
   */
  netns?: string | undefined;
  /** ECMP: this node's name in `cluster.nodes` (SLUICE_NODE_NAME); default the host name. */
  nodeName?: string | undefined;
  /** This node's place in an HA pair (node-local, never replicated). */
  ha?: HaLocalOptions | undefined;
  /** What this host lets the appliance do (detected when absent). */
  capabilities?: readonly Capability[] | undefined;
  /** The HA engine process's script (default: `ha-engine.js` of this build). */
  haEngineEntry?: string | undefined;
  /** The appliance's own network: applied to this host only with `manage` (SLUICE_HOST_NETWORK=manage). */
  hostNetwork?:
    | {
        manage: boolean;
        /** How long a change that could lock the admin out waits for confirmation [120]. */
        confirmSeconds?: number | undefined;
        /** Where `etc/systemd/...` is ["/"]. */
        root?: string | undefined;
      }
    | undefined;
  /** Every log record from the first (`serve` writes them to stdout, the journal). */
  onLog?: ((record: LogRecord) => void) | undefined;
}

export interface Daemon {
  readonly store: ConfigStore;
  readonly engine: Engine;
  readonly ha: HaService;
  readonly cluster: ClusterService;
  /** Every committed version (API, CLI, rollback, restore, the peer's) reaches the engine and HA through it. */
  readonly pipeline: CommitPipeline;
  readonly auth: Auth;
  readonly logs: ClosableLogBook;
  readonly web: WebServers;
  readonly hostNetwork: HostNetwork;
  readonly capabilities: readonly Capability[];
  /** The first-boot password of `admin` when this start created it (print it once). */
  readonly initialPassword: string | undefined;
  /**
   * Stops serving, the heartbeat (the peer takes over at once), the HA engine process and
   * the engine's timers. IPVS, a standalone node's addresses and HAProxy (still running,
   * adopted by the next start) stay as they are, so that a restart disturbs no established
   * connection.
   */
  stop(): Promise<void>;
  /**
   * systemctl reload (SIGHUP): applies the current configuration version again, so that
   * IPVS, HAProxy, the addresses and (where managed) the host's own network are made to
   * match it (anything changed behind the appliance's back is put right), and says so in
   * the system log.
   */
  reload(): Promise<void>;
}

/**
 * The appliance: one process (and its HA engine process) composing the store, admin states, log book, engine (IPVS,
 * HAProxy, addresses, health), HA node, REST API and web servers. Parts this host cannot
 * run report `unavailable` in the status; everything else still starts.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { dataDir } = options;
  // How long each step of the start took goes in the "serving" line: a slow start says where.
  const steps: string[] = [];
  // performance.now() counts from the process's start: the first step is Node and the modules.
  let last = 0;
  const step = (name: string) => {
    const now = performance.now();
    steps.push(`${name} ${((now - last) / 1000).toFixed(2)} s`);
    last = now;
  };
  step('process');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logs = await createLogBook({ dir: join(dataDir, 'logs') });
  if (options.onLog) logs.follow({}, options.onLog);
  const cleanups: (() => Promise<void>)[] = [() => logs.close()];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    // Detected (a child process or two) while the store opens.
    const detecting = options.capabilities ? Promise.resolve(options.capabilities) : detectCapabilities();
    const store = await ConfigStore.open(join(dataDir, 'config'));
    step('store');
    // Run after the API, engine and HA stop (cleanups run in reverse): the seal is current at exit.
    cleanups.push(() => store.close());
    const adminStates = await openAdminStates(dataDir);
    const auth = await openAuth(dataDir, { store });
    step('credentials');
    const capabilities = await detecting;
    step('capabilities');
    const runDir = join(dataDir, 'run');
    const netns = options.netns === undefined ? {} : { netns: options.netns };
    const layer7 = createLayer7Driver({
      stateDir: join(runDir, 'haproxy'),
      logs,
      ...netns,
      tproxyRouting: new TproxyRouting(netns),
    });
    // The heartbeat and the addresses live in a process of their own (engine-process/): a
    // commit holding this loop, or this process crashing, must not make the peer take over.
    // A daemon restarted after a crash adopts the one still running.
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    const haEngine = new HaEngineClient({
      socketPath: join(runDir, 'ha-engine.sock'),
      pidFile: join(runDir, 'ha-engine.pid'),
      logFile: join(dataDir, 'logs', 'ha-engine.log'),
      ...netns,
      ...(options.haEngineEntry ? { entry: options.haEngineEntry } : {}),
      log: (level, message) => logs.write('heartbeat', level, message),
    });
    await haEngine.connect();
    // Runs after HA has stopped (cleanups run in reverse): the heartbeat is handed over first.
    cleanups.push(() => haEngine.shutdown());
    step('HA engine');
    // One name for the engine's BGP part and the cluster's replication: its entry in cluster.nodes.
    const nodeName = options.nodeName ?? hostname();
    const engine = createEngine({
      store,
      adminStates,
      logs,
      stateDir: join(runDir, 'engine'),
      // Beside the configuration store: which IPVS services are the appliance's outlives every restart.
      ipvsOwnedFile: join(dataDir, 'ipvs-owned.json'),
      ...netns,
      nodeName,
      drivers: { layer7, addresses: new HeldAddressesDriver(haEngine) },
      // HA decides; a standalone node is made active by ha.start().
      active: false,
    });
    const ha = createHaControl({
      store,
      engine,
      adminStates,
      logs,
      dataDir,
      heartbeat: processHeartbeat(haEngine, engine, (level, message) => logs.write('heartbeat', level, message)),
      ...(options.ha ? { local: options.ha } : {}),
    });
    const cluster = createClusterControl({
      store,
      engine,
      adminStates,
      logs,
      dataDir,
      nodeName,
    });
    // From here on, every version that becomes the head is applied, given to HA (and the
    // ECMP cluster's followers) and logged by this one pipeline, whoever stored it.
    const pipeline = createCommitPipeline({
      store,
      engine,
      ha: {
        // The cluster's part runs whatever became of the pair's (the pipeline logs a failure).
        async committed(version) {
          try {
            await ha.committed(version);
          } finally {
            await cluster.committed(version);
          }
        },
        async adminStatesChanged() {
          try {
            await ha.adminStatesChanged();
          } finally {
            await cluster.adminStatesChanged();
          }
        },
      },
      adminStates,
      logs,
    });
    cleanups.push(async () => {
      pipeline.close();
      // An apply in progress may finish; a hung engine must not hold the shutdown.
      await Promise.race([pipeline.idle(), new Promise<void>((resolve) => setTimeout(resolve, 5000).unref())]);
    });
    const hostNetwork = createHostNetwork({
      manage: options.hostNetwork?.manage === true,
      store,
      logs,
      apply: createHostApplier({ root: options.hostNetwork?.root ?? '/' }),
      trialFile: trialFile(runDir),
      ...(options.hostNetwork?.confirmSeconds === undefined
        ? {}
        : { confirmSeconds: options.hostNetwork.confirmSeconds }),
    });
    cleanups.push(async () => hostNetwork.stop());
    const traffic = startTrafficSampler({ engine, logs, foreground: engine.foreground });
    cleanups.push(async () => traffic.stop());
    const api: Api = createApi({
      store,
      adminStates,
      engine,
      ha,
      cluster,
      logs,
      auth,
      capabilities,
      version: options.version,
      foreground: engine.foreground,
      pipeline,
      hostNetwork,
      traffic: traffic.history,
      // One replica endpoint: the cluster's in ECMP mode (cluster.key), the pair's otherwise (heartbeat.key).
      replicaReceiver: replicaReceiver((req) =>
        cluster.handlesReplicas() ? cluster.handleReplicaRequest(req) : ha.handleReplicaRequest(req),
      ),
    });
    cleanups.push(() => api.close());

    logs.write(
      'system',
      'info',
      `sluice appliance ${options.version} starting; configuration version ${store.current().version}`,
    );
    step('parts');
    await engine.start();
    cleanups.push(() => engine.stop());
    step('engine');
    await ha.start();
    cleanups.push(() => ha.stop());
    step('HA');
    await cluster.start();
    cleanups.push(() => cluster.stop());
    step('cluster');
    // networkd applied the files at boot; this puts right what changed while the appliance was down.
    await hostNetwork.start();
    step('host network');

    const admin = store.current().config.administration;
    const web = await createWebServers({
      handleApi: api.handle,
      dataDir,
      httpPort: options.httpPort ?? admin.httpPort,
      httpsPort: options.httpsPort ?? admin.httpsPort,
      ...(options.hosts ? { hosts: options.hosts } : {}),
      addApiRoutes: (routes) => api.addRoutes(routes),
      logs,
    });
    cleanups.push(() => web.close());
    step('web');
    logs.write(
      'system',
      'info',
      `serving on :${web.httpPort} (HTTP) and :${web.httpsPort} (HTTPS); started in ${steps.join(', ')}`,
    );

    let stopping: Promise<void> | undefined;
    return {
      store,
      engine,
      ha,
      cluster,
      pipeline,
      auth,
      logs,
      web,
      hostNetwork,
      capabilities,
      initialPassword: auth.initialPassword,
      reload: async () => {
        const current = store.current();
        logs.write('system', 'info', `reload: applying configuration version ${current.version} again`);
        await engine.apply(current);
        // The host's own network too (an edited networkd file is put back), where it is managed.
        await hostNetwork.reapply();
        logs.write('system', 'info', `reloaded: configuration version ${current.version} applied`);
      },
      stop: () => {
        stopping ??= (async () => {
          logs.write('system', 'info', 'stopping');
          await unwind();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
