import { type Clock, systemClock } from './clock.js';
import { type NodeConfig, type NodeConfigInput, resolveNodeConfig } from './config.js';
import { type Candidate, type Election, elect } from './election.js';
import { HeartbeatError } from './errors.js';
import type {
  HeartbeatEvent,
  HeartbeatEventRecord,
  HeartbeatStatus,
  LinkStatus,
  PeerView,
  TransitionReason,
} from './events.js';
import { Lateness } from './lateness.js';
import type { Link, PingMonitor } from './link.js';
import {
  decodePacket,
  encodePacket,
  type HeartbeatPacket,
  type LiveState,
  type Preference,
  type RejectReason,
} from './packet.js';
import { PeerFilter } from './replay.js';
import { type AnnounceReason, type Resource, ResourceGroup } from './resources.js';

export interface HeartbeatNodeOptions {
  config: NodeConfigInput;
  links: readonly Link[];
  resources?: readonly Resource[];
  /** Without one, this node counts its ping nodes as always reachable. */
  ping?: PingMonitor;
  clock?: Clock;
  /**
   * This run's epoch, which must grow from one run to the next (default: the wall clock in
   * ms). A daemon that cannot trust its clock persists a counter instead.
   */
  epoch?: number;
}

interface LinkTrack {
  link: Link;
  lastHeard: number | undefined;
  state: LinkStatus['state'];
}

const REJECT_REPORT_MS = 1000;
/** How often the first frame of a burst is tried again when a resource failed to send it. */
const ANNOUNCE_RETRIES = 3;

/**
 * One node of the HA pair: sends heartbeats on every link, tracks the peer per link,
 * elects the active node, and drives the resources. Pure logic over a clock, links,
 * resources and a ping monitor, so every rule can be tested with fakes.
 */
export class HeartbeatNode {
  readonly config: NodeConfig;
  private readonly clock: Clock;
  private readonly links: LinkTrack[];
  private readonly resources: ResourceGroup;
  private readonly ping: PingMonitor | undefined;
  private readonly filter: PeerFilter;
  private readonly epoch: number;
  private readonly listeners = new Set<(event: HeartbeatEventRecord) => void>();

  private running = false;
  private stopped = false;
  private stopping = false;
  private startedAt = 0;
  private state: LiveState = 'passive';
  private preference: Preference = 'none';
  private appHealthy = true;
  private resourceFault = false;
  private pingOk: boolean;
  private pingPending: boolean;
  private sequence = 0;
  private eventSeq = 0;
  private busy: Promise<void> | undefined;
  /** Set synchronously when a transition starts, so re-entrant inputs cannot start another. */
  private transitioning = false;
  private peer: HeartbeatPacket | undefined;
  private peerLiveness: 'unknown' | 'alive' | 'dead' = 'unknown';
  private lateReported = false;
  private blockedReported = false;
  private splitReported = false;
  /** Set while the peer may have announced our addresses: re-announce once it is passive. */
  private reannounce: AnnounceReason | undefined;
  private readonly rejected: Partial<Record<RejectReason, number>> = {};
  private readonly rejectReports = new Map<string, { at: number; pending: number }>();
  private sendTimer: unknown;
  private readonly sendLateness = new Lateness();
  private readonly peerGap = new Lateness();
  private watchTimer: unknown;
  /** This tenure's scheduled frames (bursts, retries): a new burst or the end of the tenure clears them. */
  private readonly announceTimers = new Set<unknown>();
  /** The periodic refresh: runs from the takeover to the end of the tenure, across bursts. */
  private refreshTimer: unknown;
  /** Frames go out one after another; a release waits for the one in flight. */
  private announcing: Promise<void> = Promise.resolve();
  private retryTimer: unknown;

  constructor(options: HeartbeatNodeOptions) {
    this.config = resolveNodeConfig(options.config);
    if (options.links.length === 0) {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', 'links: at least one link is needed', { field: 'links' });
    }
    this.clock = options.clock ?? systemClock;
    this.links = options.links.map((link) => ({ link, lastHeard: undefined, state: 'unknown' }));
    this.resources = new ResourceGroup(options.resources ?? []);
    this.ping = options.ping;
    this.pingOk = options.ping === undefined;
    this.pingPending = options.ping !== undefined;
    this.epoch = options.epoch ?? Date.now();
    this.filter = new PeerFilter({ nodeId: this.config.nodeId, role: this.config.role, peerId: this.config.peerId });
  }

