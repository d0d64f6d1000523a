import { IpvsError, type SyncDaemon } from '@sluice/ipvs';
import { describe, expect, it } from 'vitest';
import { ConnectionSyncDaemons, desiredSyncDaemons, type SyncClient } from '../../src/engine/layer4/connection-sync.js';
import { validateConfig } from '../../src/model/validate.js';
import { ecmpConfig } from '../fixtures/ecmp-config.js';
import { pairHeartbeat, version } from './fakes.js';

type SyncInput = Parameters<typeof pairHeartbeat>[0];
/** Loosely typed: the schema's tests hand it what the schema must refuse. */
const heartbeat = (connectionSync?: Record<string, unknown>, enabled = true) =>
  pairHeartbeat(connectionSync as SyncInput, enabled);

const configWith = (connectionSync?: Record<string, unknown>, enabled = true) =>
  version(1, heartbeat(connectionSync, enabled)).config;

/** The kernel's sync daemons as a fake: every call in order; `failWith` makes the next start refuse. */
class FakeSyncKernel implements SyncClient {
  daemons: SyncDaemon[] = [];
  readonly calls: string[] = [];
  failWith: Error | undefined;
  async listDaemons(): Promise<SyncDaemon[]> {
    this.calls.push('list');
    return structuredClone(this.daemons);
  }
  async startDaemon(daemon: SyncDaemon): Promise<void> {
    this.calls.push(`start ${daemon.state} ${daemon.interface} ${daemon.syncId}`);
    if (this.failWith) throw this.failWith;
    this.daemons.push(daemon);
  }
  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    this.calls.push(`stop ${state}`);
    this.daemons = this.daemons.filter((d) => d.state !== state);
  }
}

describe('connection sync: the daemon the role asks for', () => {
  it('none standalone, with HA off, without the setting or with it switched off', () => {
    expect(desiredSyncDaemons(version(1, {}).config, true)).toEqual([]);
    expect(desiredSyncDaemons(configWith({ interface: 'eth1' }, false), true)).toEqual([]);
    expect(desiredSyncDaemons(configWith(), true)).toEqual([]);
    expect(desiredSyncDaemons(configWith({ enabled: false, interface: 'eth1' }), true)).toEqual([]);
  });

  it('the active node the master, the passive node the backup, with the configured options (IPv6 too)', () => {
    const config = configWith({ interface: 'eth1', syncId: 7 });
    expect(desiredSyncDaemons(config, true)).toEqual([{ state: 'master', interface: 'eth1', syncId: 7 }]);
    expect(desiredSyncDaemons(config, false)).toEqual([{ state: 'backup', interface: 'eth1', syncId: 7 }]);
    const v6 = configWith({ interface: 'eth1', group: 'ff02::8848', port: 8849, ttl: 2, maxPacketLength: 1400 });
    expect(desiredSyncDaemons(v6, false)).toEqual([
      {
        state: 'backup',
        interface: 'eth1',
        syncId: 0,
        group: 'ff02::8848',
        port: 8849,
        ttl: 2,
        maxLength: 1400,
      },
    ]);
  });

  it('the schema bounds every option and names the field', () => {
    const errors = (sync: Record<string, unknown>) => {
      const result = validateConfig(heartbeat(sync));
      return result.ok ? [] : result.errors.map((e) => e.field);
    };
    expect(errors({ interface: 'eth1', syncId: 255, group: '239.1.2.3', port: 65535, ttl: 255 })).toEqual([]);
    expect(errors({ interface: 'eth1', syncId: 256 })).toEqual(['heartbeat.connectionSync.syncId']);
    expect(errors({ interface: 'eth1', syncId: -1 })).toEqual(['heartbeat.connectionSync.syncId']);
    expect(errors({ interface: 'eth1', group: '192.0.2.1' })).toEqual(['heartbeat.connectionSync.group']);
    expect(errors({ interface: 'eth1', group: '2001:db8::1' })).toEqual(['heartbeat.connectionSync.group']);
    expect(errors({ interface: 'eth1', port: 0 })).toEqual(['heartbeat.connectionSync.port']);
    expect(errors({ interface: 'eth1', ttl: 0 })).toEqual(['heartbeat.connectionSync.ttl']);
    expect(errors({ interface: 'eth1', maxPacketLength: 65536 })).toEqual(['heartbeat.connectionSync.maxPacketLength']);
    expect(errors({ interface: 'eth 1' })).toEqual(['heartbeat.connectionSync.interface']);
    expect(errors({ syncId: 1 })).toEqual(['heartbeat.connectionSync.interface']);
    expect(errors({ interface: 'eth1', mcastGroup: '224.0.0.81' })).toEqual(['heartbeat.connectionSync.mcastGroup']);
  });
});

