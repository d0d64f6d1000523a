/**
 * The addresses part: floating IPs and every service VIP on this node's interfaces while
 * it is the active one (standalone: always), through heartbeat's FloatingIp (rtnetlink,
 * then a gratuitous ARP or unsolicited neighbour advertisement so switches and clients
 * learn the new owner at once). With `netns` (serve --netns) every one of these, the
 * interface listing included, happens inside that namespace, never in the daemon's own.
 */
import { networkInterfaces } from 'node:os';
import {
  type AddressControl,
  FloatingIp,
  type FrameSender,
  PacketSocketSender,
  RtnetlinkAddresses,
} from '@sluice/heartbeat';
import { ApplianceError } from '../../errors.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../driver.js';
import { NamespaceAddresses, namespaceAddresses } from './namespace.js';
import { type AddressPlacement, type AddressSource, onLoopback, placeAddresses } from './placement.js';

export interface InterfaceAddress {
  interface: string;
  address: string;
  prefix: number;
}

export interface AddressesDriverOptions {
  /**
   * The named network namespace whose interfaces hold the addresses (`serve --netns`):
   * the default control, frame sender and listing all work there.
   */
  netns?: string;
  addresses?: AddressControl;
  sender?: FrameSender;
  /** The addresses on this host's interfaces (default `os.networkInterfaces()`, or the netns's). */
  list?: () => InterfaceAddress[] | Promise<InterfaceAddress[]>;
  isRoot?: () => boolean;
  /** Where a failed announcement is told at once (the engine's log); it is also the part's detail at the next apply. */
  warn?: (message: string) => void;
}

export function systemAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      const prefix = Number(a.cidr?.split('/')[1] ?? (a.family === 'IPv4' ? 32 : 128));
      out.push({ interface: name, address: a.address, prefix });
    }
  }
  return out;
}

const keyOf = (p: AddressPlacement) => `${p.interface} ${p.cidr}`;
/** Addresses added concurrently (requests on one rtnetlink socket, told apart by sequence number). */
const ADDED_AT_ONCE = 32;

export class AddressesDriver implements PartDriver {
  readonly part = 'addresses' as const;
  private readonly control: AddressControl;
  private readonly sender: FrameSender;
  private readonly list: () => InterfaceAddress[] | Promise<InterfaceAddress[]>;
  private readonly isRoot: () => boolean;
  /** What we hold: `${interface} ${cidr}` -> its FloatingIp. */
  private readonly held = new Map<string, FloatingIp>();
  private readonly warn: (message: string) => void;
  private readonly announcing = new Set<Promise<void>>();
  /** Announcements that failed since the last apply: the next one's detail. */
  private readonly unannounced: string[] = [];
  /** Held addresses (keys of `held`) whose announcement has not gone out since they were added. */
  private readonly unsent = new Set<string>();
  /** What the last apply placed from, and its detail (see apply). */
  private placedFrom:
    | { floating: string; vips: string[]; active: boolean; loopback: boolean; detail?: string }
    | undefined;
  /** Held addresses (keys of `held`) on `lo` for an ECMP cluster: never announced (no LAN owns them). */
  private readonly silent = new Set<string>();

  constructor(options: AddressesDriverOptions = {}) {
    const netns = options.netns;
    // Each default follows the namespace: an address, its announcement and the listing
    // that places it must all see the same interfaces.
    this.control =
      options.addresses ?? (netns === undefined ? new RtnetlinkAddresses() : new NamespaceAddresses(netns));
    this.sender = options.sender ?? new PacketSocketSender(netns === undefined ? {} : { netns });
    this.list = options.list ?? (netns === undefined ? systemAddresses : () => namespaceAddresses(netns));
    this.isRoot = options.isRoot ?? (() => process.getuid?.() === 0);
    this.warn = options.warn ?? (() => undefined);
  }

  async probe(): Promise<ProbeResult> {
    if (!this.isRoot()) {
      return { available: false, detail: 'floating IPs and VIPs need root (CAP_NET_ADMIN, CAP_NET_RAW)' };
    }
    // The frame helper starts now, so that a takeover's first announcement does not wait for an interpreter.
    (this.sender as { warm?: () => void }).warm?.();
    return { available: true };
  }

