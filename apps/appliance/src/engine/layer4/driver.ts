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
import type { Layer4Connection, RealServerRef } from '../../daemon/interfaces.js';
import { ApplianceError } from '../../errors.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { serverKey } from '../driver.js';
import { desiredLayer4, type Layer4Desired } from './desired.js';

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
  private desired: Layer4Desired | undefined;
  private lastInput: DesiredInput | undefined;
  /** Bumped by every write, so a drift dump taken during a write is thrown away. */
  private generation = 0;
  private readonly mutex = new Mutex();
  private observed: { at: number; table: ServiceWithDestinations[] } | undefined;
  private reading: Promise<ServiceWithDestinations[]> | undefined;

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

  apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.mutex.run(async () => {
      const client = await this.writerClient();
      const only = input.scope
        ? new Set(input.scope.filter((s) => s.layer === 'layer4').map((s) => s.service))
        : undefined;
      const scoped = only !== undefined && this.model !== undefined && this.desired !== undefined;
      const desired = desiredLayer4(input.config, input.server, scoped ? only : undefined);
      this.model ??= new Map((await client.list()).map((s) => [serviceId(s), s]));
      let p: Plan;
      if (scoped) {
        const ids = new Set(desired.services.map((s) => serviceId(s)));
        // The services of these labels before: a scoped change never adds or removes services.
        const before = [...(this.desired?.labels ?? [])].filter(([, label]) => only.has(label)).map(([id]) => id);
        const actual = before.flatMap((id) =>
          this.model?.get(id) ? [this.model.get(id) as ServiceWithDestinations] : [],
        );
        p = plan(desired.services, actual, { owns: 'declared' });
        for (const id of before) if (!ids.has(id)) this.model.delete(id);
      } else {
        p = plan(desired.services, [...this.model.values()], { owns: 'all' });
      }
      this.generation++;
      const report = p.items.length > 0 ? await applyPlan(client, p) : { failed: 0, results: [] };
      this.lastInput = input;
      if (scoped && this.desired) {
        for (const [k, v] of desired.owners) this.desired.owners.set(k, v);
        const byId = new Map(this.desired.services.map((s) => [serviceId(s), s]));
        for (const s of desired.services) {
          byId.set(serviceId(s), s);
          this.model.set(serviceId(s), asActual(s));
        }
        this.desired.services = [...byId.values()];
      } else {
        this.desired = desired;
        this.model = new Map(desired.services.map((s) => [serviceId(s), asActual(s)]));
      }
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

  private read(): Promise<ServiceWithDestinations[]> {
    this.reading ??= (async () => {
      try {
        this.reader ??= await this.open();
        const table = await this.reader.list();
        this.observed = { at: Date.now(), table };
        return table;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** The kernel against what was last applied; differences are put back and named. */
  async drift(): Promise<string[]> {
    if (!this.lastInput || !this.desired) return [];
    const generation = this.generation;
    const table = await this.read();
    return this.mutex.run(async () => {
      // A write ran while we read: the dump may hold half of it; the next round looks again.
      if (generation !== this.generation || !this.desired) return [];
      const p = plan(this.desired.services, table, { owns: 'all' });
      if (p.items.length === 0) return [];
      this.generation++;
      const client = await this.writerClient();
      const report = await applyPlan(client, p);
      this.model =
        report.failed > 0 ? undefined : new Map(this.desired.services.map((s) => [serviceId(s), asActual(s)]));
      return planLines(p);
    });
  }

  async observe(): Promise<Map<string, ServerObservation>> {
    const maxAge = this.options.observeMaxAgeMs ?? 1000;
    const table = this.observed && Date.now() - this.observed.at < maxAge ? this.observed.table : await this.read();
    const out = new Map<string, ServerObservation>();
    const owners = this.desired?.owners;
    if (!owners) return out;
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
    for (const s of this.desired?.services ?? []) {
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
    return this.desired?.owners.get(`${service} ${destination}`);
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
