/**
 * The Layer 4 part: the configuration's virtual services as IPVS services in the kernel.
 * With `ipvs.ownership: all` the engine owns the whole IPVS table of its namespace: what
 * nobody declared is removed. With `own` it owns only the services it declares or created
 * (ownership.ts): the kernel's view is cut down to those before planning, so that services
 * other tools added are never edited, deleted or counted as drift.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
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
  type PlanItem,
  plan,
  type ServiceWithDestinations,
  type ServiceWithSettings,
  serviceId,
  ZERO_STATS,
} from '@sluice/ipvs';
import { ApplianceError } from '../../errors.js';
import type { RealServerRef } from '../../model/admin-state.js';
import type { ConnectionSyncStatus, Layer4Connection } from '../../model/engine-status.js';
import { clusterMode, type IpvsOwnership, ipvsOwnership, type Layer4Service } from '../../model/schema.js';
import { serial } from '../../serial.js';
import {
  type DesiredInput,
  LISTED_CHANGES,
  type Observations,
  type PartApplyResult,
  type PartDriver,
  type ProbeResult,
} from '../driver.js';
import { ConnectionSyncDaemons, desiredSyncDaemons } from './connection-sync.js';
import { desiredService, sameValue, serverStates } from './desired.js';
import { Layer4Observations } from './observations.js';
import { type OwnedRecord, Ownership, ownedRecordInMemory } from './ownership.js';
import { namespaceSysctl, type Sysctl } from './sysctl.js';

interface LabelState {
  /** The configured service as last applied (stored versions are frozen: safe to keep). */
  service: Layer4Service;
  states: string;
  /** The engine's states revision when `states` was read (undefined: unknown). */
  revision: number | undefined;
  services: DesiredService[];
  owners: [string, RealServerRef][];
  /** The write generation that applied it. */
  generation: number;
}

export interface Layer4DriverOptions {
  /** A named network namespace for IPVS; default this process's. */
  netns?: string;
  /** Opens IPVS clients (tests); default `IpvsClient.open`. */
  open?: (options: { netns?: string }) => Promise<IpvsClient>;
  /** Observations older than this are read again (ms). */
  observeMaxAgeMs?: number;
  /**
   * Awaited between slices of the work on the whole table (readings, drift checks)
   * [a turn of the event loop]; the engine's holds them while a write is in flight.
   */
  pause?: () => Promise<void>;
  /** Told when the connection sync daemon cannot run as the role asks (once per new problem). */
  warn?: (message: string) => void;
  /** Where the services the appliance owns are recorded (ownership.ts); default: in memory only. */
  owned?: OwnedRecord;
  /** IPVS's sysctls in the namespace (tests); default /proc/sys, through `ip netns exec` with `netns`. */
  sysctl?: Sysctl;
}

/**
 * ECMP: a router may move a flow to another node mid-connection (a node joins or leaves);
 * without it, IPVS there drops every packet of a TCP connection whose SYN it did not see.
 */
const SLOPPY_TCP = 'net.ipv4.vs.sloppy_tcp';

export const ARP_HINT =
  'SYN_RECV on a DR/TUN service: the real server answers ARP for the VIP or lacks it on lo/tunl0; run `sluice-arp-fix` on the real server';

/** Background work on the whole table yields this often, so an edit never waits long behind it. */
const DRIFT_SERVICES_PER_TURN = 100;
const FOLD_SERVICES_PER_TURN = 50;
/** The order plan() gives its items in, for a plan put together from slices. */
const PLAN_ORDER: Record<PlanItem['operation']['op'], number> = {
  'add-service': 0,
  'edit-service': 1,
  'add-destination': 2,
  'edit-destination': 3,
  'delete-destination': 4,
  'delete-service': 5,
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
    stats: ZERO_STATS,
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
        stats: ZERO_STATS,
      }),
    ),
  };
}

/** The plan as change lines, the first LISTED_CHANGES of them: a first apply has tens of thousands. */
function planLines(p: Plan): string[] {
  return p.items.slice(0, LISTED_CHANGES).map((item) => `layer4: ${formatPlan({ items: [item] })}`);
}

