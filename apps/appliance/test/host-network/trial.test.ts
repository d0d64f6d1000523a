import { describe, expect, it } from 'vitest';
import { couldLockOut, NetworkTrial, type TrialRecord } from '../../src/host-network/trial.js';
import { type NetworkSettings, networkSchema } from '../../src/model/schema.js';
import { FakeClock } from '../fakes/trial-clock.js';

const net = (address: string, extra: object = {}): NetworkSettings =>
  networkSchema.parse({ interfaces: [{ name: 'eth0', addresses: [address] }], ...extra });

function setup(saved?: TrialRecord) {
  const clock = new FakeClock();
  const expired: TrialRecord[] = [];
  const saves: (TrialRecord | undefined)[] = [];
  const trial = new NetworkTrial({
    timeoutMs: 120_000,
    clock,
    onExpire: (record) => expired.push(record),
    save: async (record) => {
      saves.push(record);
    },
  });
  trial.start({ version: 1, network: net('192.0.2.21/24') }, saved);
  return { clock, trial, expired, saves };
}

describe('NetworkTrial', () => {
  it('says which changes could lock the admin out: addresses, gateways, routes; not DNS, NTP or the host name', () => {
    const base = net('192.0.2.21/24');
    expect(couldLockOut(base, net('192.0.2.22/24'))).toBe(true);
    expect(couldLockOut(base, net('192.0.2.21/24', { defaultGateway: { ipv4: '192.0.2.1' } }))).toBe(true);
    expect(
      couldLockOut(base, net('192.0.2.21/24', { routes: [{ destination: '198.51.100.0/24', gateway: '192.0.2.9' }] })),
    ).toBe(true);
    expect(
      couldLockOut(
        base,
        net('192.0.2.21/24', { dns: { servers: ['192.0.2.53'] }, ntpServers: ['192.0.2.123'], hostname: 'lb' }),
      ),
    ).toBe(false);
  });

  it('rolls an unconfirmed change back after the timeout, to the last confirmed settings', async () => {
    const { clock, trial, expired, saves } = setup();
    expect(await trial.applied(2, net('192.0.2.21/24', { hostname: 'lb' }))).toBe('none');
    expect(await trial.applied(3, net('192.0.2.22/24'))).toBe('started');
    expect(trial.pending).toMatchObject({ version: 3, restoreVersion: 2, deadline: clock.time + 120_000 });
    expect(saves).toEqual([trial.pending]);
    clock.advance(119_999);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toHaveLength(1);
    expect(expired[0]?.restore).toEqual(net('192.0.2.21/24', { hostname: 'lb' }));
    expect(trial.pending).toBeUndefined();
    expect(saves).toHaveLength(1);
    // The rollback's version brings back the confirmed settings: no new trial, the record is cleared.
    expect(await trial.applied(4, net('192.0.2.21/24', { hostname: 'lb' }))).toBe('none');
    expect(saves).toEqual([expect.objectContaining({ version: 3 }), undefined]);
  });

  it('keeps a confirmed change: no rollback, and the next trial restores it', async () => {
    const { clock, trial, expired, saves } = setup();
    await trial.applied(2, net('192.0.2.22/24'));
    const record = await trial.confirm();
    expect(record.version).toBe(2);
    expect(saves.at(-1)).toBeUndefined();
    clock.advance(600_000);
    expect(expired).toEqual([]);
    await trial.applied(3, net('192.0.2.23/24'));
    expect(trial.pending).toMatchObject({ version: 3, restoreVersion: 2, restore: net('192.0.2.22/24') });
    await expect(setup().trial.confirm()).rejects.toMatchObject({ code: 'NETWORK_NO_TRIAL' });
  });

  it('a second change during a trial restarts the countdown and still restores the settings before the first', async () => {
    const { clock, trial, expired } = setup();
    await trial.applied(2, net('192.0.2.22/24'));
    clock.advance(100_000);
    await trial.applied(3, net('192.0.2.23/24'));
    clock.advance(100_000);
    expect(expired).toEqual([]);
    clock.advance(20_000);
    expect(expired.map((r) => [r.version, r.restoreVersion])).toEqual([[3, 1]]);
    expect(expired[0]?.restore).toEqual(net('192.0.2.21/24'));
  });

  it('an admin putting the old settings back ends the trial', async () => {
    const { clock, trial, expired, saves } = setup();
    await trial.applied(2, net('192.0.2.22/24'));
    expect(await trial.applied(3, net('192.0.2.21/24'))).toBe('ended');
    expect(saves.at(-1)).toBeUndefined();
    clock.advance(200_000);
    expect(expired).toEqual([]);
  });

  it('resumes a saved trial at start (a restart or reboot during it) with the time it had left', () => {
    const saved: TrialRecord = {
      version: 5,
      network: net('192.0.2.22/24'),
      restoreVersion: 4,
      restore: net('192.0.2.21/24'),
      // 30 s after the fake clock's start.
      deadline: new FakeClock().time + 30_000,
    };
    const { clock, expired, trial } = setup(saved);
    expect(trial.pending?.version).toBe(5);
    clock.advance(29_999);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired.map((r) => r.restoreVersion)).toEqual([4]);
  });
});