  /** Subscribes to events, delivered synchronously and in order; returns the unsubscribe. */
  onEvent(listener: (event: HeartbeatEventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running || this.stopped) {
      throw new HeartbeatError('HEARTBEAT_BAD_STATE', 'a node starts once');
    }
    this.running = true;
    this.startedAt = this.clock.now();
    this.emit({ type: 'started', role: this.config.role, epoch: this.epoch });
    for (const track of this.links) track.link.onReceive((datagram) => this.receive(track, datagram));
    this.ping?.start((reachable) => {
      if (!this.running || (!this.pingPending && reachable === this.pingOk)) return;
      this.pingPending = false;
      this.pingOk = reachable;
      if (reachable) this.blockedReported = false;
      this.emit({ type: 'ping', reachable });
      this.factsChanged();
    });
    this.sendLoop();
    this.armWatch();
  }

  /**
   * Stops heartbeating. Held resources are released first, and the last heartbeat says
   * passive with a standby preference so a live peer takes over at once rather than after
   * the deadtime. Links stay open: their owner closes them.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    await this.settled();
    this.running = false;
    this.stopped = true;
    for (const timer of [this.sendTimer, this.watchTimer, this.retryTimer]) {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
    this.cancelAnnouncements();
    this.ping?.stop();
    if (this.state === 'active') await this.release('stopping', undefined);
    this.preference = 'passive';
    this.broadcast();
    this.emit({ type: 'stopped' });
  }

  /** `hb_takeover`: this node should be active now, whatever the election would say. */
  takeover(): void {
    this.setPreference('active');
  }

  /** `hb_standby`: give the resources to the peer (kept if the peer is dead or cannot take them). */
  standby(): void {
    this.setPreference('passive');
  }

  /** Clears a takeover or standby: back to the election rules. */
  auto(): void {
    this.setPreference('none');
  }

  /** The application's verdict on this node's own services (a sick node hands over to a healthy peer). */
  setHealthy(healthy: boolean): void {
    if (healthy === this.appHealthy) return;
    this.appHealthy = healthy;
    this.emit({ type: 'health', healthy });
    this.factsChanged();
  }

  /** Resolves once no acquire or release is in flight. */
  async settled(): Promise<void> {
    while (this.busy) await this.busy;
  }

  status(): HeartbeatStatus {
    const peer = this.peerView();
    return {
      nodeId: this.config.nodeId,
      role: this.config.role,
      state: this.state,
      preference: this.preference,
      healthy: this.healthy,
      pingOk: this.pingOk,
      pingPending: this.pingPending,
      link: this.links.some((l) => l.state === 'up') ? 'up' : 'down',
      links: this.links.map((l) => ({ name: l.link.name, state: l.state })),
      peer,
      configVersionMatches: this.peer === undefined ? undefined : this.peer.configVersion === this.config.configVersion,
      rejected: { ...this.rejected },
      timing: { sendLateness: this.sendLateness.snapshot(), peerGap: this.peerGap.snapshot() },
    };
  }

  private get healthy(): boolean {
    return this.appHealthy && !this.resourceFault;
  }

  private setPreference(preference: Preference): void {
    if (this.stopped) throw new HeartbeatError('HEARTBEAT_BAD_STATE', 'the node is stopped');
    if (preference === this.preference) return;
    this.preference = preference;
    this.emit({ type: 'preference', preference });
    this.factsChanged();
  }

  private factsChanged(): void {
    if (!this.running) return;
    this.broadcast();
    this.evaluate();
  }

  private emit(event: HeartbeatEvent): void {
    const record = { ...event, seq: ++this.eventSeq, at: this.clock.now() } as HeartbeatEventRecord;
    for (const listener of this.listeners) listener(record);
  }

  // --- sending ---------------------------------------------------------------------

  private sendLoop(): void {
    this.broadcast();
    const due = this.clock.now() + this.config.timing.keepaliveMs;
    this.sendTimer = this.clock.setTimeout(() => {
      this.sendLateness.record(this.clock.now() - due);
      if (this.running) this.sendLoop();
    }, this.config.timing.keepaliveMs);
  }

  /** One heartbeat on every link, each with its own sequence number. */
  private broadcast(): void {
    for (const track of this.links) {
      const packet: HeartbeatPacket = {
        keyId: this.config.sendKey.id,
        nodeId: this.config.nodeId,
        role: this.config.role,
        state: this.state,
        priority: this.config.priority,
        configVersion: this.config.configVersion,
        healthy: this.healthy,
        pingOk: this.pingOk,
        pingPending: this.pingPending,
        preference: this.preference,
        hearsPeer: this.peerLiveness === 'alive',
        epoch: this.epoch,
        sequence: ++this.sequence,
      };
      track.link.send(encodePacket(packet, this.config.sendKey));
    }
  }

