/**
 * The HA engine: this node's heartbeat (links, election, ping nodes) and the addresses it
 * holds while active (floating IPs and VIPs, with their announcements), in a process of
 * their own. The daemon's event loop may be held for seconds by a large commit, and the
 * daemon may crash: neither may stop the heartbeat or make the peer take over (Seesaw
 * runs its HA engine as its own process for the same reason). The daemon tells it the
 * heartbeat and the addresses and hears its events; everything else stays in the daemon.
 */
import type { HeartbeatEventRecord, HeartbeatStatus } from '@sluice/heartbeat';
import type { AddressesDriver } from '../../engine/addresses/driver.js';
import type { AddressSource } from '../../engine/addresses/placement.js';
import type { PartApplyResult } from '../../engine/driver.js';
import { ApplianceError } from '../../errors.js';
import type { LogLevel } from '../../model/log-record.js';
import { serial } from '../../serial.js';
import { type HeartbeatSpec, type OpenedNode, openNode } from '../heartbeat-spec.js';
import { type Hello, PROTOCOL, type Push, type Request, wireEvent } from './protocol.js';

const NOTHING: AddressSource = { floatingIps: [], layer4: [], layer7: [], ssl: [] };

export interface HaEngineOptions {
  addresses: Pick<AddressesDriver, 'place' | 'probe' | 'drift' | 'announce' | 'stop'>;
  /** Where pushes go (the connected daemon; none while it is away). */
  push: (message: Push) => void;
  pid?: number;
}

export class HaEngine {
  private readonly addresses: HaEngineOptions['addresses'];
  private readonly push: (message: Push) => void;
  private readonly pid: number;
  /** Placing and releasing addresses, one at a time (a takeover may meet a new address source). */
  private readonly placing = serial();
  private readonly lifecycle = serial();
  private source: AddressSource = NOTHING;
  private mode: 'off' | 'standalone' | 'ha' = 'off';
  /** HA: the heartbeat acquired the addresses (it is the active node). */
  private acquired = false;
  private running: { spec: HeartbeatSpec; opened: OpenedNode } | undefined;

  constructor(options: HaEngineOptions) {
    this.addresses = options.addresses;
    this.push = options.push;
    this.pid = options.pid ?? process.pid;
  }

  private get holding(): boolean {
    return this.mode === 'standalone' || (this.mode === 'ha' && this.acquired);
  }

  status(): HeartbeatStatus | null {
    return this.running?.opened.node.status() ?? null;
  }

  hello(): Hello {
    return {
      protocol: PROTOCOL,
      pid: this.pid,
      heartbeat: this.mode === 'ha' ? (this.running?.spec.key ?? 'off') : this.mode,
      status: this.status(),
    };
  }

  private log(level: LogLevel, message: string): void {
    this.push({ type: 'log', level, message });
  }

  /** Holds what the current source places while holding, nothing otherwise. */
  private place() {
    return this.placing(() => this.addresses.place(this.source, this.holding));
  }

  async handle(request: Request): Promise<unknown> {
    switch (request.type) {
      case 'hello':
        return this.hello();
      case 'heartbeat':
        return this.lifecycle(() => this.run(request.spec));
      case 'addresses':
        this.source = request.source;
        return this.place();
      case 'probe':
        return this.addresses.probe();
      case 'drift':
        return this.placing(() => this.addresses.drift());
      case 'announce':
        // Only the holder announces: a passive node must never claim an address.
        if (this.holding) await this.addresses.announce(request.which);
        return null;
      case 'takeover':
        this.requireNode('takeover').takeover();
        return null;
      case 'standby':
        this.requireNode('standby').standby();
        return null;
      case 'settled':
        await this.running?.opened.node.settled();
        await this.placing.idle();
        return null;
      case 'shutdown':
        await this.lifecycle(() => this.stopNode());
        await this.addresses.stop();
        return null;
    }
  }

  private requireNode(what: string) {
    const node = this.running?.opened.node;
    if (node === undefined) {
      throw new ApplianceError('HA_DISABLED', `${what}: the heartbeat is not running`);
    }
    return node;
  }

  private async run(spec: HeartbeatSpec | 'standalone' | 'off'): Promise<{ adopted: boolean }> {
    if (typeof spec === 'object' && this.running?.spec.key === spec.key) return { adopted: true };
    if (typeof spec !== 'object' && this.mode === spec) return { adopted: true };
    await this.stopNode();
    if (typeof spec !== 'object') {
      this.mode = spec;
      await this.place();
      this.pushStatus();
      return { adopted: false };
    }
    this.mode = 'ha';
    this.acquired = false;
    // A node starts passive: nothing is held until it is elected.
    await this.place();
    const opened = await openNode(spec, {
      name: 'addresses',
      acquire: async () => {
        this.acquired = true;
        this.told('active', await this.place());
      },
      release: async () => {
        this.acquired = false;
        this.told('passive', await this.place());
      },
      // Every frame the heartbeat schedules goes out (bursts, re-announcements, the refresh);
      // the takeover's first is the one placing sent as it added each address: only those
      // it could not send go again. A rejection makes the heartbeat retry.
      announce: (reason) => this.addresses.announce(reason === 'acquired' ? 'pending' : 'all'),
    });
    this.running = { spec, opened };
    opened.node.onEvent((event) => this.onEvent(event));
    opened.node.start();
    this.log('info', `heartbeat started as ${spec.role} ${spec.nodeId}, peer ${spec.peerId} (pid ${this.pid})`);
    return { adopted: false };
  }

  /** What a takeover or a release did to the addresses, in the daemon's log (the first few named). */
  private told(role: string, result: PartApplyResult): void {
    const shown = result.changes.slice(0, 5).join('; ');
    const more = result.changes.length > 5 ? ` and ${result.changes.length - 5} more` : '';
    this.log('info', `${role}: ${result.changes.length === 0 ? 'no address changed' : `${shown}${more}`}`);
  }

  private onEvent(event: HeartbeatEventRecord): void {
    // The status first: the daemon reads it as it handles the event (a takeover waiting
    // for `active`, the status bar), so it must already say what the event did.
    this.pushStatus();
    this.push({ type: 'event', event: wireEvent(event) });
  }

  pushStatus(): void {
    this.push({ type: 'status', status: this.status() });
  }

  private async stopNode(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    // Releases the addresses if active, and tells the peer, which takes over at once.
    await running.opened.close();
    this.acquired = false;
    this.mode = 'off';
    this.log('info', 'heartbeat stopped');
  }
}