describe('connection sync: the kernel follows the role (fake kernel)', () => {
  const master = desiredSyncDaemons(configWith({ interface: 'eth1', syncId: 7 }), true);
  const backup = desiredSyncDaemons(configWith({ interface: 'eth1', syncId: 7 }), false);

  it('passive: the backup; takeover: the backup stops before the master starts; failback: the reverse', async () => {
    const kernel = new FakeSyncKernel();
    const sync = new ConnectionSyncDaemons();
    expect(await sync.apply(kernel, backup)).toEqual(['layer4: + connection sync backup on eth1 (sync id 7)']);
    expect(sync.status()).toEqual({ state: 'backup', interface: 'eth1', syncId: 7 });
    kernel.calls.length = 0;
    expect(await sync.apply(kernel, master)).toEqual([
      'layer4: - connection sync backup on eth1 (sync id 7)',
      'layer4: + connection sync master on eth1 (sync id 7)',
    ]);
    expect(kernel.calls).toEqual(['list', 'stop backup', 'start master eth1 7']);
    expect(sync.status()).toEqual({ state: 'master', interface: 'eth1', syncId: 7 });
    kernel.calls.length = 0;
    await sync.apply(kernel, backup);
    expect(kernel.calls).toEqual(['list', 'stop master', 'start backup eth1 7']);
    expect(kernel.daemons.map((d) => d.state)).toEqual(['backup']);
  });

  it('the same role again asks the kernel nothing (every health transition applies Layer 4)', async () => {
    const kernel = new FakeSyncKernel();
    const sync = new ConnectionSyncDaemons();
    await sync.apply(kernel, master);
    kernel.calls.length = 0;
    expect(await sync.apply(kernel, master)).toEqual([]);
    expect(kernel.calls).toEqual([]);
  });

  it("a previous run's daemons are replaced by the configured one; switched off or standalone: none runs", async () => {
    const kernel = new FakeSyncKernel();
    kernel.daemons = [
      { state: 'master', interface: 'eth1', syncId: 7 },
      { state: 'backup', interface: 'eth9', syncId: 3 },
    ];
    const sync = new ConnectionSyncDaemons();
    await sync.apply(kernel, master);
    expect(kernel.calls).toEqual(['list', 'stop master', 'stop backup', 'start master eth1 7']);
    expect(await sync.apply(kernel, [])).toEqual(['layer4: - connection sync master on eth1 (sync id 7)']);
    expect(kernel.daemons).toEqual([]);
    expect(sync.status()).toEqual({ state: 'off' });
  });

  it("own: another tool's daemon (keepalived's backup) is left running, also by drift; ours still come and go", async () => {
    const kernel = new FakeSyncKernel();
    kernel.daemons = [{ state: 'backup', interface: 'eth1', syncId: 51 }];
    const sync = new ConnectionSyncDaemons();
    expect(await sync.apply(kernel, [], false)).toEqual([]);
    expect(await sync.drift(kernel)).toEqual([]);
    expect(kernel.daemons).toEqual([{ state: 'backup', interface: 'eth1', syncId: 51 }]);
    // Taking over as master (the switch): ours starts beside it; the backup stays theirs.
    expect(await sync.apply(kernel, master, false)).toEqual(['layer4: + connection sync master on eth1 (sync id 7)']);
    expect(kernel.daemons.map((d) => d.state)).toEqual(['backup', 'master']);
    // Ours goes when no longer wanted; theirs stays.
    expect(await sync.apply(kernel, [], false)).toEqual(['layer4: - connection sync master on eth1 (sync id 7)']);
    expect(kernel.daemons).toEqual([{ state: 'backup', interface: 'eth1', syncId: 51 }]);
    // The whole table ours again (all): theirs is stopped.
    expect(await sync.apply(kernel, [], true)).toEqual(['layer4: - connection sync backup on eth1 (sync id 51)']);
    expect(kernel.daemons).toEqual([]);
  });

  it('drift puts back a daemon stopped or replaced out of band, and asks only for the list when all is as applied', async () => {
    const kernel = new FakeSyncKernel();
    const sync = new ConnectionSyncDaemons();
    await sync.apply(kernel, backup);
    kernel.calls.length = 0;
    expect(await sync.drift(kernel)).toEqual([]);
    expect(kernel.calls).toEqual(['list']);
    kernel.daemons = [];
    expect(await sync.drift(kernel)).toEqual(['layer4: + connection sync backup on eth1 (sync id 7)']);
    kernel.daemons = [{ state: 'backup', interface: 'eth9', syncId: 7 }];
    kernel.calls.length = 0;
    await sync.drift(kernel);
    expect(kernel.calls).toEqual(['list', 'list', 'stop backup', 'start backup eth1 7']);
    // Standalone: a daemon started by hand is stopped.
    await sync.apply(kernel, []);
    kernel.daemons = [{ state: 'master', interface: 'eth1', syncId: 1 }];
    expect(await sync.drift(kernel)).toEqual(['layer4: - connection sync master on eth1 (sync id 1)']);
    expect(kernel.daemons).toEqual([]);
  });

  it('a kernel without it is unavailable, a refused interface failed: each warned once, retried at the next apply', async () => {
    const kernel = new FakeSyncKernel();
    const warnings: string[] = [];
    const sync = new ConnectionSyncDaemons((message) => warnings.push(message));
    kernel.failWith = new IpvsError(
      'IPVS_FEATURE_UNAVAILABLE',
      'start the sync daemon: this kernel does not support it',
    );
    expect(await sync.apply(kernel, backup)).toEqual([]);
    expect(sync.status()).toEqual({
      state: 'unavailable',
      interface: 'eth1',
      syncId: 7,
      detail: 'connection sync backup: start the sync daemon: this kernel does not support it',
    });
    await sync.apply(kernel, backup);
    expect(kernel.calls.filter((c) => c.startsWith('start'))).toHaveLength(2);
    expect(warnings).toEqual(['connection sync backup: start the sync daemon: this kernel does not support it']);
    kernel.failWith = new IpvsError('IPVS_KERNEL_ERROR', 'start the sync daemon: ENODEV');
    await sync.apply(kernel, backup);
    expect(sync.status().state).toBe('failed');
    expect(warnings).toHaveLength(2);
    kernel.failWith = undefined;
    expect(await sync.apply(kernel, backup)).toEqual(['layer4: + connection sync backup on eth1 (sync id 7)']);
    expect(sync.status().state).toBe('backup');
  });
});