  // --- receiving -------------------------------------------------------------------

  private receive(track: LinkTrack, datagram: Buffer): void {
    if (!this.running) return;
    const decoded = decodePacket(datagram, this.config.keys);
    if (!decoded.ok) {
      this.reject(track, decoded.reason);
      return;
    }
    const verdict = this.filter.admit(decoded.packet);
    if (verdict !== 'ok') {
      this.reject(track, verdict);
      return;
    }
    const packet = decoded.packet;
    const now = this.clock.now();
    // Per link: the peer sends each heartbeat on every link, so across links the gap is ~0.
    if (track.lastHeard !== undefined) this.peerGap.record(now - track.lastHeard);
    track.lastHeard = now;
    if (track.state !== 'up') {
      track.state = 'up';
      this.emit({ type: 'link-up', link: track.link.name });
    }
    const previous = this.peer;
    const wasAlive = this.peerLiveness === 'alive';
    this.peer = packet;
    this.lateReported = false;
    if (!wasAlive) {
      this.peerLiveness = 'alive';
      this.emit({ type: 'peer-up', peer: this.peerView() });
    } else if (previous && changed(previous, packet)) {
      this.emit({ type: 'peer-changed', peer: this.peerView() });
    }
    if (packet.state === 'passive' || this.state !== 'active') this.splitReported = false;
    this.evaluate();
    // A healed partition: the peer may have held our addresses too and has let go (or
    // comes back passive). Neighbours may still have its MAC: tell them where they live.
    // Decided after the election: a node that has just started releasing (failback) must
    // not announce the addresses it is giving up.
    if (this.state === 'active' && !this.transitioning && packet.state === 'passive' && this.reannounce) {
      this.announce(this.reannounce);
      this.reannounce = undefined;
    }
    this.armWatch();
  }

