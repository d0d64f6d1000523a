import { HeartbeatError } from './errors.js';

/** Why resources are (re-)announced to the network. */
export type AnnounceReason =
  | 'acquired'
  | 'repeat'
  /** Both nodes were active; the peer has released. */
  | 'split-brain-recovered'
  /** The peer is back after every link was silent: it may have announced our addresses meanwhile. */
  | 'peer-returned'
  /** The periodic re-announcement while active (`announceRefreshMs`). */
  | 'refresh';

/**
 * Something the active node holds: a floating IP, IPVS services, HAProxy, a notification.
 * Acquired in the order given, released in reverse.
 */
export interface Resource {
  readonly name: string;
  acquire(): Promise<void>;
  release(): Promise<void>;
  /** Tells the network again where the resource lives (gratuitous ARP); optional. */
  announce?(reason: AnnounceReason): Promise<void>;
}

export interface ReleaseReport {
  /** Resources whose release failed, with the error; the others were released. */
  failures: { resource: string; error: unknown }[];
}

/**
 * Ordered acquire with rollback: if one resource fails, the ones before it are released
 * in reverse order and the failure is thrown (`HEARTBEAT_RESOURCE_FAILED`, `field` the
 * resource). Release goes on past failures so one stuck resource does not keep the rest.
 */
export class ResourceGroup {
  private readonly resources: readonly Resource[];

  constructor(resources: readonly Resource[]) {
    const names = new Set<string>();
    for (const [i, r] of resources.entries()) {
      if (typeof r?.name !== 'string' || r.name === '' || names.has(r.name)) {
        throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `resources[${i}] needs a unique, non-empty name`, {
          field: `resources[${i}].name`,
        });
      }
      names.add(r.name);
    }
    this.resources = resources;
  }

  get names(): string[] {
    return this.resources.map((r) => r.name);
  }

  async acquire(): Promise<void> {
    const done: Resource[] = [];
    for (const resource of this.resources) {
      try {
        await resource.acquire();
        done.push(resource);
      } catch (error) {
        const rollback = await this.releaseAll(done.reverse());
        throw new HeartbeatError(
          'HEARTBEAT_RESOURCE_FAILED',
          `acquiring ${resource.name} failed; rolled back ${done.length} resource(s)` +
            (rollback.failures.length ? `, ${rollback.failures.length} of which failed to release` : ''),
          { field: resource.name, cause: error },
        );
      }
    }
  }

  release(): Promise<ReleaseReport> {
    return this.releaseAll([...this.resources].reverse());
  }

  /**
   * Announces every resource, or the ones named in `only` (a retry of those that failed);
   * stops as soon as `proceed` says no (the node has started to release them).
   */
  async announce(
    reason: AnnounceReason,
    only?: readonly string[],
    proceed: () => boolean = () => true,
  ): Promise<ReleaseReport> {
    const failures: ReleaseReport['failures'] = [];
    for (const resource of this.resources) {
      if (only !== undefined && !only.includes(resource.name)) continue;
      if (!proceed()) break;
      try {
        await resource.announce?.(reason);
      } catch (error) {
        failures.push({ resource: resource.name, error });
      }
    }
    return { failures };
  }

  private async releaseAll(order: readonly Resource[]): Promise<ReleaseReport> {
    const failures: ReleaseReport['failures'] = [];
    for (const resource of order) {
      try {
        await resource.release();
      } catch (error) {
        failures.push({ resource: resource.name, error });
      }
    }
    return { failures };
  }
}
