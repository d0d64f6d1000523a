/**
 * The Layer 4 part: the configuration's virtual services as IPVS services in the kernel.
 * The engine owns the whole IPVS table of its namespace: what nobody declared is removed.
 */
import {
  apply as applyPlan,
  type Connection,
  type DesiredService,
  type Destination,
  destinationId,
  formatPlan,
  IpvsClient,
  IpvsError,
  type Plan,
  plan,
  type ServiceWithDestinations,
  serviceId,
} from '@sluice/ipvs';
import type { Layer4Service } from '../../config/schema.js';
import type { Layer4Connection, RealServerRef } from '../../daemon/interfaces.js';
import { ApplianceError } from '../../errors.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { serverKey } from '../driver.js';
import { desiredService, sameValue, serverStates } from './desired.js';

interface LabelState {
  /** The configured service as last applied (stored versions are frozen: safe to keep). */
  service: Layer4Service;
  states: string;
  /** The engine's states revision when `states` was read (undefined: unknown). */
  revision: number | undefined;
  services: DesiredService[];
  owners: [string, RealServerRef][];
}

export interface Layer4DriverOptions {
  /** A named network namespace for IPVS; default this process's. */
  netns?: string;
  /** Opens IPVS clients (tests); default `IpvsClient.open`. */
  open?: (options: { netns?: string }) => Promise<IpvsClient>;
  /** Observations older than this are read again (ms). */
  observeMaxAgeMs?: number;
}

export const ARP_HINT =
  'SYN_RECV on a DR/TUN service: the real server answers ARP for the VIP or lacks it on lo/tunl0; run `sluice-arp-fix` on the real server';

const zeroStats = {
  connections: 0n,
  inPackets: 0n,
  outPackets: 0n,
  inBytes: 0n,
  outBytes: 0n,
  connectionRate: 0,
  inPacketRate: 0,
  outPacketRate: 0,
  inByteRate: 0,
  outByteRate: 0,
};

/** What the kernel holds after a successful apply of `desired`, in the form `plan()` compares. */
function asActual(service: DesiredService): ServiceWithDestinations {
  const family = service.fwmark !== undefined ? service.family : service.address.includes(':') ? 6 : 4;
  const { destinations, ...spec } = service;
  return {
    ...spec,
    scheduler: spec.scheduler ?? 'wlc',
    family,
    flags: 0,
    stats: zeroStats,
    destinations: destinations.map(
      (d): Destination => ({
        ...d,
        forwarding: d.forwarding ?? 'dr',
        weight: d.weight ?? 1,
        upperThreshold: d.upperThreshold ?? 0,
        lowerThreshold: d.lowerThreshold ?? 0,
        family: d.address.includes(':') ? 6 : 4,
        activeConnections: 0,
        inactiveConnections: 0,
        persistentConnections: 0,
        stats: zeroStats,
      }),
    ),
  };
}

function planLines(p: Plan): string[] {
  return p.items.map((item) => `layer4: ${formatPlan({ items: [item] })}`);
}

