/**
 * Stateful failover: the kernel's IPVS connection sync daemons follow the HA role. The
 * active node runs the master (its kernel multicasts its connection entries, persistence
 * templates with them), the passive node the backup (its kernel keeps them, bound to the
 * same real servers, so that they carry the connections the moment it takes the
 * addresses); a standalone node runs none. At a role change the daemons swap: the backup
 * stops before the master starts, as keepalived's `lvs_sync_daemon` does.
 */
import { type IpvsClient, IpvsError, type SyncDaemon } from '@sluice/ipvs';
import type { ConnectionSyncStatus } from '../../model/engine-status.js';
import type { ApplianceConfig } from '../../model/schema.js';

export type SyncClient = Pick<IpvsClient, 'listDaemons' | 'startDaemon' | 'stopDaemon'>;

/**
 * The daemons this node should run. A pair: the master on the active node, the backup on the
 * passive one. An ECMP cluster: both on every node (each sends its own entries and keeps the
 * others'). None when standalone, not configured or switched off.
 */
export function desiredSyncDaemons(config: ApplianceConfig, active: boolean): SyncDaemon[] {
  const heartbeat = config.heartbeat;
  const ecmp = config.cluster?.mode === 'ecmp';
  const sync = ecmp ? config.cluster?.connectionSync : heartbeat?.enabled ? heartbeat.connectionSync : undefined;
  if (!sync?.enabled) return [];
  const settings = {
    interface: sync.interface,
    syncId: sync.syncId,
    ...(sync.maxPacketLength === undefined ? {} : { maxLength: sync.maxPacketLength }),
    ...(sync.group === undefined ? {} : { group: sync.group }),
    ...(sync.port === undefined ? {} : { port: sync.port }),
    ...(sync.ttl === undefined ? {} : { ttl: sync.ttl }),
  };
  if (ecmp)
    return [
      { state: 'master', ...settings },
      { state: 'backup', ...settings },
    ];
  return [{ state: active ? 'master' : 'backup', ...settings }];
}

