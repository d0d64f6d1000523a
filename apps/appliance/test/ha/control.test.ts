import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { createHaControl } from '../../src/ha/control.js';
import type { HaLocalOptions } from '../../src/ha/identity.js';
import { haWarnings } from '../../src/ha/warnings.js';
import type { HaStatus } from '../../src/model/ha-status.js';
import type { StoredVersion } from '../../src/store/contract.js';
import { FakeAdminStates, FakeStore, version } from './fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-ha-control-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function setup(store = new FakeStore(1), local?: HaLocalOptions) {
  const calls: string[] = [];
  const engine = {
    async setActive(active: boolean) {
      calls.push(`setActive ${active}`);
    },
    async announce() {},
  };
  const ha = createHaControl({
    store,
    engine,
    adminStates: new FakeAdminStates(),
    dataDir: dir,
    niceness: null,
    ...(local === undefined ? {} : { local }),
  });
  return { ha, calls, store };
}

/** Give a version a heartbeat section (the FakeStore's versions are the store's objects). */
function withHeartbeat(version: StoredVersion): StoredVersion {
  return Object.assign(version, {
    config: {
      ...version.config,
      heartbeat: {
        enabled: true,
        peer: { name: 'lb2', address: '192.0.2.2' },
        links: [{ interface: 'eth0' }],
        key: 'a pair key of sixteen or more',
        pingNodes: [],
        autoFailback: true,
      },
    },
  });
}

async function rejection(promise: Promise<unknown>): Promise<ApplianceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  return error as ApplianceError;
}

describe('HaControl standalone (no heartbeat section, or disabled)', () => {
  it('is active and editable, makes the engine active at start, refuses takeover and standby', async () => {
    const { ha, calls } = setup();
    const seen: HaStatus[] = [];
    ha.onStatus((s) => seen.push(s));
    await ha.start();
    expect(calls).toEqual(['setActive true']);
    expect(ha.status()).toEqual({
      enabled: false,
      role: 'standalone',
      state: 'active',
      link: 'unknown',
      warnings: [],
      since: expect.any(String),
      reason: 'standalone',
      transitions: {},
    });
    expect(ha.isEditable()).toBe(true);
    expect(seen.at(-1)?.state).toBe('active');
    expect((await rejection(ha.takeover())).code).toBe('HA_DISABLED');
    expect((await rejection(ha.standby())).code).toBe('HA_DISABLED');
    await ha.committed(version(2));
    expect(calls).toEqual(['setActive true']);
    await ha.stop();
  });

  it('refuses replicas while HA is off', async () => {
    const { ha } = setup();
    await ha.start();
    const result = await ha.handleReplica('{}', {});
    expect(result).toMatchObject({ status: 409, body: { error: { code: 'HA_DISABLED' } } });
    await ha.stop();
  });

  it('a heartbeat section that cannot start leaves the node passive but editable, with the reason', async () => {
    const store = new FakeStore(1);
    // The slave role without --ha-peer: the master is unknown.
    withHeartbeat(store.commit());
    const { ha, calls } = setup(store, { role: 'slave' });
    await ha.start();
    expect(calls).toEqual(['setActive false']);
    const status = ha.status();
    expect(status).toMatchObject({ enabled: true, role: 'slave', state: 'passive', link: 'unknown' });
    expect(status.warnings[0]).toMatch(/HA could not start: .*--ha-peer/);
    expect(ha.isEditable()).toBe(true);
    expect((await rejection(ha.takeover())).code).toBe('HA_DISABLED');
    await ha.stop();
  });
});