describe('connection sync in an ECMP cluster: master and backup on every node', () => {
  const ecmp = (connectionSync?: Record<string, unknown>) => {
    const input = ecmpConfig();
    if (connectionSync) input.cluster.connectionSync = connectionSync;
    return version(1, input).config;
  };

  it('both daemons whatever the role, none without the setting; the pair section is not read', () => {
    const config = ecmp({ interface: 'eth1', syncId: 9 });
    const both = [
      { state: 'master', interface: 'eth1', syncId: 9 },
      { state: 'backup', interface: 'eth1', syncId: 9 },
    ];
    expect(desiredSyncDaemons(config, true)).toEqual(both);
    expect(desiredSyncDaemons(config, false)).toEqual(both);
    expect(desiredSyncDaemons(ecmp(), true)).toEqual([]);
    expect(desiredSyncDaemons(ecmp({ interface: 'eth1', enabled: false }), true)).toEqual([]);
  });

  it('starts the backup then the master, reports both, asks nothing again, and drift puts back a stopped one', async () => {
    const kernel = new FakeSyncKernel();
    const sync = new ConnectionSyncDaemons();
    const both = desiredSyncDaemons(ecmp({ interface: 'eth1', syncId: 9 }), true);
    expect(await sync.apply(kernel, both)).toEqual([
      'layer4: + connection sync backup on eth1 (sync id 9)',
      'layer4: + connection sync master on eth1 (sync id 9)',
    ]);
    expect(sync.status()).toEqual({ state: 'both', interface: 'eth1', syncId: 9 });
    kernel.calls.length = 0;
    expect(await sync.apply(kernel, both)).toEqual([]);
    expect(kernel.calls).toEqual([]);
    await kernel.stopDaemon('master');
    expect(await sync.drift(kernel)).toEqual(['layer4: + connection sync master on eth1 (sync id 9)']);
    expect(kernel.daemons.map((d) => d.state).sort()).toEqual(['backup', 'master']);
    // Leaving the cluster for a passive pair node: the master goes, the backup stays as it is.
    const passive = desiredSyncDaemons(configWith({ interface: 'eth1', syncId: 9 }), false);
    expect(await sync.apply(kernel, passive)).toEqual(['layer4: - connection sync master on eth1 (sync id 9)']);
    expect(sync.status()).toEqual({ state: 'backup', interface: 'eth1', syncId: 9 });
  });
});
