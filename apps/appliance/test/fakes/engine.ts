import type { AdminStates } from '../../src/admin-states/contract.js';
import type { Engine } from '../../src/engine/contract.js';
import { buildTerminations, serverColour, serviceColour } from '../../src/engine/status.js';
import type { EngineMetrics } from '../../src/metrics/engine-metrics.js';
import type { RealServerRef } from '../../src/model/admin-state.js';
import type {
  ApplyReport,
  EngineStatus,
  HealthState,
  Layer4Connection,
  Layer7StatRow,
  NodeHold,
  PartStatus,
  VirtualServiceStatus,
} from '../../src/model/engine-status.js';
import type { ApplianceConfig } from '../../src/model/schema.js';
import type { ConfigWarning } from '../../src/model/validate.js';
import type { StoredVersion } from '../../src/store/config-store.js';

interface Counters {
  activeConnections: number;
  inactiveConnections: number;
  bytesIn: number;
  bytesOut: number;
}

const key = (ref: RealServerRef) => `${ref.layer}/${ref.service}/${ref.server}`;

/**
 * An Engine for unit tests of the API and the UI: it applies nothing, but its status is
 * computed from the version it was last given, the admin states and the health and
 * counters a test sets, with the appliance's colour rules.
 */
export class FakeEngine implements Engine {
  applied: number[] = [];
  /** When set, apply() rejects with it. */
  failWith: Error | undefined;
  /** When set, apply() waits for this promise first. */
  gate: Promise<void> | undefined;
  connectionTable: Layer4Connection[] = [];
  layer7Rows: Layer7StatRow[] = [];
  /** What metrics() answers: the drivers' readings and distributions a test sets (none by default). */
  metricsReading: EngineMetrics = {
    applySeconds: new Map(),
    applyFailures: new Map(),
    healthChecks: [],
  };
  /** The parts status() reports (default: Layer 4 applied once a version is). */
  parts: PartStatus[] | undefined;
  /** What hostWarnings() answers for a configuration (the real engine reads the host). */
  hostWarningsOf: (config: ApplianceConfig) => ConfigWarning[] = () => [];
  /** What each announce() asked for, while active. */
  announcements: ('all' | 'pending')[] = [];
  private version: StoredVersion | undefined;
  private readonly health = new Map<string, HealthState>();
  private readonly counters = new Map<string, Counters>();
  private readonly listeners = new Set<() => void>();
  private active = true;
  /** What the last setNodeHold() asked for. */
  hold: NodeHold = { drain: false };

  constructor(private readonly adminStates?: AdminStates) {
    adminStates?.onChange(() => this.emit());
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async apply(version: StoredVersion): Promise<ApplyReport> {
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    this.version = version;
    this.applied.push(version.version);
    this.emit();
    return {
      version: version.version,
      parts: [{ part: 'layer4', state: 'applied', appliedAt: new Date(0).toISOString() }],
      changes: [`fake: version ${version.version}`],
      changeCount: 1,
    };
  }

  async setNodeHold(hold: NodeHold): Promise<void> {
    this.hold = { ...hold };
  }

  async setActive(active: boolean): Promise<void> {
    this.active = active;
  }

  async announce(which: 'all' | 'pending' = 'all'): Promise<void> {
    if (this.active) this.announcements.push(which);
  }

  isActive(): boolean {
    return this.active;
  }

  setHealth(ref: RealServerRef, state: HealthState): void {
    this.health.set(key(ref), state);
    this.emit();
  }

  setCounters(ref: RealServerRef, counters: Partial<Counters>): void {
    const current = this.counters.get(key(ref)) ?? {
      activeConnections: 0,
      inactiveConnections: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    this.counters.set(key(ref), { ...current, ...counters });
  }

  status(): EngineStatus {
    const config = this.version?.config;
    const services: VirtualServiceStatus[] = [];
    for (const layer of ['layer4', 'layer7'] as const) {
      for (const service of config?.[layer] ?? []) {
        const realServers = service.realServers.map((real) => {
          const ref = { layer, service: service.label, server: real.label };
          const admin = this.adminStates?.get(ref) ?? 'online';
          const health = this.health.get(key(ref)) ?? (service.healthCheck ? 'unknown' : 'unchecked');
          const counters = this.counters.get(key(ref)) ?? {
            activeConnections: 0,
            inactiveConnections: 0,
            bytesIn: 0,
            bytesOut: 0,
          };
          const up = health === 'up' || health === 'unchecked';
          return {
            label: real.label,
            address: real.address,
            port: real.port ?? null,
            admin,
            health,
            colour: serverColour(admin, health),
            weight: real.weight,
            effectiveWeight: admin === 'online' && up ? real.weight : 0,
            ...counters,
          };
        });
        const serving = realServers.some(
          (r) => r.admin === 'online' && (r.health === 'up' || r.health === 'unchecked'),
        );
        const colour = serviceColour(realServers, true);
        services.push({
          layer,
          label: service.label,
          vip: service.vip,
          ports: service.ports.map((p) => (typeof p === 'number' ? String(p) : `${p.from}-${p.to}`)),
          protocol: layer === 'layer4' ? (service as { protocol: string }).protocol : 'tcp',
          colour,
          fallbackActive: !serving && service.fallback !== undefined,
          realServers,
          connections: realServers.reduce((n, r) => n + r.activeConnections, 0),
          bytesIn: realServers.reduce((n, r) => n + r.bytesIn, 0),
          bytesOut: realServers.reduce((n, r) => n + r.bytesOut, 0),
        });
      }
    }
    return {
      version: this.version?.version ?? null,
      ...(this.version === undefined ? {} : { appliedVersion: this.version.version }),
      parts: this.parts ?? [{ part: 'layer4', state: this.version ? 'applied' : 'pending' }],
      services,
      terminations: buildTerminations({ ssl: config?.ssl ?? [] }, services),
    };
  }

  async hostWarnings(config: ApplianceConfig): Promise<ConfigWarning[]> {
    return this.hostWarningsOf(config);
  }

  onStatus(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) listener();
  }

  metrics(): EngineMetrics {
    return this.metricsReading;
  }

  async connections(): Promise<Layer4Connection[]> {
    return this.connectionTable;
  }

  async layer7Stats(): Promise<Layer7StatRow[]> {
    return this.layer7Rows;
  }
}
