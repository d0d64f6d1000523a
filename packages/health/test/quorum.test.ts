import { describe, expect, it } from 'vitest';
import { Quorum } from '../src/index.js';

const servers = (...up: boolean[]) => up.map((u, i) => ({ id: `s${i}`, up: u }));

describe('Quorum', () => {
  it('goes down below quorum - hysteresis and up at quorum + hysteresis', () => {
    const q = new Quorum({ quorum: 3, hysteresis: 1 });
    expect(q.update(servers(true, true, true, false, false))).toMatchObject({ up: true, changed: false, upCount: 3 });
    expect(q.update(servers(true, true, false, false, false))).toMatchObject({ up: true, changed: false });
    expect(q.update(servers(true, false, false, false, false))).toMatchObject({ up: false, changed: true });
    expect(q.update(servers(true, true, true, false, false))).toMatchObject({ up: false, changed: false });
    expect(q.update(servers(true, true, true, true, false))).toMatchObject({ up: true, changed: true, upWeight: 4 });
  });

  it('counts weights, ignoring weight-0 servers', () => {
    const q = new Quorum({ quorum: 10 });
    const d = q.update([
      { id: 'a', up: true, weight: 6 },
      { id: 'b', up: true, weight: 0 },
      { id: 'c', up: false, weight: 100 },
    ]);
    expect(d).toMatchObject({ up: false, upWeight: 6, active: ['a'], useFallback: false });
  });

  it('falls back when none is up (default) or when quorum is lost', () => {
    expect(new Quorum().update(servers(false, false))).toMatchObject({ up: false, useFallback: true, active: [] });
    const strict = new Quorum({ quorum: 2, fallbackWhen: 'quorum-lost' });
    expect(strict.update(servers(true, false))).toMatchObject({ up: false, useFallback: true, active: [] });
    expect(strict.update(servers(true, true))).toMatchObject({ up: true, useFallback: false, active: ['s0', 's1'] });
  });

  it('rejects bad options with the field', () => {
    expect(() => new Quorum({ quorum: -1 })).toThrow(
      expect.objectContaining({ code: 'HEALTH_INVALID_OPTION', field: 'quorum' }),
    );
    expect(() => new Quorum({ quorum: 1, hysteresis: 2 })).toThrow(expect.objectContaining({ field: 'hysteresis' }));
    expect(() => new Quorum().update([{ id: 'a', up: true, weight: -1 }])).toThrow(
      expect.objectContaining({ field: 'members[0].weight' }),
    );
  });
});
