import { describe, expect, it } from 'vitest';
import type { HeartbeatPacket } from '../src/packet.js';
import { PeerFilter, REPLAY_WINDOW, ReplayWindow } from '../src/replay.js';

const FROM_B: HeartbeatPacket = {
  keyId: 1,
  nodeId: 'lb-b',
  role: 'slave',
  state: 'passive',
  priority: 100,
  configVersion: 1,
  healthy: true,
  pingOk: true,
  pingPending: false,
  preference: 'none',
  hearsPeer: true,
  epoch: 1000,
  sequence: 1,
};

describe('ReplayWindow', () => {
  it('accepts each sequence once, in any order within the window', () => {
    const w = new ReplayWindow();
    for (const seq of [10, 12, 11, 9]) {
      expect(w.check(5, seq)).toBe('ok');
      w.accept(5, seq);
    }
    for (const seq of [9, 10, 11, 12]) expect(w.check(5, seq)).toBe('replay');
    expect(w.check(5, 8)).toBe('ok');
  });

  it('rejects anything older than the window', () => {
    const w = new ReplayWindow();
    w.accept(5, 1000);
    expect(w.check(5, 1000 - REPLAY_WINDOW)).toBe('replay');
    expect(w.check(5, 1000 - REPLAY_WINDOW + 1)).toBe('ok');
    w.accept(5, 1000 + 10 * REPLAY_WINDOW);
    expect(w.check(5, 1000 + 10 * REPLAY_WINDOW - 1)).toBe('ok');
    expect(w.check(5, 1000)).toBe('replay');
  });

  it('takes a newer epoch as a restart and refuses older epochs for good', () => {
    const w = new ReplayWindow();
    w.accept(5, 900);
    expect(w.check(6, 1)).toBe('ok');
    w.accept(6, 1);
    expect(w.check(6, 2)).toBe('ok');
    expect(w.check(5, 901)).toBe('stale-epoch');
  });
});

describe('PeerFilter', () => {
  const filter = () => new PeerFilter({ nodeId: 'lb-a', role: 'master', peerId: 'lb-b' });

  it('admits the configured peer once per sequence', () => {
    const f = filter();
    expect(f.admit(FROM_B)).toBe('ok');
    expect(f.admit(FROM_B)).toBe('replay');
    expect(f.admit({ ...FROM_B, sequence: 2 })).toBe('ok');
  });

  it('gives each rejection its own reason', () => {
    const f = filter();
    expect(f.admit({ ...FROM_B, nodeId: 'lb-a', role: 'master' })).toBe('own-packet');
    expect(f.admit({ ...FROM_B, nodeId: 'lb-c' })).toBe('unknown-node');
    expect(f.admit({ ...FROM_B, role: 'master' })).toBe('role-conflict');
    expect(f.admit({ ...FROM_B, epoch: 2000, sequence: 5 })).toBe('ok');
    expect(f.admit({ ...FROM_B, epoch: 1000, sequence: 6 })).toBe('stale-epoch');
  });
});
