/**
 * The engine: a stored configuration version, the admin states and health -> IPVS, HAProxy
 * and addresses, through one driver per part. Applies run one at a time; a burst of them
 * runs once more with the newest. Runtime changes (admin state, health) re-apply only the
 * services they touch.
 */

import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AdminStates } from '../admin-states/contract.js';
import type { LogBook } from '../logs/contract.js';
import type { EngineMetrics } from '../metrics/engine-metrics.js';
import { APPLY_SECONDS, Histogram } from '../metrics/histogram.js';
import type { Layer, RealServerRef } from '../model/admin-state.js';
import type {
  ApplyReport,
  ConnectionSyncStatus,
  EnginePart,
  EngineStatus,
  HealthState,
  Layer4Connection,
  Layer7StatRow,
  NodeHold,
  PartStatus,
} from '../model/engine-status.js';
import type { LogChannel } from '../model/log-record.js';
import { type ApplianceConfig, clusterMode } from '../model/schema.js';
import type { ConfigWarning } from '../model/validate.js';
import type { ConfigStore, StoredVersion } from '../store/contract.js';
import { createAddressesDriver } from './addresses/driver.js';
import { createBgpDriver } from './bgp/driver.js';
import type { Engine } from './contract.js';
import type { DesiredInput, Observations, PartDriver, ProbeResult, ServerObservation } from './driver.js';
import { LISTED_CHANGES, serverKey } from './driver.js';
import { Foreground } from './foreground.js';
import { createHealthBridge, type HealthSource, type HealthTransition } from './health/bridge.js';
import { desiredSyncDaemons } from './layer4/connection-sync.js';
import { createLayer4Driver } from './layer4/driver.js';
import { ownedRecordFile } from './layer4/ownership.js';
import { buildServices, buildTerminations } from './status.js';

export interface EngineOptions {
  /** The store (its current version is applied by start()), or a view of the current version. */
  store: Pick<ConfigStore, 'current'> | (() => StoredVersion);
  adminStates: Pick<AdminStates, 'get' | 'onChange'>;
  logs: Pick<LogBook, 'write'>;
  /** Where the engine may keep state of its own. */
  stateDir: string;
  /**
   * The file that records which IPVS services the appliance owns (`ipvs.ownership`); it must
   * outlive restarts. Absent: kept in memory only (tests).
   */
  ipvsOwnedFile?: string;
  /**
   * A named network namespace for IPVS, the addresses (VIPs, floating IPs, their
   * announcements) and the health checks: everything that touches the data plane's network.
   */
  netns?: string;
  /** Drivers to use instead of the built-in ones (tests; Layer 7 comes from its own module). */
  drivers?: Partial<Record<EnginePart, PartDriver>>;
  now?: () => Date;
  /** How often the kernel is compared with the desired state (ms; default 5000; 0: never). */
  driftIntervalMs?: number;
  /** How often connection counters and weights are read for the status (ms; default 2000; 0: never). */
  observeIntervalMs?: number;
  /** HA: whether this node starts active (holds the addresses). Default true (standalone). */
  active?: boolean;
  /** Writes in flight (the API's too): background work on the whole table holds for them. */
  foreground?: Foreground;
  /** ECMP: this node's name in `cluster.nodes` (SLUICE_NODE_NAME); default the host name. */
  nodeName?: string;
}

/**
 * Addresses before Layer 7, so that HAProxy can bind to the VIPs it listens on. BGP last:
 * a VIP is announced only once the parts that serve it have applied.
 */
const ORDER: readonly EnginePart[] = ['health', 'addresses', 'layer4', 'layer7', 'bgp'];
const CHANNEL: Record<EnginePart, LogChannel> = {
  health: 'system',
  addresses: 'system',
  layer4: 'layer4',
  layer7: 'layer7',
  bgp: 'system',
};

interface Request {
  full: boolean;
  parts: Set<EnginePart>;
  scope: Map<string, { layer: Layer; service: string }>;
}

function merge(into: Request, from: Request): void {
  into.full ||= from.full;
  for (const p of from.parts) into.parts.add(p);
  for (const [k, v] of from.scope) into.scope.set(k, v);
}

function isHealthSource(driver: PartDriver | undefined): driver is HealthSource {
  return typeof (driver as Partial<HealthSource> | undefined)?.stateOf === 'function';
}