  private async placements(
    config: AddressSource,
    active: boolean,
  ): Promise<{ placed: AddressPlacement[]; unplaced: string[]; present: Set<string> }> {
    if (!active) return { placed: [], unplaced: [], present: new Set() };
    const all = await this.list();
    // Addresses we hold ourselves do not tell where a VIP belongs.
    const ours = new Set([...this.held.values()].map((f) => `${f.ifname} ${f.cidr.address}`));
    const onHost = all.filter((a) => !ours.has(`${a.interface} ${a.address}`));
    const present = new Set(all.map((a) => `${a.interface} ${a.address}/${a.prefix}`));
    return { ...placeAddresses(config, onHost, all), present };
  }

  /**
   * The floating IPs and VIPs that no interface's network holds on this host now (as if
   * active). Asked at every write: when each is one this node holds already (a write that
   * moved no address), the host's interfaces are not read.
   */
  async unplaced(config: AddressSource): Promise<string[]> {
    const held = new Set([...this.held.values()].map((ip) => ip.cidr.address));
    const all = [
      ...config.floatingIps.map((f) => f.address.split('/')[0] ?? ''),
      ...[...config.layer4, ...config.layer7, ...config.ssl].map((s) => s.vip),
    ];
    if (all.every((address) => held.has(address))) return [];
    return (await this.placements(config, true)).unplaced;
  }

  apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.place(input.config, input.active ?? true);
  }

  /**
   * Holds the addresses `config` places while `active`, none while passive: the part's
   * apply, and the HA engine process's whole job on a takeover or a release.
   */
  async place(config: AddressSource, active: boolean): Promise<PartApplyResult> {
    // Placing reads the host's addresses and looks up every VIP: a change that moved no
    // address (a weight, a server) skips it. Unless something was left unplaced: an
    // interface added since may take it now. Addresses removed out of band are drift's.
    const vips = [...config.layer4, ...config.layer7, ...config.ssl].map((s) => s.vip);
    const floating = JSON.stringify(config.floatingIps);
    const loopback = onLoopback(config);
    const last = this.placedFrom;
    if (
      last !== undefined &&
      last.detail === undefined &&
      last.active === active &&
      last.loopback === loopback &&
      last.floating === floating &&
      last.vips.length === vips.length &&
      last.vips.every((v, i) => v === vips[i])
    ) {
      return { changes: [] };
    }
    this.placedFrom = undefined;
    const { placed, unplaced, present } = await this.placements(config, active);
    const wanted = new Map(placed.map((p) => [keyOf(p), p]));
    const changes: string[] = [];
    const problems: string[] = [];
    for (const [key, ip] of [...this.held]) {
      if (wanted.has(key)) continue;
      await ip.release();
      this.held.delete(key);
      this.unsent.delete(key);
      this.silent.delete(key);
      changes.push(`addresses: remove ${ip.cidr.address}/${ip.cidr.prefix} from ${ip.ifname}`);
    }
    // Added a few at a time, and announced in the background: an address serves once it is
    // added; one after another, hundreds of VIPs would each wait a netlink round trip and
    // a round trip to the frame helper.
    problems.push(...this.unannounced.splice(0));
    // An address already on its interface (a daemon restart, or a box moved to the appliance
    // with its VIPs up: keepalived's, an ipvsadm script's) is adopted as it is: no rtnetlink
    // write and no change to report. It is still announced, as before: a neighbour may have
    // learnt a peer's MAC for it (a split brain healed), and a frame costs nothing.
    for (const [key, p] of wanted) {
      if (this.held.has(key) || !present.has(key)) continue;
      const ip = new FloatingIp(
        { address: p.cidr, interface: p.interface },
        { addresses: this.control, sender: this.sender },
      );
      this.held.set(key, ip);
      this.announceAdded(key, ip, p.cidr, loopback);
    }
    const adding = [...wanted].filter(([key]) => !this.held.has(key));
    let failure: unknown;
    for (let i = 0; i < adding.length && failure === undefined; i += ADDED_AT_ONCE) {
      const slice = adding.slice(i, i + ADDED_AT_ONCE).map(([key, p]) => ({
        key,
        p,
        ip: new FloatingIp(
          { address: p.cidr, interface: p.interface },
          { addresses: this.control, sender: this.sender },
        ),
      }));
      const results = await Promise.allSettled(slice.map(({ ip }) => ip.acquire()));
      results.forEach((result, k) => {
        const { key, p, ip } = slice[k] as (typeof slice)[number];
        if (result.status === 'rejected') {
          failure ??= result.reason;
          return;
        }
        this.held.set(key, ip);
        changes.push(`addresses: add ${p.cidr} to ${p.interface} (${p.why})`);
        this.announceAdded(key, ip, p.cidr, loopback);
      });
    }
    // What was added is held (and released when no longer wanted); the part reports the failure.
    if (failure !== undefined) throw failure;
    for (const address of unplaced) {
      problems.push(`${address}: no interface holds its network; give it a floating IP with an interface`);
    }
    const detail = problems.length > 0 ? problems.join('; ') : undefined;
    this.placedFrom = { floating, vips, active, loopback, ...(detail ? { detail } : {}) };
    return detail ? { changes, detail } : { changes };
  }

  private announceAdded(key: string, ip: FloatingIp, cidr: string, loopback: boolean): void {
    if (loopback) {
      this.silent.add(key);
      return;
    }
    this.unsent.add(key);
    const sent = ip.announce('acquired').then(
      () => {
        this.unsent.delete(key);
      },
      (error: unknown) => {
        const problem = `${cidr}: announcement failed (${error instanceof Error ? error.message : String(error)})`;
        this.unannounced.push(problem);
        // The next apply looks again (and reports it), even if nothing else changed.
        this.placedFrom = undefined;
        this.warn(`addresses: ${problem}`);
      },
    );
    this.announcing.add(sent);
    void sent.finally(() => this.announcing.delete(sent));
  }

  /** Resolves once every announcement sent so far has been sent or has failed. */
  async announced(): Promise<void> {
    while (this.announcing.size > 0) await Promise.all([...this.announcing]);
  }

  /**
   * Sends the announcement of every held address again (`pending`: of those whose
   * announcement has not gone out since they were added), a few at a time as apply adds
   * them; rejects with the first failure once all were tried.
   */
  async announce(which: 'all' | 'pending'): Promise<void> {
    // The announcements of an apply still in flight go first: `pending` counts on them.
    await this.announced();
    const due = [...this.held].filter(([key]) => !this.silent.has(key) && (which === 'all' || this.unsent.has(key)));
    let failure: ApplianceError | undefined;
    for (let i = 0; i < due.length; i += ADDED_AT_ONCE) {
      const slice = due.slice(i, i + ADDED_AT_ONCE);
      const results = await Promise.allSettled(slice.map(([, ip]) => ip.announce('repeat')));
      results.forEach((result, k) => {
        const [key, ip] = slice[k] as (typeof slice)[number];
        if (result.status === 'fulfilled') {
          this.unsent.delete(key);
          return;
        }
        const address = `${ip.cidr.address}/${ip.cidr.prefix} on ${ip.ifname}`;
        failure ??= new ApplianceError('ENGINE_ANNOUNCE_FAILED', `announcing ${address} failed`, {
          field: address,
          cause: result.reason,
        });
      });
    }
    if (failure !== undefined) throw failure;
  }

  /** An address removed out of band (`ip addr del`) is put back. */
  async drift(): Promise<string[]> {
    const present = new Set((await this.list()).map((a) => `${a.interface} ${a.address}`));
    const repaired: string[] = [];
    for (const [key, ip] of this.held) {
      if (present.has(`${ip.ifname} ${ip.cidr.address}`)) continue;
      await ip.acquire();
      if (!this.silent.has(key)) await ip.announce('acquired').catch(() => undefined);
      repaired.push(`addresses: put back ${ip.cidr.address}/${ip.cidr.prefix} on ${ip.ifname}`);
    }
    return repaired;
  }

  async observe(): Promise<Map<string, ServerObservation>> {
    return new Map();
  }

  /** What this node holds now: `address/prefix on interface`. */
  holding(): string[] {
    return [...this.held.values()].map((f) => `${f.cidr.address}/${f.cidr.prefix} on ${f.ifname}`);
  }

  async stop(): Promise<void> {
    // Addresses stay: a daemon restart must not drop the VIPs under established connections.
    // They go when HA makes this node passive (setActive(false)) or the configuration drops them.
    await this.announced();
    await this.sender.close();
    this.control.close();
  }
}

export function createAddressesDriver(options: AddressesDriverOptions = {}): AddressesDriver {
  return new AddressesDriver(options);
}
