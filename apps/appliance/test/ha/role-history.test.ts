import { describe, expect, it } from 'vitest';
import { RoleHistory } from '../../src/ha/role-history.js';

describe('RoleHistory', () => {
  it('names a move by the reason that began it, from the time it ended, and counts it', () => {
    const history = new RoleHistory('passive', 0, 'heartbeat-started');
    history.observe({ to: 'acquiring', reason: 'peer-dead' }, 100);
    expect(history).toMatchObject({ state: 'passive', since: 0, reason: 'heartbeat-started' });
    history.observe({ to: 'active', reason: 'acquired' }, 130);
    expect(history).toMatchObject({ state: 'active', since: 130, reason: 'peer-dead' });
    history.observe({ to: 'releasing', reason: 'failback' }, 500);
    history.observe({ to: 'passive', reason: 'released' }, 520);
    expect(history).toMatchObject({ state: 'passive', since: 520, reason: 'failback' });
    expect(history.transitions()).toEqual({ 'peer-dead': 1, failback: 1 });
  });

  it('an acquire that fails is no transition; the next move has its own reason', () => {
    const history = new RoleHistory('passive', 0, 'heartbeat-started');
    history.observe({ to: 'acquiring', reason: 'takeover' }, 10);
    history.observe({ to: 'passive', reason: 'acquire-failed' }, 20);
    expect(history).toMatchObject({ state: 'passive', since: 0, reason: 'heartbeat-started' });
    expect(history.transitions()).toEqual({});
    history.observe({ to: 'acquiring', reason: 'ping-lost' }, 30);
    history.observe({ to: 'active', reason: 'acquired' }, 40);
    expect(history).toMatchObject({ state: 'active', since: 40, reason: 'ping-lost' });
    history.settle('active', 50, 'standalone');
    expect(history.transitions()).toEqual({ 'ping-lost': 1 });
  });

  it("the daemon's first state is where it begins, not a transition", () => {
    const history = new RoleHistory('passive', 0, 'start');
    history.settle('active', 5, 'standalone');
    expect(history).toMatchObject({ state: 'active', since: 5, reason: 'standalone' });
    expect(history.transitions()).toEqual({});
    history.settle('passive', 9, 'heartbeat-started');
    expect(history.transitions()).toEqual({ 'heartbeat-started': 1 });
  });
});