function describe(d: SyncDaemon): string {
  const options = [
    d.group === undefined ? '' : ` group ${d.group}`,
    d.port === undefined ? '' : ` port ${d.port}`,
    d.ttl === undefined ? '' : ` ttl ${d.ttl}`,
    d.maxLength === undefined ? '' : ` max length ${d.maxLength}`,
  ].join('');
  return `connection sync ${d.state} on ${d.interface} (sync id ${d.syncId}${options})`;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ConnectionSyncDaemons {
  /**
   * What this process started, by state (the desired daemon as JSON). A daemon the kernel
   * runs that this process did not start (a previous run's, ipvsadm's) is restarted once
   * with the configured options: the kernel reports defaults where none were given, so
   * comparing its view with the configuration could not tell them apart.
   */
  private readonly started = new Map<SyncDaemon['state'], string>();
  /** The desired daemons the kernel was last made to run (as JSON); undefined: ask the kernel. */
  private applied: string | undefined;
  /** The desired daemons of the last successful apply, for drift() to put back. */
  private last: SyncDaemon[] = [];
  private current: ConnectionSyncStatus = { state: 'off' };
  private readonly warn: (message: string) => void;

  constructor(warn: (message: string) => void = () => undefined) {
    this.warn = warn;
  }

  status(): ConnectionSyncStatus {
    return this.current;
  }

  /** Whether a sync daemon this process did not start is stopped (`ipvs.ownership: all`). */
  private ownsForeign = true;

  /**
   * Makes the kernel run the `desired` daemons and no other; resolves with the change lines.
   * With `ownsForeign` false (`ipvs.ownership: own`), a daemon this process did not start
   * and `desired` does not need (keepalived's `lvs_sync_daemon` on a box moving to the
   * appliance) is left running: stopping it would forget the peer's connections before the
   * switch. Never rejects: the Layer 4 services apply whatever happens here, and a failure
   * is the status (and a warning when it is new).
   */
  async apply(client: SyncClient, desired: readonly SyncDaemon[], ownsForeign = true): Promise<string[]> {
    if (ownsForeign !== this.ownsForeign) this.applied = undefined;
    this.ownsForeign = ownsForeign;
    const want = JSON.stringify(desired);
    // Every Layer 4 apply (a health transition too) comes here: the kernel is asked only when the role or settings moved.
    if (want === this.applied) return [];
    this.applied = undefined;
    const changes: string[] = [];
    const wanted = new Map(desired.map((d) => [d.state, JSON.stringify(d)]));
    try {
      const running = new Set<SyncDaemon['state']>();
      for (const daemon of await client.listDaemons()) {
        const same = wanted.get(daemon.state);
        if (same !== undefined && this.started.get(daemon.state) === same) {
          running.add(daemon.state);
          continue;
        }
        // Another tool's daemon, in a state we do not need: theirs, unless we own the whole table.
        if (!ownsForeign && !this.started.has(daemon.state) && same === undefined) continue;
        await client.stopDaemon(daemon.state);
        this.started.delete(daemon.state);
        changes.push(`layer4: - connection sync ${daemon.state} on ${daemon.interface} (sync id ${daemon.syncId})`);
      }
      // The backup before the master: a node starts keeping the others' entries before it sends its own.
      for (const daemon of [...desired].sort((a, b) => (a.state === 'backup' ? -1 : b.state === 'backup' ? 1 : 0))) {
        if (running.has(daemon.state)) continue;
        await client.startDaemon(daemon);
        this.started.set(daemon.state, wanted.get(daemon.state) as string);
        changes.push(`layer4: + ${describe(daemon)}`);
      }
      this.applied = want;
      this.last = [...desired];
      const first = desired[0];
      this.set(
        first === undefined
          ? { state: 'off' }
          : {
              state: desired.length > 1 ? 'both' : first.state,
              interface: first.interface,
              syncId: first.syncId,
            },
      );
    } catch (error) {
      // A kernel without the feature or refusing an option (an IPv6 group before 4.3): unavailable; anything else failed.
      const unavailable =
        error instanceof IpvsError &&
        (error.code === 'IPVS_FEATURE_UNAVAILABLE' || error.code === 'IPVS_KERNEL_INVALID');
      const first = desired[0];
      const states = desired.map((d) => d.state).join(' and ');
      this.set({
        state: unavailable ? 'unavailable' : 'failed',
        ...(first === undefined ? {} : { interface: first.interface, syncId: first.syncId }),
        detail: `connection sync${states === '' ? '' : ` ${states}`}: ${message(error)}`,
      });
    }
    return changes;
  }

  /**
   * Puts back a daemon stopped or replaced out of band (`ipvsadm --stop-daemon`): resolves
   * with what it changed. After a failed apply it leaves the kernel to the next apply.
   */
  async drift(client: SyncClient): Promise<string[]> {
    if (this.applied === undefined) return [];
    const want = this.last;
    const states = new Set(want.map((d) => d.state));
    // Only the daemons that are ours to run (all of them with `all`).
    const running = (await client.listDaemons()).filter(
      (d) => this.ownsForeign || this.started.has(d.state) || states.has(d.state),
    );
    const matches = (w: SyncDaemon) =>
      running.some((r) => r.state === w.state && r.interface === w.interface && r.syncId === w.syncId);
    if (running.length === want.length && want.every(matches)) return [];
    // A daemon that runs as wanted stays; any other, this process did not start as it is now.
    for (const state of [...this.started.keys()]) {
      const w = want.find((d) => d.state === state);
      if (w === undefined || !matches(w)) this.started.delete(state);
    }
    this.applied = undefined;
    return this.apply(client, want, this.ownsForeign);
  }

  private set(next: ConnectionSyncStatus): void {
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    this.current = next;
    if (changed && next.detail !== undefined) this.warn(next.detail);
  }
}
