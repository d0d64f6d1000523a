import { describe, expect, it } from 'vitest';
import { MAX_HASHED_SERVER_ID, serverIdsByLabel } from './server-ids.js';

/** Two labels whose hashes land on the same id: found by trying `rs0`, `rs1`, ... */
function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; i < 100_000; i++) {
    const label = `rs${i}`;
    const id = serverIdsByLabel([label]).get(label) as number;
    const other = seen.get(id);
    if (other !== undefined) return [other, label];
    seen.set(id, label);
  }
  throw new Error('no two labels of rs0..rs99999 share an id');
}

describe('serverIdsByLabel', () => {
  it('gives the same id to a label whatever the list around it', () => {
    const alone = serverIdsByLabel(['web-1']).get('web-1');
    expect(serverIdsByLabel(['a', 'web-1', 'z']).get('web-1')).toBe(alone);
    expect(serverIdsByLabel(['z', 'web-1']).get('web-1')).toBe(alone);
  });

  it('gives distinct ids from 1 to MAX_HASHED_SERVER_ID to many labels', () => {
    const labels = Array.from({ length: 2_000 }, (_, i) => `server-${i}`);
    const ids = serverIdsByLabel(labels);
    expect(ids.size).toBe(2_000);
    expect(new Set(ids.values()).size).toBe(2_000);
    for (const id of ids.values()) {
      expect(Number.isInteger(id)).toBe(true);
      expect(id).toBeGreaterThanOrEqual(1);
      expect(id).toBeLessThanOrEqual(MAX_HASHED_SERVER_ID);
    }
  });

  it('settles a collision the same way in either order', () => {
    const [a, b] = collidingPair();
    const forward = serverIdsByLabel([a, b]);
    const backward = serverIdsByLabel([b, a]);
    expect(forward.get(a)).not.toBe(forward.get(b));
    expect([...backward].sort()).toEqual([...forward].sort());
    // The label that sorts first keeps the hashed id; the other takes the next one.
    const [first, second] = [a, b].sort() as [string, string];
    const hashed = serverIdsByLabel([first]).get(first) as number;
    expect(forward.get(first)).toBe(hashed);
    expect(forward.get(second)).toBe((hashed % MAX_HASHED_SERVER_ID) + 1);
  });

  it('is a fixed function of the label (a changed hash would move every hashed client)', () => {
    // FNV-1a 32 of the UTF-8 label, modulo 1,000,000, plus 1 (computed apart from this code).
    expect(Object.fromEntries(serverIdsByLabel(['alpha', 'bravo', 'charlie']))).toEqual({
      alpha: 418668,
      bravo: 755908,
      charlie: 339074,
    });
  });
});