  private reject(track: LinkTrack, reason: RejectReason): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    // Our own broadcast or multicast coming back is expected, not news.
    if (reason === 'own-packet') return;
    const key = `${track.link.name}\0${reason}`;
    const now = this.clock.now();
    const report = this.rejectReports.get(key);
    if (report && now - report.at < REJECT_REPORT_MS) {
      report.pending++;
      return;
    }
    this.rejectReports.set(key, { at: now, pending: 0 });
    this.emit({ type: 'packet-rejected', link: track.link.name, reason, count: (report?.pending ?? 0) + 1 });
  }

  // --- liveness --------------------------------------------------------------------

  private lastHeard(): number | undefined {
    let last: number | undefined;
    for (const l of this.links)
      if (l.lastHeard !== undefined && (last === undefined || l.lastHeard > last)) last = l.lastHeard;
    return last;
  }

  private armWatch(): void {
    if (!this.running) return;
    const { warntimeMs, deadtimeMs, initdeadMs } = this.config.timing;
    const deadlines: number[] = [];
    for (const l of this.links)
      if (l.state === 'up' && l.lastHeard !== undefined) deadlines.push(l.lastHeard + deadtimeMs);
    const last = this.lastHeard();
    if (this.peerLiveness === 'alive' && last !== undefined) {
      if (!this.lateReported) deadlines.push(last + warntimeMs);
      deadlines.push(last + deadtimeMs);
    }
    if (this.peerLiveness === 'unknown') deadlines.push(this.startedAt + initdeadMs);
    if (this.watchTimer !== undefined) this.clock.clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    if (deadlines.length === 0) return;
    const delay = Math.max(0, Math.min(...deadlines) - this.clock.now());
    this.watchTimer = this.clock.setTimeout(() => {
      this.watchTimer = undefined;
      if (this.clock.defer) this.clock.defer(() => this.checkLiveness());
      else this.checkLiveness();
    }, delay);
  }

  private checkLiveness(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const { warntimeMs, deadtimeMs, initdeadMs } = this.config.timing;
    for (const l of this.links) {
      if (l.state === 'up' && l.lastHeard !== undefined && now - l.lastHeard >= deadtimeMs) {
        l.state = 'down';
        this.emit({ type: 'link-down', link: l.link.name });
      }
    }
    const last = this.lastHeard();
    if (this.peerLiveness === 'alive' && last !== undefined) {
      const silent = now - last;
      if (silent >= deadtimeMs) {
        this.peerLiveness = 'dead';
        this.reannounce = 'peer-returned';
        this.emit({ type: 'peer-dead', reason: 'deadtime' });
      } else if (silent >= warntimeMs && !this.lateReported) {
        this.lateReported = true;
        this.emit({ type: 'peer-late', silentMs: silent });
      }
    } else if (this.peerLiveness === 'unknown' && now - this.startedAt >= initdeadMs) {
      this.peerLiveness = 'dead';
      for (const l of this.links) if (l.state === 'unknown') l.state = 'down';
      this.emit({ type: 'peer-dead', reason: 'initdead' });
    }
    this.evaluate();
    this.armWatch();
  }

  // --- decisions -------------------------------------------------------------------

  private candidate(): Candidate {
    return {
      nodeId: this.config.nodeId,
      role: this.config.role,
      priority: this.config.priority,
      state: this.state,
      healthy: this.healthy,
      pingOk: this.pingOk,
      pingPending: this.pingPending,
      preference: this.preference,
    };
  }

  private evaluate(): void {
    if (!this.running || this.stopping || this.transitioning) return;
    if (this.peerLiveness === 'unknown') return;
    if (this.peerLiveness === 'dead') {
      // Alone and without its ping nodes, an active node is most likely the one cut off (a
      // pulled cable): it lets go, so that the dual active of a partition ends with the ping
      // round, not when the links return (keepalived's FAULT state on a failed track_script).
      // An operator's takeover keeps it.
      if (this.state === 'active' && !this.pingOk && !this.pingPending && this.preference !== 'active') {
        this.release('ping-lost', undefined);
        return;
      }
      if (this.state !== 'passive' || this.resourceFault) return;
      // Alone, a node that cannot see its ping nodes is more likely cut off than the peer
      // dead: it stays passive. An operator's takeover overrides that.
      if (!this.pingOk && this.preference !== 'active') {
        if (!this.blockedReported) {
          this.blockedReported = true;
          this.emit({ type: 'takeover-blocked', reason: 'ping-unreachable' });
        }
        return;
      }
      const reason = this.peer === undefined ? 'no-peer-at-start' : 'peer-dead';
      this.acquire(reason, undefined);
      return;
    }
    const peer = this.peer as HeartbeatPacket;
    const election = elect(this.candidate(), peer, this.config.autoFailback);
    // Releasing counts: the peer still has the addresses until it reports passive.
    const peerHolds = peer.state !== 'passive';
    if (this.state === 'active' && peerHolds) {
      this.reannounce = 'split-brain-recovered';
      if (!this.splitReported) {
        this.splitReported = true;
        this.emit({ type: 'split-brain', winner: election.selfWins ? 'self' : 'peer', rule: election.rule });
      }
    }
    // A node still waiting for its first ping result does not take over: it might lose
    // the election a moment later and hand straight back.
    if (
      election.selfWins &&
      this.state === 'passive' &&
      peer.state === 'passive' &&
      !this.resourceFault &&
      !this.pingPending
    ) {
      this.acquire(this.reason(election, peerHolds), election);
    } else if (!election.selfWins && this.state === 'active') {
      this.release(this.reason(election, peerHolds), election);
    }
  }

  private reason(election: Election, peerHolds: boolean): TransitionReason {
    const win = election.selfWins;
    switch (election.rule) {
      case 'health':
        return win ? 'peer-unhealthy' : 'unhealthy';
      case 'ping':
        return win ? 'peer-ping-lost' : 'ping-lost';
      case 'preference':
        if (win) return this.preference === 'active' ? 'takeover' : 'peer-standby';
        return this.preference === 'passive' ? 'standby' : 'peer-takeover';
      case 'incumbent':
        return 'elected';
      default:
        if (win) return 'elected';
        return peerHolds ? 'split-brain' : 'failback';
    }
  }

  private setState(to: LiveState, reason: TransitionReason, election?: Election): void {
    const from = this.state;
    this.state = to;
    if (to === 'passive') this.reannounce = undefined;
    this.emit({ type: 'state', from, to, reason, ...(election ? { rule: election.rule } : {}) });
    if (this.running) this.broadcast();
  }

  private acquire(reason: TransitionReason, election: Election | undefined): void {
    this.transitioning = true;
    this.setState('acquiring', reason, election);
    this.busy = (async () => {
      try {
        await this.resources.acquire();
      } catch (error) {
        const resource = error instanceof HeartbeatError && error.field ? error.field : 'unknown';
        this.emit({ type: 'resource-failed', operation: 'acquire', resource, error });
        // Report unhealthy for a while so a healthy peer takes over instead, then try again.
        this.resourceFault = true;
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = undefined;
          this.resourceFault = false;
          this.factsChanged();
        }, this.config.timing.acquireRetryMs);
        this.setState('passive', 'acquire-failed');
        return;
      }
      this.setState('active', 'acquired');
      this.announce('acquired');
    })().finally(() => {
      this.busy = undefined;
      this.transitioning = false;
      this.evaluate();
    });
  }

  private release(reason: TransitionReason, election: Election | undefined): Promise<void> {
    this.cancelAnnouncements();
    this.transitioning = true;
    this.setState('releasing', reason, election);
    const done = (async () => {
      // A frame already handed to a resource finishes before its address goes; the
      // ones queued behind it see the state and are dropped.
      await this.announcing;
      const report = await this.resources.release();
      for (const f of report.failures) {
        this.emit({ type: 'resource-failed', operation: 'release', resource: f.resource, error: f.error });
      }
      this.setState('passive', 'released');
    })();
    this.busy = done.finally(() => {
      this.busy = undefined;
      this.transitioning = false;
      this.evaluate();
    });
    return this.busy;
  }

  /**
   * A burst of `announceCount` frames `announceRepeatMs` apart, a second burst
   * `announceDelayMs` later, and after a takeover one frame every `announceRefreshMs`
   * (keepalived's garp_master_repeat, _delay and _refresh). A new burst replaces what is
   * left of the previous one; a release cancels them all.
   */
  private announce(reason: AnnounceReason): void {
    for (const timer of this.announceTimers) this.clock.clearTimeout(timer);
    this.announceTimers.clear();
    if (reason === 'acquired') this.cancelAnnouncements();
    const { announceCount, announceRepeatMs, announceDelayMs, announceRefreshMs } = this.config.timing;
    const burst = (first: AnnounceReason) => {
      this.sendAnnouncement(first, undefined, ANNOUNCE_RETRIES);
      for (let i = 1; i < announceCount; i++) {
        this.afterAnnounceDelay(i * announceRepeatMs, () => this.sendAnnouncement('repeat', undefined, 0));
      }
    };
    burst(reason);
    if (announceDelayMs > 0) this.afterAnnounceDelay(announceDelayMs, () => burst('repeat'));
    if (announceRefreshMs > 0 && reason === 'acquired') {
      const refresh = () => {
        this.refreshTimer = this.clock.setTimeout(() => {
          this.sendAnnouncement('refresh', undefined, ANNOUNCE_RETRIES);
          refresh();
        }, announceRefreshMs);
      };
      refresh();
    }
  }

  private afterAnnounceDelay(ms: number, fn: () => void): void {
    const timer = this.clock.setTimeout(() => {
      this.announceTimers.delete(timer);
      fn();
    }, ms);
    this.announceTimers.add(timer);
  }

  private cancelAnnouncements(): void {
    for (const timer of this.announceTimers) this.clock.clearTimeout(timer);
    this.announceTimers.clear();
    if (this.refreshTimer !== undefined) this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /**
   * One frame, queued behind the one in flight and sent only if this node is still
   * active when its turn comes: never for an address being released or already gone.
   * The resources that failed are tried again `announceRepeatMs` later, `retries` times at most.
   */
  private sendAnnouncement(reason: AnnounceReason, only: readonly string[] | undefined, retries: number): void {
    const holding = () => this.running && !this.stopping && this.state === 'active';
    const frame = this.announcing.then(async () => {
      if (!holding()) return;
      const report = await this.resources.announce(reason, only, holding);
      const failed = report.failures.map((f) => f.resource);
      this.emit({ type: 'announce', reason, failures: failed });
      if (failed.length > 0 && retries > 0 && this.state === 'active') {
        this.afterAnnounceDelay(this.config.timing.announceRepeatMs, () =>
          this.sendAnnouncement(reason, failed, retries - 1),
        );
      }
    });
    // A listener that throws must not stop the frames queued behind this one.
    this.announcing = frame.catch(() => undefined);
  }

  private peerView(): PeerView {
    const p = this.peer;
    const known = p !== undefined && this.peerLiveness === 'alive';
    return {
      nodeId: this.config.peerId,
      state: known ? p.state : 'unknown',
      role: p?.role ?? 'unknown',
      priority: p?.priority ?? 0,
      configVersion: p?.configVersion ?? 0,
      healthy: known ? p.healthy : false,
      pingOk: known ? p.pingOk : false,
      pingPending: known ? p.pingPending : false,
      preference: known ? p.preference : 'none',
      hearsSelf: known ? p.hearsPeer : false,
    };
  }
}

function changed(a: HeartbeatPacket, b: HeartbeatPacket): boolean {
  return (
    a.state !== b.state ||
    a.healthy !== b.healthy ||
    a.pingOk !== b.pingOk ||
    a.pingPending !== b.pingPending ||
    a.preference !== b.preference ||
    a.priority !== b.priority ||
    a.configVersion !== b.configVersion ||
    a.hearsPeer !== b.hearsPeer
  );
}