/** Serialises the driver's writes (apply, drift repair) without blocking its reads. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class Layer4Driver implements PartDriver {
  readonly part = 'layer4' as const;
  private readonly options: Layer4DriverOptions;
  /** Writes go on one socket; dumps (drift, observations) on another, so an edit never waits behind a dump. */
  private writer: IpvsClient | undefined;
  private reader: IpvsClient | undefined;
  /** What the kernel holds, as far as our own applies know: serviceId -> service. undefined: read it. */
  private model: Map<string, ServiceWithDestinations> | undefined;
  /** Per configured service: what it was and its IPVS services, as last applied. */
  private readonly byLabel = new Map<string, LabelState>();
  private servicesCache: DesiredService[] | undefined;
  private ownersCache: Map<string, RealServerRef> | undefined;
  /** Bumped by every write, so a drift dump taken during a write is thrown away. */
  private generation = 0;
  private readonly mutex = new Mutex();
  private observed: { at: number; table: ServiceWithDestinations[] } | undefined;
  /** A dump in flight, shared by drift and observations, with the write generation it started in. */
  private reading: Promise<{ table: ServiceWithDestinations[]; generation: number }> | undefined;

  constructor(options: Layer4DriverOptions = {}) {
    this.options = options;
  }

  private open(): Promise<IpvsClient> {
    const options = this.options.netns ? { netns: this.options.netns } : {};
    return this.options.open ? this.options.open(options) : IpvsClient.open(options);
  }

  private async writerClient(): Promise<IpvsClient> {
    this.writer ??= await this.open();
    return this.writer;
  }

  async probe(): Promise<ProbeResult> {
    try {
      const client = await this.writerClient();
      await client.info();
      return { available: true };
    } catch (error) {
      this.writer?.close();
      this.writer = undefined;
      const fix =
        error instanceof IpvsError && error.code === 'IPVS_PERMISSION'
          ? ' (run the appliance as root or with CAP_NET_ADMIN)'
          : '';
      return { available: false, detail: `IPVS: ${error instanceof Error ? error.message : String(error)}${fix}` };
    }
  }

  /** Every IPVS service the configuration stands for, as last applied. */
  private allServices(): DesiredService[] {
    this.servicesCache ??= [...this.byLabel.values()].flatMap((l) => l.services);
    return this.servicesCache;
  }

  private owners(): Map<string, RealServerRef> {
    this.ownersCache ??= new Map([...this.byLabel.values()].flatMap((l) => l.owners));
    return this.ownersCache;
  }

  /**
   * Plans only the services whose configuration or server states changed since the last
   * apply (compared field by field): a one-server change in a table of thousands is one
   * edit, planned in microseconds. The first apply (and any after a failure) reads the
   * kernel and plans the whole table, owning it: what nobody declared is removed.
   */
  apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.mutex.run(async () => {
      const client = await this.writerClient();
      const fresh = this.model === undefined;
      if (!this.model) {
        const table = await client.list();
        this.model = new Map(table.map((s) => [serviceId(s), s]));
        // As good a reading as the observation timer's: the status after this apply needs no second dump.
        this.observed = { at: Date.now(), table };
        this.byLabel.clear();
      }
      const model = this.model;
      const only =
        input.scope && !fresh
          ? new Set(input.scope.filter((s) => s.layer === 'layer4').map((s) => s.service))
          : undefined;
      const revision = input.statesRevision?.();
      const changed = new Map<string, LabelState>();
      // Plain loops and no per-service garbage for the unchanged thousands: this runs at every apply.
      let kept = 0;
      const layer4 = input.config.layer4;
      for (let index = 0; index < layer4.length; index++) {
        const service = layer4[index] as Layer4Service;
        const label = service.label;
        const before = this.byLabel.get(label);
        if (before !== undefined) kept++;
        if (only && !only.has(label)) continue;
        // The very same (frozen) service, and no admin or health state changed since: nothing to do.
        if (before?.service === service && revision !== undefined && before.revision === revision) continue;
        const states = serverStates(service, input.server);
        if (before && before.states === states && sameValue(before.service, service)) {
          before.service = service;
          before.revision = revision;
          continue;
        }
        changed.set(label, {
          service,
          states,
          revision,
          ...desiredService(service, `layer4[${index}]`, input.server),
        });
      }
      let removed: string[] = [];
      if (!only && kept !== this.byLabel.size) {
        const configured = new Set(layer4.map((s) => s.label));
        removed = [...this.byLabel.keys()].filter((label) => !configured.has(label));
      }
      const desired = [...changed.values()].flatMap((l) => l.services);
      // The kernel's side of the changed services: what they had, and anything now in their place.
      const relevant = new Set(desired.map((s) => serviceId(s)));
      for (const label of [...changed.keys(), ...removed]) {
        for (const s of this.byLabel.get(label)?.services ?? []) relevant.add(serviceId(s));
      }
      const actual = fresh
        ? [...model.values()]
        : [...relevant].flatMap((id) => {
            const s = model.get(id);
            return s ? [s] : [];
          });
      const p = plan(desired, actual, { owns: 'all' });
      this.generation++;
      const report = p.items.length > 0 ? await applyPlan(client, p) : { failed: 0, results: [] };
      if (fresh) model.clear();
      for (const id of relevant) model.delete(id);
      for (const s of desired) model.set(serviceId(s), asActual(s));
      // After a refusal the kernel holds something else than planned: the next observation reads it.
      if (report.failed > 0) this.observed = undefined;
      else this.observeApplied(relevant, desired);
      for (const label of removed) this.byLabel.delete(label);
      for (const [label, state] of changed) this.byLabel.set(label, state);
      this.servicesCache = undefined;
      this.ownersCache = undefined;
      const changes = planLines(p);
      if (report.failed > 0) {
        // The kernel holds something else than we think: read it again next time.
        this.model = undefined;
        const failures = report.results.filter((r) => r.error).map((r) => r.error?.message ?? '');
        throw new ApplianceError(
          'ENGINE_APPLY_FAILED',
          `IPVS refused ${report.failed} of ${p.items.length} changes: ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; ...' : ''}`,
          { cause: report.results.find((r) => r.error)?.error },
        );
      }
      return { changes };
    });
  }

  private read(): Promise<{ table: ServiceWithDestinations[]; generation: number }> {
    this.reading ??= (async () => {
      const generation = this.generation;
      try {
        this.reader ??= await this.open();
        const table = await this.reader.list();
        // A dump begun before a write would hide what that write applied: not kept as the reading.
        if (generation === this.generation) this.observed = { at: Date.now(), table };
        return { table, generation };
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** The kernel against what was last applied; differences are put back and named. */
  async drift(): Promise<string[]> {
    if (this.byLabel.size === 0 || !this.model) return [];
    // The generation is the one the dump started in: a dump begun before a write is stale.
    const { table, generation } = await this.read();
    return this.mutex.run(async () => {
      // A write ran while we read: the dump may hold half of it; the next round looks again.
      if (generation !== this.generation || !this.model) return [];
      const desired = this.allServices();
      const p = plan(desired, table, { owns: 'all' });
      if (p.items.length === 0) return [];
      this.generation++;
      const client = await this.writerClient();
      const report = await applyPlan(client, p);
      this.model = report.failed > 0 ? undefined : new Map(desired.map((s) => [serviceId(s), asActual(s)]));
      return planLines(p);
    });
  }

  /**
   * The last reading with an apply's services as applied: weights and destinations from
   * what the kernel acknowledged, counters kept from the reading. So the status shows a
   * change at once without a dump of the whole table after every apply (with thousands
   * of services, a dump costs far more than the change).
   */
  private observeApplied(relevant: ReadonlySet<string>, desired: readonly DesiredService[]): void {
    if (this.observed === undefined || relevant.size === 0) return;
    const before = new Map<string, ServiceWithDestinations>();
    const table: ServiceWithDestinations[] = [];
    for (const s of this.observed.table) {
      const id = serviceId(s);
      if (relevant.has(id)) before.set(id, s);
      else table.push(s);
    }
    for (const s of desired) {
      const applied = asActual(s);
      const read = new Map((before.get(serviceId(s))?.destinations ?? []).map((d) => [destinationId(d), d]));
      applied.destinations = applied.destinations.map((d) => {
        const old = read.get(destinationId(d));
        return old === undefined
          ? d
          : {
              ...d,
              activeConnections: old.activeConnections,
              inactiveConnections: old.inactiveConnections,
              persistentConnections: old.persistentConnections,
              stats: old.stats,
            };
      });
      table.push(applied);
    }
    this.observed = { at: this.observed.at, table };
  }

  async observe(options: { afterApply?: boolean } = {}): Promise<Map<string, ServerObservation>> {
    const maxAge = this.options.observeMaxAgeMs ?? 1000;
    // After an apply, the reading (however old: the timer reads again) with the apply in it.
    const fresh = this.observed && (options.afterApply || Date.now() - this.observed.at < maxAge);
    const table = fresh && this.observed ? this.observed.table : (await this.read()).table;
    const out = new Map<string, ServerObservation>();
    const owners = this.owners();
    for (const service of table) {
      const sid = serviceId(service);
      for (const d of service.destinations) {
        const ref = owners.get(`${sid} ${destinationId(d)}`);
        if (!ref) continue;
        const key = serverKey(ref);
        const o = out.get(key);
        const add = {
          activeConnections: d.activeConnections,
          inactiveConnections: d.inactiveConnections,
          bytesIn: Number(d.stats.inBytes),
          bytesOut: Number(d.stats.outBytes),
        };
        if (!o) out.set(key, { ...add, effectiveWeight: d.weight });
        else {
          o.activeConnections += add.activeConnections;
          o.inactiveConnections += add.inactiveConnections;
          o.bytesIn += add.bytesIn;
          o.bytesOut += add.bytesOut;
        }
      }
    }
    return out;
  }

  /** The connection table; SYN_RECV on DR/TUN services carries the ARP hint. */
  async connections(): Promise<Layer4Connection[]> {
    this.reader ??= await this.open();
    const rows: Connection[] = await this.reader.connections();
    const forwardingOf = new Map<string, string>();
    for (const s of this.allServices()) {
      if (s.fwmark === undefined)
        forwardingOf.set(`${s.protocol} ${destinationId(s)}`, s.destinations[0]?.forwarding ?? 'dr');
    }
    return rows.map((c) => {
      const synRecv = c.state === 'SYN_RECV';
      const forwarding = forwardingOf.get(`${c.protocol} ${destinationId(c.virtual)}`);
      const row: Layer4Connection = {
        protocol: c.protocol,
        client: destinationId(c.client),
        virtual: destinationId(c.virtual),
        destination: destinationId(c.destination),
        state: c.state,
        expiresSeconds: c.expires,
        synRecv,
      };
      if (synRecv && (forwarding === 'dr' || forwarding === 'tun')) row.hint = ARP_HINT;
      return row;
    });
  }

  /** The real server a destination stands for (tests, status). */
  ownerOf(service: string, destination: string): RealServerRef | undefined {
    return this.owners().get(`${service} ${destination}`);
  }

  async stop(): Promise<void> {
    await this.mutex.run(async () => undefined);
    this.writer?.close();
    this.reader?.close();
    this.writer = undefined;
    this.reader = undefined;
  }
}

export function createLayer4Driver(options: Layer4DriverOptions = {}): Layer4Driver {
  return new Layer4Driver(options);
}
