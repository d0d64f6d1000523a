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

/** The daemon this node should run: none when standalone, not configured or switched off. */
export function desiredSyncDaemon(config: ApplianceConfig, active: boolean): SyncDaemon | undefined {
  const heartbeat = config.heartbeat;
  const sync = heartbeat?.connectionSync;
  if (!heartbeat?.enabled || !sync?.enabled) return undefined;
  return {
    state: active ? 'master' : 'backup',
    interface: sync.interface,
    syncId: sync.syncId,
    ...(sync.maxPacketLength === undefined ? {} : { maxLength: sync.maxPacketLength }),
    ...(sync.group === undefined ? {} : { group: sync.group }),
    ...(sync.port === undefined ? {} : { port: sync.port }),
    ...(sync.ttl === undefined ? {} : { ttl: sync.ttl }),
  };
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
  /** The desired daemon the kernel was last made to run ('none': none); undefined: ask the kernel. */
  private applied: string | undefined;
  /** The desired daemon of the last successful apply (undefined: none), for drift() to put back. */
  private last: SyncDaemon | undefined;
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
   * Makes the kernel run `desired` and no other sync daemon; resolves with the change lines.
   * With `ownsForeign` false (`ipvs.ownership: own`), a daemon this process did not start
   * and `desired` does not need (keepalived's `lvs_sync_daemon` on a box moving to the
   * appliance) is left running: stopping it would forget the peer's connections before the
   * switch. Never rejects: the Layer 4 services apply whatever happens here, and a failure
   * is the status (and a warning when it is new).
   */
  async apply(client: SyncClient, desired: SyncDaemon | undefined, ownsForeign = true): Promise<string[]> {
    if (ownsForeign !== this.ownsForeign) this.applied = undefined;
    this.ownsForeign = ownsForeign;
    const want = desired === undefined ? 'none' : JSON.stringify(desired);
    // Every Layer 4 apply (a health transition too) comes here: the kernel is asked only when the role or settings moved.
    if (want === this.applied) return [];
    this.applied = undefined;
    const changes: string[] = [];
    try {
      let running = false;
      for (const daemon of await client.listDaemons()) {
        if (daemon.state === desired?.state && this.started.get(daemon.state) === want) {
          running = true;
          continue;
        }
        // Another tool's daemon, in a state we do not need: theirs, unless we own the whole table.
        if (!ownsForeign && !this.started.has(daemon.state) && daemon.state !== desired?.state) continue;
        await client.stopDaemon(daemon.state);
        this.started.delete(daemon.state);
        changes.push(`layer4: - connection sync ${daemon.state} on ${daemon.interface} (sync id ${daemon.syncId})`);
      }
      if (desired !== undefined && !running) {
        await client.startDaemon(desired);
        this.started.set(desired.state, want);
        changes.push(`layer4: + ${describe(desired)}`);
      }
      this.applied = want;
      this.last = desired;
      this.set(
        desired === undefined
          ? { state: 'off' }
          : { state: desired.state, interface: desired.interface, syncId: desired.syncId },
      );
    } catch (error) {
      // A kernel without the feature or refusing an option (an IPv6 group before 4.3): unavailable; anything else failed.
      const unavailable =
        error instanceof IpvsError &&
        (error.code === 'IPVS_FEATURE_UNAVAILABLE' || error.code === 'IPVS_KERNEL_INVALID');
      this.set({
        state: unavailable ? 'unavailable' : 'failed',
        ...(desired === undefined ? {} : { interface: desired.interface, syncId: desired.syncId }),
        detail: `connection sync${desired === undefined ? '' : ` ${desired.state}`}: ${message(error)}`,
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
    // Only the daemons that are ours to run (all of them with `all`).
    const running = (await client.listDaemons()).filter(
      (d) => this.ownsForeign || this.started.has(d.state) || d.state === want?.state,
    );
    const same =
      want === undefined
        ? running.length === 0
        : running.length === 1 &&
          running[0]?.state === want.state &&
          running[0].interface === want.interface &&
          running[0].syncId === want.syncId;
    if (same) return [];
    // Whatever runs now, this process did not start it as it is.
    this.started.clear();
    this.applied = undefined;
    return this.apply(client, want, this.ownsForeign);
  }

  private set(next: ConnectionSyncStatus): void {
    const changed = JSON.stringify(next) !== JSON.stringify(this.current);
    this.current = next;
    if (changed && next.detail !== undefined) this.warn(next.detail);
  }
}