function textPrint(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ApplianceEngine implements Engine {
  private readonly options: EngineOptions;
  readonly foreground: Foreground;
  private readonly drivers: Partial<Record<EnginePart, PartDriver>>;
  private readonly health: HealthSource | undefined;
  private readonly now: () => Date;
  private version: StoredVersion | undefined;
  private active: boolean;
  private readonly parts = new Map<EnginePart, PartStatus>();
  private readonly probes = new Map<EnginePart, ProbeResult>();
  /** Per part, what it last observed (a driver may hand over a map it keeps up to date itself). */
  private readonly observations = new Map<EnginePart, Observations>();
  private readonly observed = {
    get: (key: string): ServerObservation | undefined => {
      for (const map of this.observations.values()) {
        const o = map.get(key);
        if (o !== undefined) return o;
      }
      return undefined;
    },
  };
  /** observationPrint() at the last timer refresh; NaN after an event that did not compute it. */
  private printed = Number.NaN;
  private pending: { request: Request; waiters: ((report: ApplyReport) => void)[] } | undefined;
  private running: Promise<void> | undefined;
  private readonly statusListeners = new Set<() => void>();
  private readonly cleanups: (() => void)[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  /** Bumped by every change of an admin state or a health state (see DesiredInput.statesRevision). */
  private statesRevision = 0;
  /** Per part: how long its applies took (seconds) and how many failed, for /metrics. */
  private readonly applySeconds = new Map<EnginePart, Histogram>(ORDER.map((p) => [p, new Histogram(APPLY_SECONDS)]));
  private readonly applyFailures = new Map<EnginePart, number>(ORDER.map((p) => [p, 0]));
  private drifting = false;
  private observing = false;
  private started = false;
  /** This node's name in an ECMP cluster's `cluster.nodes`. */
  private readonly nodeName: string;
  private hold: NodeHold = { drain: false };
  /** The version of the last full apply that ran to its end (EngineStatus.appliedVersion). */
  private appliedVersion: number | undefined;
  /** ECMP: a print of HAProxy's health reports when last read (NaN: not read yet). */
  private layer7Health = Number.NaN;

  constructor(options: EngineOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.active = options.active ?? true;
    this.foreground = options.foreground ?? new Foreground();
    this.nodeName = options.nodeName ?? hostname();
    const given = options.drivers ?? {};
    const pause = () => this.foreground.pause();
    this.drivers = {
      health: given.health ?? createHealthBridge(options.netns ? { netns: options.netns } : {}),
      addresses:
        given.addresses ??
        createAddressesDriver({
          ...(options.netns ? { netns: options.netns } : {}),
          warn: (message) => options.logs.write('system', 'warn', message),
        }),
      layer4:
        given.layer4 ??
        createLayer4Driver({
          ...(options.netns ? { netns: options.netns } : {}),
          pause,
          warn: (message) => options.logs.write('layer4', 'warn', message),
          ...(options.ipvsOwnedFile ? { owned: ownedRecordFile(options.ipvsOwnedFile) } : {}),
        }),
      ...(given.layer7 ? { layer7: given.layer7 } : {}),
      bgp:
        given.bgp ??
        createBgpDriver({
          dir: join(options.stateDir, 'bird'),
          netns: options.netns,
          nodeName: this.nodeName,
          // A drain's end: the VIPs go from GRACEFUL_SHUTDOWN to withdrawn.
          reapply: () => {
            if (this.version) void this.enqueue({ full: false, parts: new Set(['bgp']), scope: new Map() });
          },
        }),
    };
    this.health = isHealthSource(this.drivers.health) ? this.drivers.health : undefined;
    for (const part of ORDER) this.parts.set(part, { part, state: 'pending' });
  }

  private current(): StoredVersion {
    const store = this.options.store;
    return typeof store === 'function' ? store() : store.current();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cleanups.push(this.options.adminStates.onChange((entry) => this.runtimeChange(entry, [entry.layer])));
    if (this.health) this.cleanups.push(this.health.onTransition((t) => this.healthTransition(t)));
    const drift = this.options.driftIntervalMs ?? 5000;
    const observe = this.options.observeIntervalMs ?? 2000;
    if (drift > 0) this.timers.push(setInterval(() => void this.checkDrift(), drift));
    if (observe > 0) this.timers.push(setInterval(() => void this.refreshObservations(), observe));
    if (!this.version) await this.apply(this.current());
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const c of this.cleanups.splice(0)) c();
    while (this.running) await this.running;
    // BGP first: the routers withdraw this node's VIPs before anything that serves them stops.
    for (const part of ['bgp' as const, ...ORDER.filter((p) => p !== 'bgp')]) {
      await this.drivers[part]?.stop().catch((error: unknown) => {
        this.options.logs.write('system', 'error', `engine: stopping ${part} failed: ${message(error)}`);
      });
    }
    this.started = false;
  }

  apply(version: StoredVersion): Promise<ApplyReport> {
    // The version asked last wins: a burst of commits applies once more, with the last one.
    this.version = version;
    return this.enqueue({ full: true, parts: new Set(ORDER), scope: new Map() });
  }

  async setActive(active: boolean): Promise<void> {
    if (this.active === active) return;
    this.active = active;
    this.options.logs.write(
      'system',
      'info',
      `engine: ${active ? 'active: taking' : 'passive: releasing'} the addresses`,
    );
    // Layer 4 with an empty scope touches no service: it swaps the connection sync daemon (master/backup).
    if (this.version) await this.enqueue({ full: false, parts: new Set(['addresses', 'layer4']), scope: new Map() });
  }

  async setNodeHold(hold: NodeHold): Promise<void> {
    this.hold = { ...hold };
    this.drivers.bgp?.setHold?.(this.hold);
    // Resolves once BIRD runs with what the hold asks (or the part reports why not).
    if (this.version) await this.enqueue({ full: false, parts: new Set(['bgp']), scope: new Map() });
  }

  async announce(which: 'all' | 'pending' = 'all'): Promise<void> {
    const driver = this.drivers.addresses;
    if (!this.active || !driver?.announce || !this.probes.get('addresses')?.available) return;
    await driver.announce(which);
  }

  status(): EngineStatus {
    const config = this.version?.config;
    const connectionSync = this.connectionSync();
    const services = config
      ? buildServices({
          config,
          admin: (ref) => this.options.adminStates.get(ref),
          health: (ref) => this.health?.stateOf(ref),
          observations: this.observed,
          parts: this.partList(),
        })
      : [];
    const bgp = config ? this.bgpStatus(config) : undefined;
    return {
      version: this.version?.version ?? null,
      ...(this.appliedVersion === undefined ? {} : { appliedVersion: this.appliedVersion }),
      parts: this.partList(),
      ...(connectionSync ? { connectionSync } : {}),
      services,
      terminations: config ? buildTerminations(config, services) : [],
      ...(bgp ? { bgp } : {}),
    };
  }

  /** ECMP only; where BIRD cannot run, the status says so rather than show nothing. */
  private bgpStatus(config: ApplianceConfig): EngineStatus['bgp'] {
    if (clusterMode(config) !== 'ecmp') return undefined;
    const part = this.parts.get('bgp');
    if (part?.state === 'unavailable') {
      return {
        state: 'unavailable',
        ...(part.detail ? { detail: part.detail } : {}),
        drained: this.hold.drain,
        ...(this.hold.stale === undefined ? {} : { stale: this.hold.stale }),
        peers: [],
        vips: [],
      };
    }
    return this.drivers.bgp?.bgpStatus?.();
  }

  async hostWarnings(config: ApplianceConfig): Promise<ConfigWarning[]> {
    const warnings: ConfigWarning[] = [];
    const warn = (code: ConfigWarning['code'], field: string, message: string): void => {
      warnings.push({ code, field, message: `${field}: ${message}` });
    };
    for (const [part, name] of [
      ['layer4', 'Layer 4'],
      ['layer7', 'Layer 7'],
    ] as const) {
      const probe = this.probes.get(part);
      if (probe === undefined || probe.available) continue;
      const because = `${name} is unavailable on this host, because ${probe.detail ?? 'its probe failed'}: stored, but it carries no traffic here`;
      for (let i = 0; i < config[part].length; i++) warn('HOST_PART_UNAVAILABLE', `${part}[${i}]`, because);
      if (part !== 'layer7') continue;
      for (let i = 0; i < config.ssl.length; i++) warn('HOST_PART_UNAVAILABLE', `ssl[${i}]`, because);
    }
    const cluster = config.cluster;
    if (cluster?.mode === 'ecmp' && !cluster.nodes.some((node) => node.name === this.nodeName)) {
      // The BGP part would fail at apply: say so to the write that stores it.
      warn(
        'HOST_NODE_UNLISTED',
        'cluster.nodes',
        `this node is "${this.nodeName}" (SLUICE_NODE_NAME), which no node has as its name: it announces no VIP; list it or set its name`,
      );
    }
    const addresses = this.drivers.addresses;
    if (addresses?.unplaced && this.probes.get('addresses')?.available) {
      const unplaced = new Set(await addresses.unplaced(config));
      const problem =
        'no interface holds its network, so it is not added to this host; give it a floating IP with an interface';
      config.floatingIps.forEach((f, i) => {
        if (unplaced.has(f.address))
          warn('HOST_ADDRESS_UNPLACED', `floatingIps[${i}].address`, `${f.address}: ${problem}`);
      });
      for (const layer of ['layer4', 'layer7', 'ssl'] as const) {
        config[layer].forEach((s, i) => {
          if (unplaced.has(s.vip)) warn('HOST_ADDRESS_UNPLACED', `${layer}[${i}].vip`, `${s.vip}: ${problem}`);
        });
      }
    }
    return warnings;
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async connections(): Promise<Layer4Connection[]> {
    const driver = this.drivers.layer4;
    if (!driver?.connections || !this.probes.get('layer4')?.available) return [];
    return driver.connections();
  }

  async layer7Stats(): Promise<Layer7StatRow[]> {
    const driver = this.drivers.layer7;
    if (!driver?.stats || !this.probes.get('layer7')?.available) return [];
    return driver.stats();
  }

  metrics(): EngineMetrics {
    const available = (part: EnginePart) => this.probes.get(part)?.available === true;
    return {
      ipvs: available('layer4') ? this.drivers.layer4?.lastTable?.() : undefined,
      haproxy: available('layer7') ? this.drivers.layer7?.lastStatRows?.() : undefined,
      applySeconds: this.applySeconds,
      applyFailures: this.applyFailures,
      healthChecks: this.drivers.health?.checkLatencies?.() ?? [],
    };
  }

  /** Resolves once every queued apply has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The sync daemon's state; where IPVS itself is unavailable, a configured one is too, for the same reason. */
  private connectionSync(): ConnectionSyncStatus | undefined {
    const driver = this.drivers.layer4;
    if (!driver?.connectionSync) return undefined;
    const layer4 = this.parts.get('layer4');
    const config = this.version?.config;
    if (layer4?.state === 'unavailable' && config && desiredSyncDaemons(config, this.active).length > 0) {
      return { state: 'unavailable', detail: `connection sync: ${layer4.detail ?? 'IPVS is unavailable'}` };
    }
    return driver.connectionSync();
  }

  private partList(): PartStatus[] {
    return ORDER.map((p) => this.parts.get(p) as PartStatus);
  }

  private healthOf(ref: RealServerRef): HealthState {
    if (ref.layer === 'layer4') return this.health?.stateOf(ref)?.state ?? 'unchecked';
    return this.observed.get(serverKey(ref))?.health ?? 'unchecked';
  }

  private runtimeChange(ref: { layer: Layer; service: string }, parts: EnginePart[]): void {
    this.statesRevision++;
    if (!this.version) return;
    // ECMP: a server's state decides whether this node announces its VIP.
    if (clusterMode(this.version.config) === 'ecmp') parts = [...parts, 'bgp'];
    const scope = new Map([[`${ref.layer}/${ref.service}`, { layer: ref.layer, service: ref.service }]]);
    void this.enqueue({ full: false, parts: new Set(parts), scope });
  }

  private healthTransition(t: HealthTransition): void {
    const level = t.state === 'down' ? 'warn' : 'info';
    this.options.logs.write(
      'health',
      level,
      `${t.ref.server} of ${t.ref.layer} service ${t.ref.service} is ${t.state}${t.reason ? `: ${t.reason}` : ''}`,
      { service: t.ref.service, server: t.ref.server, state: t.state, reason: t.reason ?? null },
    );
    this.runtimeChange(t.ref, ['layer4']);
    this.emitStatus();
  }

  private enqueue(request: Request): Promise<ApplyReport> {
    return new Promise((resolve) => {
      if (this.pending) {
        merge(this.pending.request, request);
        this.pending.waiters.push(resolve);
      } else {
        this.pending = { request, waiters: [resolve] };
      }
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = (async () => {
      while (this.pending) {
        const { request, waiters } = this.pending;
        this.pending = undefined;
        const report = await this.foreground.run(() => this.run(request));
        for (const w of waiters) w(report);
      }
    })().finally(() => {
      this.running = undefined;
      // An apply queued between the loop's end and this point would otherwise wait forever.
      if (this.pending) this.kick();
    });
  }

  private async probe(part: EnginePart, driver: PartDriver, full: boolean): Promise<ProbeResult> {
    const known = this.probes.get(part);
    // A part that was unavailable is asked again at each full apply (a module loaded, HAProxy installed).
    if (known && (known.available || !full)) return known;
    let result: ProbeResult;
    try {
      result = await driver.probe();
    } catch (error) {
      result = { available: false, detail: message(error) };
    }
    this.probes.set(part, result);
    return result;
  }

  private async run(request: Request): Promise<ApplyReport> {
    const version = this.version as StoredVersion;
    const input: DesiredInput = {
      version: version.version,
      config: version.config,
      server: (ref) => ({ admin: this.options.adminStates.get(ref), health: this.healthOf(ref) }),
      statesRevision: () => this.statesRevision,
      active: this.active,
      ...(request.full ? {} : { scope: [...request.scope.values()] }),
      partState: (part) => this.parts.get(part)?.state,
    };
    const changes: string[] = [];
    let changeCount = 0;
    const took = new Map<EnginePart, number>();
    // Probed together (a probe may start a program, as HAProxy's version check): each part
    // then waits only for its own, while the parts before it apply.
    const probes = new Map<EnginePart, Promise<ProbeResult>>();
    for (const part of ORDER) {
      const driver = this.drivers[part];
      if (driver && (request.full || request.parts.has(part))) probes.set(part, this.probe(part, driver, request.full));
    }
    for (const part of ORDER) {
      if (!request.full && !request.parts.has(part)) continue;
      const driver = this.drivers[part];
      if (!driver) {
        this.parts.set(part, {
          part,
          state: 'unavailable',
          detail: `no ${part} driver in this daemon`,
        });
        continue;
      }
      const started = performance.now();
      const probe = await (probes.get(part) as Promise<ProbeResult>);
      if (!probe.available) {
        this.parts.set(part, { part, state: 'unavailable', detail: probe.detail });
        continue;
      }
      // Timed from after the probe: the apply itself, as the metric's name says.
      const applying = performance.now();
      try {
        const result = await driver.apply(input);
        took.set(part, performance.now() - started);
        this.applySeconds.get(part)?.observe((performance.now() - applying) / 1000);
        // The health part starts and stops checks without transitions: states may differ now.
        const count = result.count ?? result.changes.length;
        if (part === 'health' && count > 0) this.statesRevision++;
        this.parts.set(part, {
          part,
          state: 'applied',
          ...(result.detail ? { detail: result.detail } : {}),
          appliedAt: this.now().toISOString(),
        });
        this.logChanges(part, result.changes, count, version.version);
        if (result.detail) this.options.logs.write(CHANNEL[part], 'warn', `${part}: ${result.detail}`);
        changes.push(...result.changes.slice(0, LISTED_CHANGES));
        changeCount += count;
      } catch (error) {
        this.applySeconds.get(part)?.observe((performance.now() - applying) / 1000);
        this.applyFailures.set(part, (this.applyFailures.get(part) ?? 0) + 1);
        const previous = this.parts.get(part);
        this.parts.set(part, {
          part,
          state: 'failed',
          detail: message(error),
          ...(previous?.appliedAt ? { appliedAt: previous.appliedAt } : {}),
        });
        this.options.logs.write(
          CHANNEL[part],
          'error',
          `${part}: applying version ${version.version} failed: ${message(error)}`,
          {
            version: version.version,
          },
        );
      }
    }
    if (request.full) {
      // How long each part took: a slow apply says where.
      const states = this.partList()
        .map((p) => {
          const ms = took.get(p.part);
          return `${p.part} ${p.state}${ms === undefined ? '' : ` in ${(ms / 1000).toFixed(2)} s`}`;
        })
        .join(', ');
      this.options.logs.write(
        'system',
        'info',
        `engine: applied version ${version.version} (${changeCount} changes; ${states})`,
        {
          version: version.version,
          changes: changeCount,
        },
      );
    }
    // Every part has had its try at this version: the node runs it (a failed part says so itself).
    if (request.full) this.appliedVersion = version.version;
    // Live views hear of it right after the callers of apply, whose wait it must not lengthen,
    // with the observations refreshed, as the apply changed them (Layer 4 updates its last
    // reading with what it applied, without a dump).
    setImmediate(() => {
      const observing = (this.options.observeIntervalMs ?? 2000) > 0 && this.started;
      void (observing ? this.refreshObservations(true) : Promise.resolve()).finally(() => this.emitStatus());
    });
    return { version: version.version, parts: this.partList(), changes, changeCount };
  }

  /** The first change lines, then how many more (an apply can have tens of thousands). */
  private logChanges(part: EnginePart, changes: readonly string[], count: number, version: number): void {
    const channel = CHANNEL[part];
    const level = part === 'health' ? 'debug' : 'info';
    const listed = Math.min(count, LISTED_CHANGES, changes.length);
    for (let i = 0; i < listed; i++) this.options.logs.write(channel, level, changes[i] as string, { version });
    if (count > listed) {
      this.options.logs.write(channel, level, `${part}: ... and ${count - listed} more changes`, {
        version,
      });
    }
  }

  /** Out-of-band changes (ipvsadm, ip addr) are put back, each with a warning. */
  async checkDrift(): Promise<string[]> {
    if (this.drifting || !this.version) return [];
    this.drifting = true;
    const repaired: string[] = [];
    try {
      for (const part of ORDER) {
        const driver = this.drivers[part];
        if (!driver?.drift || this.parts.get(part)?.state !== 'applied') continue;
        try {
          const lines = await driver.drift();
          for (const line of lines) {
            this.options.logs.write(CHANNEL[part], 'warn', `drift: changed outside the appliance, put back: ${line}`);
          }
          repaired.push(...lines);
        } catch (error) {
          this.options.logs.write(CHANNEL[part], 'error', `drift: checking ${part} failed: ${message(error)}`);
        }
      }
    } finally {
      this.drifting = false;
    }
    if (repaired.length > 0) this.emitStatus();
    return repaired;
  }

  /**
   * Reads connection counters and weights from every available part. Listeners hear of it
   * when the figures changed; `afterApply`: the apply that asked tells them itself.
   */
  async refreshObservations(afterApply = false): Promise<void> {
    if (this.observing || !this.version) return;
    this.observing = true;
    try {
      for (const part of ORDER) {
        const driver = this.drivers[part];
        if (!driver || !this.probes.get(part)?.available) continue;
        try {
          this.observations.set(part, await driver.observe(afterApply ? { afterApply } : undefined));
        } catch {
          // An unreadable part keeps its last figures; its apply status says what is wrong.
        }
      }
    } finally {
      this.observing = false;
    }
    this.layer7HealthChanged();
    if (afterApply) return;
    const print = this.observationPrint();
    if (print !== this.printed) this.emitStatus(print);
  }

  /**
   * A number that changes, all but surely, when any observed figure changes: comparing it
   * costs a pass over numbers, where comparing statuses cost serialising megabytes. The set
   * of servers only changes with an apply, which tells the listeners itself.
   */
  private layer7HealthChanged(): void {
    const config = this.version?.config;
    if (!config || clusterMode(config) !== 'ecmp' || config.layer7.length === 0) return;
    let print = 0;
    for (const [key, o] of this.observations.get('layer7')?.entries() ?? []) {
      if (o.health !== undefined) print = (print + textPrint(`${key} ${o.health}`)) | 0;
    }
    if (print === this.layer7Health) return;
    // HAProxy checks Layer 7 itself, without transitions: a changed health may change what is announced.
    const first = Number.isNaN(this.layer7Health);
    this.layer7Health = print;
    if (!first) void this.enqueue({ full: false, parts: new Set(['bgp']), scope: new Map() });
  }

  private observationPrint(): number {
    let print = 0;
    for (const map of this.observations.values()) {
      for (const o of map.values()) {
        let h = Math.imul(o.activeConnections | 0, 0x9e3779b1) ^ Math.imul(o.inactiveConnections | 0, 0x85ebca6b);
        h ^= Math.imul(o.effectiveWeight | 0, 0xc2b2ae35) ^ Math.imul((o.bytesIn % 0x7fffffff) | 0, 0x27d4eb2f);
        h ^= Math.imul((o.bytesOut % 0x7fffffff) | 0, 0x165667b1);
        if (o.health !== undefined) h ^= textPrint(o.health) ^ Math.imul(textPrint(o.healthReason ?? ''), 31);
        print = (print + (h ^ (h >>> 15))) | 0;
      }
    }
    return print;
  }

  /**
   * Tells the live views that the status changed; they read status() when they need it.
   * `print`: the observations' print it was sent for (none: the next refresh tells again).
   */
  private emitStatus(print = Number.NaN): void {
    this.printed = print;
    for (const listener of this.statusListeners) {
      try {
        listener();
      } catch (error) {
        this.options.logs.write('system', 'error', `engine: a status listener failed: ${message(error)}`);
      }
    }
  }
}

export function createEngine(options: EngineOptions): ApplianceEngine {
  return new ApplianceEngine(options);
}
