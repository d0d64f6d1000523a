import { describe, expect, it } from 'vitest';
import { type Candidate, elect } from '../src/election.js';

const master: Candidate = {
  nodeId: 'lb-a',
  role: 'master',
  priority: 100,
  state: 'passive',
  healthy: true,
  pingOk: true,
  pingPending: false,
  preference: 'none',
};
const slave: Candidate = { ...master, nodeId: 'lb-b', role: 'slave' };

describe('elect', () => {
  it('applies the rules in order and both sides agree', () => {
    const cases: [Partial<Candidate>, Partial<Candidate>, boolean, string][] = [
      [{}, {}, true, 'role'],
      [{ healthy: false }, {}, false, 'health'],
      [{ healthy: false }, { pingOk: false }, false, 'health'], // health first
      [{ pingOk: false, pingPending: true }, {}, true, 'role'], // no result yet: not held against it
      [{ pingOk: false }, { pingOk: false }, true, 'role'],
      [{ pingOk: false }, {}, false, 'ping'],
      [{ preference: 'passive' }, {}, false, 'preference'],
      [{}, { preference: 'active' }, false, 'preference'],
      [{ preference: 'active' }, { preference: 'active' }, true, 'role'],
      [{ healthy: false, preference: 'active' }, {}, false, 'health'],
    ];
    for (const [m, s, masterWins, rule] of cases) {
      const a = { ...master, ...m };
      const b = { ...slave, ...s };
      expect(elect(a, b, true), JSON.stringify([m, s])).toEqual({ selfWins: masterWins, rule });
      expect(elect(b, a, true)).toEqual({ selfWins: !masterWins, rule });
    }
  });

  it('without auto-failback the holder keeps the resources, unless both hold them', () => {
    expect(elect(master, { ...slave, state: 'active' }, false)).toEqual({ selfWins: false, rule: 'incumbent' });
    expect(elect(master, { ...slave, state: 'active' }, true)).toEqual({ selfWins: true, rule: 'role' });
    expect(elect({ ...master, state: 'active' }, { ...slave, state: 'active' }, false)).toEqual({
      selfWins: true,
      rule: 'role',
    });
  });

  it('breaks ties by priority, then by the lower node id', () => {
    const x = { ...master, nodeId: 'x', priority: 10 };
    const y = { ...master, nodeId: 'y', priority: 20 };
    expect(elect(x, y, true)).toEqual({ selfWins: false, rule: 'priority' });
    expect(elect(x, { ...y, priority: 10 }, true)).toEqual({ selfWins: true, rule: 'node-id' });
  });
});