describe('HaControl reconfiguration', () => {
  it('a committed version that adds or removes the heartbeat section switches between standalone and HA', async () => {
    // A slave without its master cannot start: the switch is seen without a network.
    const { ha, calls, store } = setup(new FakeStore(1), { role: 'slave' });
    await ha.start();
    expect(ha.status().enabled).toBe(false);
    const withHa = withHeartbeat(store.commit());
    await ha.committed(withHa);
    expect(ha.status()).toMatchObject({ enabled: true, role: 'slave', state: 'passive' });
    expect(calls).toEqual(['setActive true', 'setActive false']);
    // The same section again: nothing restarts.
    await ha.committed(withHa);
    expect(calls).toHaveLength(2);
    const disabled = store.commit();
    Object.assign(disabled, {
      config: { ...withHa.config, heartbeat: { ...withHa.config.heartbeat, enabled: false } },
    });
    await ha.committed(disabled);
    expect(ha.status()).toMatchObject({ enabled: false, state: 'active' });
    expect(calls).toEqual(['setActive true', 'setActive false', 'setActive true']);
    await ha.stop();
  });

  it('a version that changes only the connection sync does not restart the heartbeat (the engine applies it); others do', async () => {
    const store = new FakeStore(1);
    const first = withHeartbeat(store.commit());
    const { ha, calls } = setup(store, { role: 'slave' });
    await ha.start();
    expect(calls).toEqual(['setActive false']);
    const heartbeat = first.config.heartbeat as NonNullable<typeof first.config.heartbeat>;
    const next = (changes: Partial<typeof heartbeat>) => {
      const v = store.commit();
      return Object.assign(v, { config: { ...first.config, heartbeat: { ...heartbeat, ...changes } } });
    };
    await ha.committed(next({ connectionSync: { enabled: true, interface: 'eth1', syncId: 4 } }));
    await ha.committed(next({ connectionSync: { enabled: true, interface: 'eth1', syncId: 5 } }));
    expect(calls).toEqual(['setActive false']);
    // A failed start sets the engine passive again: the restart is seen without a network.
    await ha.committed(next({ autoFailback: false }));
    expect(calls).toEqual(['setActive false', 'setActive false']);
    await ha.stop();
  });
});

describe('HA warnings', () => {
  const heartbeat = {
    nodeId: 'master',
    role: 'master' as const,
    state: 'active' as const,
    preference: 'none' as const,
    healthy: true,
    pingOk: true,
    pingPending: false,
    link: 'up' as const,
    links: [
      { name: 'eth0', state: 'up' as const },
      { name: 'eth1', state: 'down' as const },
    ],
    peer: {
      nodeId: 'lb2',
      state: 'active' as const,
      role: 'slave' as const,
      priority: 100,
      configVersion: 0,
      healthy: true,
      pingOk: true,
      pingPending: false,
      preference: 'none' as const,
      hearsSelf: true,
    },
    configVersionMatches: undefined,
    rejected: {},
    timing: {
      sendLateness: { count: 0, sumMs: 0, lastMs: undefined, maxMs: 0, buckets: [] },
      peerGap: { count: 0, sumMs: 0, lastMs: undefined, maxMs: 0, buckets: [] },
    },
  };
  const base = { startFailure: undefined, peerName: 'lb2', replicationError: undefined };

  it('names a link down, both nodes active, and a peer behind', () => {
    expect(
      haWarnings({ ...base, heartbeat, ownHead: { version: 5, time: 'a' }, peerHead: { version: 3, time: 'b' } }),
    ).toEqual([
      'heartbeat link eth1 is down',
      'both nodes are active (split brain): the election makes one of them passive',
      "lb2's configuration is behind: version 3, this node has 5",
    ]);
  });

  it('names a silent peer, a peer ahead, diverged versions, unreachable ping nodes and a failed replication', () => {
    const silent = { ...heartbeat, state: 'passive' as const, link: 'down' as const, pingOk: false };
    expect(
      haWarnings({
        ...base,
        heartbeat: silent,
        ownHead: { version: 5, time: 'a' },
        peerHead: { version: 6, time: 'b' },
        replicationError: 'refused',
      }),
    ).toEqual([
      'no heartbeat from lb2: it is down or every heartbeat link is cut',
      'this node cannot reach its ping nodes: it will not take over',
      "lb2's configuration is ahead: version 6, this node has 5",
      'replication to lb2 failed: refused',
    ]);
    expect(
      haWarnings({
        ...base,
        heartbeat: undefined,
        ownHead: { version: 5, time: 'a' },
        peerHead: { version: 5, time: 'b' },
      }),
    ).toEqual([expect.stringMatching(/^lb2 holds a different version 5 \(the pair diverged/)]);
    expect(
      haWarnings({
        ...base,
        heartbeat: undefined,
        ownHead: { version: 5, time: 'a' },
        peerHead: { version: 5, time: 'a' },
      }),
    ).toEqual([]);
  });
});