/** A service as plan() compares it: read from the kernel, or as applied (shaped only when planned). */
function actualOf(s: ServiceWithDestinations | DesiredService): ServiceWithSettings {
  return 'flags' in s ? s : asActual(s);
}

export class Layer4Driver implements PartDriver {
  readonly part = 'layer4' as const;
  private readonly options: Layer4DriverOptions;
  /** Writes go on one socket; dumps (drift, observations) on another, so an edit never waits behind a dump. */
  private writer: IpvsClient | undefined;
  private reader: IpvsClient | undefined;
  /** What the kernel holds, as far as our own applies know: serviceId -> service. undefined: read it. */
  private model: Map<string, ServiceWithDestinations | DesiredService> | undefined;
  /** Per configured service: what it was and its IPVS services, as last applied. */
  private readonly byLabel = new Map<string, LabelState>();
  private servicesCache: DesiredService[] | undefined;
  private ownersCache: Map<string, RealServerRef> | undefined;
  /** Bumped by every write, so a drift dump taken during a write is thrown away. */
  private generation = 0;
  /** Serialises the driver's writes (apply, drift repair) without blocking its reads. */
  private readonly writes = serial();
  /** What observe() answers: the last reading, with every apply since folded in. */
  private readonly seen = new Layer4Observations();
  /** When `seen` last took in a reading of the whole table; undefined: read before answering. */
  private readAt: number | undefined;
  /** The generation of the last refused write: a reading begun before it cannot vouch for it. */
  private refused = -1;
  /** An observation's dump in flight. */
  private reading: Promise<void> | undefined;
  /** The whole table as last read, counters included: what /metrics renders (no reading of its own). */
  private table: readonly ServiceWithDestinations[] | undefined;
  /** After a first apply: the table it read before it, for the first observation to fold in. */
  private firstRead: { table: Map<string, ServiceWithDestinations>; generation: number } | undefined;

  /** The services this appliance owns, recorded write-ahead (kept in both modes, used by `own`). */
  private readonly ownership: Ownership;
  /** The ownership the model was read for: a change reads the whole table again. */
  private mode: IpvsOwnership | undefined;
  /** Whether the last apply was of an ECMP cluster's configuration. */
  private ecmp = false;
  private readonly sysctl: Sysctl;
  /** sloppy_tcp as made for `ecmp` (undefined: not yet, or a write failed); `was`: the value found before 1. */
  private sloppy: { ecmp: boolean; was?: string } | undefined;

  private readonly pause: () => Promise<void>;
  /** Stateful failover: the kernel's sync daemon as the HA role asks for it. */
  private readonly sync: ConnectionSyncDaemons;

  constructor(options: Layer4DriverOptions = {}) {
    this.options = options;
    this.pause = options.pause ?? (() => nextTurn().then(() => undefined));
    this.sync = new ConnectionSyncDaemons(options.warn);
    this.ownership = new Ownership(options.owned ?? ownedRecordInMemory());
    this.sysctl = options.sysctl ?? namespaceSysctl(options.netns);
  }

  /** ECMP sets sloppy_tcp to 1; leaving ECMP puts back what it found. Checked when the mode changes. */
  private async sloppyTcp(ecmp: boolean): Promise<string[]> {
    const last = this.sloppy;
    if (last?.ecmp === ecmp) return [];
    this.sloppy = undefined;
    if (ecmp) {
      const was = await this.sysctl.read(SLOPPY_TCP);
      if (was === '1') {
        this.sloppy = { ecmp };
        return [];
      }
      await this.sysctl.write(SLOPPY_TCP, '1');
      this.sloppy = { ecmp, was };
      return [`layer4: set ${SLOPPY_TCP}=1 (ECMP: a node takes over connections another node started)`];
    }
    if (last?.was === undefined) {
      this.sloppy = { ecmp };
      return [];
    }
    await this.sysctl.write(SLOPPY_TCP, last.was);
    this.sloppy = { ecmp };
    return [`layer4: set ${SLOPPY_TCP}=${last.was} (as before the ECMP cluster)`];
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
   * kernel and plans the whole table it owns: with `all`, what nobody declared is removed;
   * with `own`, what it neither declares nor recorded as its own is left out of the plan.
   */
  apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.writes(async () => {
      const result = await this.applyOnce(input);
      // A foreign service added since the last reading stood where we added a declared one: read
      // the table and adopt it (that apply reads the whole table, so it never answers 'read-again').
      return result === 'read-again' ? (this.applyOnce(input) as Promise<PartApplyResult>) : result;
    });
  }

