import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRunner } from '@sluice/haproxy-config';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHostApplier } from '../../src/host-network/apply.js';
import { createHostNetwork, type HostNetwork } from '../../src/host-network/control.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { FakeClock } from '../fakes/trial-clock.js';

let dir: string;
let root: string;
let store: ConfigStore;
let commands: string[];
let logs: string[];
let clock: FakeClock;
let network: HostNetwork;

const runner: ProcessRunner = async (file, args) => {
  commands.push([file, ...args].join(' '));
  return { code: 0, stdout: '', stderr: '' };
};

function open(manage = true) {
  return createHostNetwork({
    manage,
    store,
    logs: {
      write: (channel, level, message) => {
        logs.push(`${level} ${message}`);
        return { seq: logs.length, time: '', channel, level, message };
      },
    },
    apply: createHostApplier({ root, runner, currentHostname: async () => 'debian' }),
    trialFile: join(dir, 'network-trial.json'),
    confirmSeconds: 120,
    clock,
  });
}

const put = async (network: object) => {
  const current = store.current();
  return store.commit({
    config: { ...current.config, network },
    baseVersion: current.version,
    author: 'admin',
    comment: 'test',
  });
};

const eth0 = (address: string) => ({ interfaces: [{ name: 'eth0', addresses: [address] }] });
const eth0File = () => readFile(join(root, 'etc/systemd/network/10-sluice-eth0.network'), 'utf8');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-host-network-'));
  root = join(dir, 'root');
  store = await ConfigStore.open(join(dir, 'config'));
  commands = [];
  logs = [];
  clock = new FakeClock();
});

afterEach(async () => {
  network?.stop();
  await network?.idle();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('host network', () => {
  it('is not managed unless asked: the section is stored, nothing is written, the status says so', async () => {
    network = open(false);
    await network.start();
    await put({ ...eth0('192.0.2.21/24'), hostname: 'lb1' });
    await network.idle();
    expect(commands).toEqual([]);
    await expect(stat(join(root, 'etc'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(network.status()).toMatchObject({ managed: false, state: 'not-managed' });
    expect(network.status().detail).toContain('host network: not managed on this host');
  });

  it('writes the files, tells networkd, resolved and timesyncd, sets the host name, and leaves files of others alone', async () => {
    network = open();
    await network.start();
    const factory = join(root, 'etc/systemd/network/90-sluice-factory.network');
    await put({
      interfaces: [{ name: 'eth1', addresses: ['198.51.100.1/24'] }],
      dns: { servers: ['192.0.2.53'] },
      ntpServers: ['192.0.2.123'],
      hostname: 'lb1',
    });
    await network.idle();
    await writeFile(factory, '[Match]\nName=eth0\n');
    expect(commands).toEqual([
      'networkctl reload',
      'networkctl reconfigure eth1',
      'systemctl try-restart systemd-resolved.service',
      'systemctl try-restart systemd-timesyncd.service',
      'hostnamectl set-hostname lb1',
    ]);
    expect(network.status()).toMatchObject({ managed: true, state: 'applied', appliedVersion: 2 });

    // The same files again: nothing is told. Then eth1 goes: its file is removed, the factory file stays.
    commands = [];
    await put({ dns: { servers: ['192.0.2.53'] }, ntpServers: ['192.0.2.123'] });
    await network.idle();
    expect(commands).toEqual(['networkctl reload', 'networkctl reconfigure eth1']);
    await expect(stat(join(root, 'etc/systemd/network/10-sluice-eth1.network'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await readFile(factory, 'utf8')).toBe('[Match]\nName=eth0\n');
  });

  it('puts an edited file back on a reload (systemctl reload), without a trial', async () => {
    network = open();
    await network.start();
    await put(eth0('192.0.2.21/24'));
    await network.idle();
    await network.confirm('admin');
    const written = await eth0File();
    await writeFile(join(root, 'etc/systemd/network/10-sluice-eth0.network'), '[Match]\nName=eth0\n');
    commands = [];
    await network.reapply();
    expect(await eth0File()).toBe(written);
    expect(commands).toEqual(['networkctl reload', 'networkctl reconfigure eth0']);
    expect(network.status().trial).toBeUndefined();
    expect(network.status()).toMatchObject({ state: 'applied', appliedVersion: 2 });
  });

  it('rolls an unconfirmed address change back after the timeout, as a new version that says why', async () => {
    await put(eth0('192.0.2.21/24'));
    network = open();
    await network.start();
    expect(await eth0File()).toContain('Address=192.0.2.21/24');
    await put(eth0('192.0.2.22/24'));
    await network.idle();
    expect(await eth0File()).toContain('Address=192.0.2.22/24');
    expect(network.status().trial).toMatchObject({ version: 3, restoreVersion: 2, secondsLeft: 120 });
    expect(JSON.parse(await readFile(join(dir, 'network-trial.json'), 'utf8'))).toMatchObject({ version: 3 });

    clock.advance(120_000);
    await network.idle();
    const head = store.current();
    expect(head.version).toBe(4);
    expect(head.author).toBe('system');
    expect(head.comment).toBe('network settings of version 3 not confirmed within 120 s: those of version 2 restored');
    expect(head.config.network.interfaces).toEqual(eth0('192.0.2.21/24').interfaces);
    expect(await eth0File()).toContain('Address=192.0.2.21/24');
    expect(network.status().trial).toBeUndefined();
    await expect(stat(join(dir, 'network-trial.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps a confirmed change', async () => {
    network = open();
    await network.start();
    await put(eth0('192.0.2.22/24'));
    await network.idle();
    await expect(network.confirm('admin')).resolves.toMatchObject({ state: 'applied' });
    expect(network.status().trial).toBeUndefined();
    clock.advance(600_000);
    await network.idle();
    expect(store.current().version).toBe(2);
    await expect(network.confirm('admin')).rejects.toMatchObject({ code: 'NETWORK_NO_TRIAL' });
  });

  it('resumes a trial after a restart and rolls back when it runs out', async () => {
    network = open();
    await network.start();
    await put(eth0('192.0.2.22/24'));
    await network.idle();
    network.stop();
    clock.advance(60_000);
    network = open();
    await network.start();
    expect(network.status().trial).toMatchObject({ version: 2, secondsLeft: 60 });
    clock.advance(60_000);
    await network.idle();
    expect(store.current()).toMatchObject({ version: 3, author: 'system' });
    expect(store.current().config.network.interfaces).toEqual([]);
  });

  it('applies nothing in an HA pair and says why', async () => {
    network = open();
    await network.start();
    const current = store.current();
    await store.commit({
      config: {
        ...current.config,
        network: eth0('192.0.2.21/24'),
        heartbeat: {
          enabled: true,
          peer: { name: 'lb2', address: '192.0.2.22' },
          links: [{ interface: 'eth0' }],
          key: 'a-long-shared-secret-key',
        },
      },
      baseVersion: current.version,
      author: 'admin',
    });
    await network.idle();
    expect(commands).toEqual([]);
    expect(network.status()).toMatchObject({ state: 'ha-pair' });
  });
});
