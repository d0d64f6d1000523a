/** Fakes of the engine's neighbours for unit tests: admin states, log book, drivers, a version. */

import type { AdminStates } from '../../src/admin-states/contract.js';
import { BgpDriver } from '../../src/engine/bgp/driver.js';
import type {
  DesiredInput,
  PartApplyResult,
  PartDriver,
  ProbeResult,
  ServerObservation,
} from '../../src/engine/driver.js';
import type { HealthSource, HealthTransition } from '../../src/engine/health/bridge.js';
import type { LogBook } from '../../src/logs/contract.js';
import type { AdminState, AdminStateEntry, RealServerRef } from '../../src/model/admin-state.js';
import type { EnginePart, HealthState } from '../../src/model/engine-status.js';
import type { LogRecord } from '../../src/model/log-record.js';
import { type ApplianceConfigInput, configSchema } from '../../src/model/schema.js';
import type { StoredVersion } from '../../src/store/config-store.js';

export function version(n: number, config: ApplianceConfigInput): StoredVersion {
  return {
    version: n,
    author: 'test',
    time: '2026-01-01T00:00:00.000Z',
    comment: '',
    config: configSchema.parse(config),
  };
}

const key = (r: RealServerRef) => `${r.layer}/${r.service}/${r.server}`;

export class FakeAdminStates implements AdminStates {
  private readonly entries = new Map<string, AdminStateEntry>();
  private readonly listeners = new Set<(e: AdminStateEntry) => void>();
  get(ref: RealServerRef): AdminState {
    return this.entries.get(key(ref))?.state ?? 'online';
  }
  list(): readonly AdminStateEntry[] {
    return [...this.entries.values()];
  }
  async set(ref: RealServerRef, state: AdminState, author: string): Promise<AdminStateEntry> {
    const entry = { ...ref, state, author, time: '2026-01-01T00:00:00.000Z' };
    this.entries.set(key(ref), entry);
    for (const l of this.listeners) l(entry);
    return entry;
  }
  async replaceAll(entries: readonly AdminStateEntry[]): Promise<void> {
    this.entries.clear();
    for (const e of entries) this.entries.set(key(e), e);
  }
  onChange(listener: (entry: AdminStateEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class MemoryLogBook implements LogBook {
  readonly records: LogRecord[] = [];
  write(
    channel: LogRecord['channel'],
    level: LogRecord['level'],
    message: string,
    fields?: LogRecord['fields'],
  ): LogRecord {
    const record: LogRecord = {
      seq: this.records.length + 1,
      time: '2026-01-01T00:00:00.000Z',
      channel,
      level,
      message,
      ...(fields ? { fields } : {}),
    };
    this.records.push(record);
    return record;
  }
  query(): LogRecord[] {
    return [...this.records];
  }
  follow(): () => void {
    return () => undefined;
  }
  on(channel: LogRecord['channel'], level?: LogRecord['level']): string[] {
    return this.records.filter((r) => r.channel === channel && (!level || r.level === level)).map((r) => r.message);
  }
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A driver that records what it was asked, with switchable availability, failures and pauses. */
export class FakeDriver implements PartDriver {
  readonly part: EnginePart;
  readonly inputs: DesiredInput[] = [];
  /** The weight each layer-4 server would get, per apply (what a real driver computes). */
  readonly seen: Record<string, { admin: AdminState; health: HealthState }>[] = [];
  probeResult: ProbeResult = { available: true };
  failWith: Error | undefined;
  gate: Deferred | undefined;
  observations = new Map<string, ServerObservation>();
  driftLines: string[] = [];
  detail: string | undefined;
  stopped = false;

  constructor(part: EnginePart) {
    this.part = part;
  }
  async probe(): Promise<ProbeResult> {
    return this.probeResult;
  }
  async apply(input: DesiredInput): Promise<PartApplyResult> {
    this.inputs.push(input);
    const seen: Record<string, { admin: AdminState; health: HealthState }> = {};
    for (const s of input.config.layer4) {
      for (const r of s.realServers) {
        const ref = { layer: 'layer4' as const, service: s.label, server: r.label };
        seen[key(ref)] = input.server(ref);
      }
    }
    this.seen.push(seen);
    if (this.gate) await this.gate.promise;
    if (this.failWith) throw this.failWith;
    return {
      changes: [`${this.part}: applied version ${input.version}`],
      ...(this.detail ? { detail: this.detail } : {}),
    };
  }
  async observe(): Promise<Map<string, ServerObservation>> {
    return this.observations;
  }
  /** What each announce() asked for. */
  readonly announced: ('all' | 'pending')[] = [];
  async announce(which: 'all' | 'pending'): Promise<void> {
    this.announced.push(which);
  }
  async drift(): Promise<string[]> {
    const lines = this.driftLines;
    this.driftLines = [];
    return lines;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export class FakeHealth extends FakeDriver implements HealthSource {
  private readonly states = new Map<string, { state: HealthState; reason?: string }>();
  private readonly listeners = new Set<(t: HealthTransition) => void>();
  constructor() {
    super('health');
  }
  stateOf(ref: RealServerRef): { state: HealthState; reason?: string } | undefined {
    return this.states.get(key(ref));
  }
  onTransition(listener: (t: HealthTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  transition(t: HealthTransition): void {
    this.states.set(key(t.ref), t.reason ? { state: t.state, reason: t.reason } : { state: t.state });
    for (const l of this.listeners) l(t);
  }
}

export function fakeDrivers() {
  return {
    health: new FakeHealth(),
    addresses: new FakeDriver('addresses'),
    layer4: new FakeDriver('layer4'),
    layer7: new FakeDriver('layer7'),
    // The real part: outside ECMP it does nothing, and it must stay so for every pair test.
    bgp: new BgpDriver({
      dir: '/nonexistent/bird',
      nodeName: 'lb1',
      reapply: () => undefined,
      probe: () => ({ available: true }),
      killLeftover: async () => false,
      start: () => Promise.reject(new Error('no BIRD in unit tests')),
    }),
  };
}

/** Two Layer 4 services: web (alpha, bravo) with a check and a fallback, dns (charlie). */
export function twoServices(): ApplianceConfigInput {
  return {
    healthChecks: [{ label: 'tcp', type: 'connect' }],
    layer4: [
      {
        label: 'web',
        vip: '192.0.2.10',
        ports: [80],
        forwarding: 'nat',
        healthCheck: 'tcp',
        fallback: { address: '192.0.2.200', port: 8080 },
        realServers: [
          { label: 'alpha', address: '198.51.100.11', port: 8080, weight: 3 },
          { label: 'bravo', address: '198.51.100.12', port: 8080 },
        ],
      },
      {
        label: 'dns',
        vip: '192.0.2.11',
        ports: [53],
        protocol: 'udp',
        realServers: [{ label: 'charlie', address: '192.0.2.53' }],
      },
    ],
  };
}

/** An HA pair's heartbeat section, with the connection sync given (absent: none). */
export function pairHeartbeat(
  connectionSync?: NonNullable<ApplianceConfigInput['heartbeat']>['connectionSync'],
  enabled = true,
): Pick<ApplianceConfigInput, 'heartbeat'> {
  return {
    heartbeat: {
      enabled,
      peer: { name: 'lb2', address: '192.0.2.3' },
      links: [{ interface: 'eth0' }],
      key: 'a-heartbeat-key-of-16+',
      ...(connectionSync ? { connectionSync } : {}),
    },
  };
}