  /** One apply; 'read-again' (with `own` only): IPVS refused to add a service that exists, unknown to the model. */
  private async applyOnce(input: DesiredInput): Promise<PartApplyResult | 'read-again'> {
    const client = await this.writerClient();
    const mode = ipvsOwnership(input.config);
    // Switching to `all` takes in services the model left out; to `own`, it leaves some: read again.
    // Entering or leaving an ECMP cluster changes scheduler flags and offline weights everywhere: plan it all.
    const ecmp = clusterMode(input.config) === 'ecmp';
    if (mode !== this.mode || ecmp !== this.ecmp) this.model = undefined;
    this.mode = mode;
    this.ecmp = ecmp;
    const fresh = this.model === undefined;
    let read: Map<string, ServiceWithDestinations> | undefined;
    if (!this.model) {
      const table = await client.list();
      this.table = table;
      read = new Map(table.map((s) => [serviceId(s), s]));
      this.model = new Map(read);
      this.byLabel.clear();
      this.seen.clear();
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
        generation: this.generation + 1,
        ...desiredService(service, `layer4[${index}]`, input.server, ecmp),
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
    const declared = desired.map((s) => serviceId(s));
    try {
      // Write-ahead: on disk before the first IPVS write, so a crash leaves no service of ours unowned.
      await this.ownership.claim(declared);
    } catch (error) {
      this.model = undefined;
      throw error;
    }
    // With `own`, the kernel's view is what we own: a foreign service with a declared key is adopted (claimed above).
    const owned = mode === 'own' ? await this.ownership.owned() : undefined;
    const actual = fresh
      ? [...model.entries()].flatMap(([id, s]) => (owned === undefined || owned.has(id) ? [actualOf(s)] : []))
      : [...relevant].flatMap((id) => {
          const s = model.get(id);
          return s ? [actualOf(s)] : [];
        });
    const p = plan(desired, actual, { owns: 'all' });
    this.generation++;
    const report = p.items.length > 0 ? await applyPlan(client, p) : { failed: 0, results: [] };
    // After the services, so that a backup's entries find the real servers they belong to.
    const syncChanges = await this.sync.apply(
      client,
      desiredSyncDaemons(input.config, input.active ?? true),
      mode === 'all',
    );
    // What was planned against is now as planned; with `own`, the model keeps the foreign services it read.
    if (fresh && owned === undefined) model.clear();
    else if (fresh) for (const s of actual) model.delete(serviceId(s));
    for (const id of relevant) model.delete(id);
    for (const s of desired) model.set(serviceId(s), s);
    for (const label of removed) {
      this.byLabel.delete(label);
      this.seen.forget(label);
    }
    // The status shows the change at once, from what the kernel acknowledged, without a dump.
    // After a first apply, from the table it read before, folded in slices by the next
    // observation: on the start's path, tens of thousands of objects cost seconds where
    // memory is slow to fault in.
    for (const [label, state] of changed) {
      this.byLabel.set(label, state);
      if (read === undefined) this.seen.applied(label, state);
    }
    if (read !== undefined) {
      this.firstRead = { table: read, generation: this.generation };
      this.readAt = undefined;
    }
    if (report.failed > 0) {
      // The kernel holds something else than planned: the next observation reads it.
      this.readAt = undefined;
      this.refused = this.generation;
    }
    this.servicesCache = undefined;
    this.ownersCache = undefined;
    const changes = [...syncChanges, ...planLines(p)].slice(0, LISTED_CHANGES);
    if (report.failed > 0) {
      // The kernel holds something else than we think: read it again next time.
      this.model = undefined;
      const inTheWay = (r: (typeof report.results)[number]) =>
        r.operation.op === 'add-service' && r.error instanceof IpvsError && r.error.code === 'IPVS_EXISTS';
      if (owned !== undefined && !fresh && report.results.some(inTheWay)) return 'read-again';
      const failures = report.results.filter((r) => r.error).map((r) => r.error?.message ?? '');
      throw new ApplianceError(
        'ENGINE_APPLY_FAILED',
        `IPVS refused ${report.failed} of ${p.items.length} changes: ${failures.slice(0, 3).join('; ')}${failures.length > 3 ? '; ...' : ''}`,
        { cause: report.results.find((r) => r.error)?.error },
      );
    }
    // Applied: what is declared stays owned, what the apply deleted is ours no more.
    if (fresh) await this.ownership.replace(new Set(declared));
    else {
      const kept = new Set(declared);
      await this.ownership.release([...relevant].filter((id) => !kept.has(id)));
    }
    let sloppyChanges: string[];
    try {
      sloppyChanges = await this.sloppyTcp(ecmp);
    } catch (error) {
      throw new ApplianceError(
        'ENGINE_APPLY_FAILED',
        `${SLOPPY_TCP}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    return {
      changes: [...sloppyChanges, ...changes].slice(0, LISTED_CHANGES),
      count: sloppyChanges.length + syncChanges.length + p.items.length,
    };
  }

  private async readerClient(): Promise<IpvsClient> {
    this.reader ??= await this.open();
    return this.reader;
  }

  /**
   * The kernel against what was last applied; differences are put back and named. Planned
   * a slice of services at a time, with the event loop free in between, so that an edit
   * arriving meanwhile waits for one slice, not for the whole table.
   */
  async drift(): Promise<string[]> {
    // The sync daemon first: it counts with no service configured too.
    const sync = await this.writes(async () => this.sync.drift(await this.writerClient()));
    return [...sync, ...(await this.driftServices())];
  }

  private async driftServices(): Promise<string[]> {
    if (this.byLabel.size === 0 || !this.model) return [];
    const generation = this.generation;
    // Settings only (no counters): the cheapest full reading the kernel offers.
    const pause = this.pause;
    const table = await (await this.readerClient()).listSettings({ pause });
    const actual = new Map(table.map((s) => [serviceId(s), s]));
    const desired = this.allServices();
    // With `own`, what is left over after the declared services is repaired only if it is ours.
    const owned = this.mode === 'own' ? await this.ownership.owned() : undefined;
    const items: PlanItem[] = [];
    for (let i = 0; i < desired.length; i += DRIFT_SERVICES_PER_TURN) {
      if (i > 0) await pause();
      // A write ran while we read: the dump may hold half of it; the next round looks again.
      if (generation !== this.generation) return [];
      const slice = desired.slice(i, i + DRIFT_SERVICES_PER_TURN);
      const have: ServiceWithSettings[] = [];
      for (const s of slice) {
        const id = serviceId(s);
        const a = actual.get(id);
        if (a !== undefined) have.push(a);
        actual.delete(id);
      }
      items.push(...plan(slice, have, { owns: 'all' }).items);
    }
    // What is left in the kernel, nobody declared: ours to delete (with `own`, only what we own).
    const leftover = [...actual].flatMap(([id, s]) => (owned === undefined || owned.has(id) ? [s] : []));
    items.push(...plan([], leftover, { owns: 'all' }).items);
    if (items.length === 0) return [];
    const p: Plan = { items: items.sort((x, y) => PLAN_ORDER[x.operation.op] - PLAN_ORDER[y.operation.op]) };
    return this.writes(async () => {
      if (generation !== this.generation || !this.model) return [];
      this.generation++;
      const client = await this.writerClient();
      const report = await applyPlan(client, p);
      const before = this.model;
      this.model = report.failed > 0 ? undefined : new Map(desired.map((s) => [serviceId(s), s]));
      // With `own`, the foreign services the model knew of are still there.
      if (this.model && owned !== undefined) for (const [id, s] of before) if (!owned.has(id)) this.model.set(id, s);
      if (report.failed === 0 && leftover.length > 0) await this.ownership.release(leftover.map((s) => serviceId(s)));
      // The status follows from the next reading (the repair restored what `seen` shows).
      if (report.failed > 0) this.readAt = undefined;
      return planLines(p);
    });
  }

  /**
   * Reads the whole table and folds it into `seen`, a configured service at a time with the
   * event loop free in between. A service applied after the dump began keeps what its
   * apply put there: the dump may predate it.
   */
  private read(afterApply = false): Promise<void> {
    // Cleared by a `finally` chained on, never inside: a reading that needs no await (a first
    // apply's own table, few services) settles before `??=` stores it, and a `finally` inside
    // would clear `reading` first, leaving a settled promise there that every later
    // observation took as the reading in progress: the kernel was never read again.
    this.reading ??= this.readOnce(afterApply).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readOnce(afterApply: boolean): Promise<void> {
    const pause = this.pause;
    // Right after a first apply, its own table will do; any other observation reads the kernel.
    const first = afterApply ? this.firstRead : undefined;
    this.firstRead = undefined;
    // After a first apply the services are as it applied them, with the counters of the table it read.
    const generation = first?.generation ?? this.generation;
    let byId = first?.table;
    if (byId === undefined) {
      const table = await (await this.readerClient()).list({ pause });
      this.table = table;
      byId = new Map(table.map((s) => [serviceId(s), s]));
    }
    let n = 0;
    for (const [label, state] of [...this.byLabel]) {
      if (++n % FOLD_SERVICES_PER_TURN === 0) await pause();
      if (this.byLabel.get(label) !== state || state.generation > generation) continue;
      if (first !== undefined) this.seen.applied(label, state, byId);
      else this.seen.read(label, state, byId);
    }
    if (this.refused <= generation) this.readAt = Date.now();
  }

  lastTable(): readonly ServiceWithDestinations[] | undefined {
    return this.table;
  }

  /**
   * Per real server: connections, bytes and the weight the kernel has. The view is this
   * driver's own and later applies and readings update it: read it, do not keep it. Right
   * after an apply it answers from the last reading with the apply folded in (however
   * old: the timer reads again); otherwise from a reading at most `observeMaxAgeMs` old.
   */
  async observe(options: { afterApply?: boolean } = {}): Promise<Observations> {
    const maxAge = this.options.observeMaxAgeMs ?? 1000;
    const fresh = this.readAt !== undefined && (options.afterApply || Date.now() - this.readAt < maxAge);
    if (!fresh) await this.read(options.afterApply);
    return this.seen;
  }

  /**
   * The connection table; SYN_RECV on DR/TUN services carries the ARP hint. With `own`, a
   * connection to a service that is not the appliance's is left out: its virtual address and
   * port (a port-0 service's: any port; persistence templates too) are no service of ours.
   * A firewall-mark service's connections show the packet's address, not the mark, so with
   * one configured nothing can be told apart and every row is kept.
   */
  async connections(): Promise<Layer4Connection[]> {
    let rows: Connection[] = await (await this.readerClient()).connections();
    const forwardingOf = new Map<string, string>();
    const ours = new Set<string>();
    let marks = false;
    for (const s of this.allServices()) {
      marks ||= s.fwmark !== undefined;
      if (s.fwmark !== undefined) continue;
      forwardingOf.set(`${s.protocol} ${destinationId(s)}`, s.destinations[0]?.forwarding ?? 'dr');
      ours.add(destinationId(s));
    }
    if (this.mode === 'own' && !marks) {
      rows = rows.filter(
        (c) => ours.has(destinationId(c.virtual)) || ours.has(destinationId({ address: c.virtual.address, port: 0 })),
      );
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

  connectionSync(): ConnectionSyncStatus {
    return this.sync.status();
  }

  /** The real server a destination stands for (tests, status). */
  ownerOf(service: string, destination: string): RealServerRef | undefined {
    return this.owners().get(`${service} ${destination}`);
  }

  async stop(): Promise<void> {
    await this.writes.idle();
    this.writer?.close();
    this.reader?.close();
    this.writer = undefined;
    this.reader = undefined;
  }
}

export function createLayer4Driver(options: Layer4DriverOptions = {}): Layer4Driver {
  return new Layer4Driver(options);
}
