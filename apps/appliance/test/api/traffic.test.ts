import { describe, expect, it } from 'vitest';
import { TrafficHistory } from '../../src/metrics/traffic.js';
import type { EngineStatus, RealServerStatus } from '../../src/model/engine-status.js';

const server = (label: string, bytesIn: number): RealServerStatus => ({
  label,
  address: '198.51.100.1',
  port: null,
  admin: 'online',
  health: 'up',
  colour: 'green',
  weight: 1,
  effectiveWeight: 1,
  activeConnections: 2,
  inactiveConnections: 0,
  bytesIn,
  bytesOut: 0,
});

const status = (servers: RealServerStatus[]): EngineStatus => ({
  version: 1,
  parts: [],
  services: [
    {
      layer: 'layer4',
      label: 'web',
      vip: '192.0.2.10',
      ports: ['80'],
      protocol: 'tcp',
      colour: 'green',
      fallbackActive: false,
      realServers: servers,
      connections: 0,
      bytesIn: servers.reduce((n, s) => n + s.bytesIn, 0),
      bytesOut: 0,
    },
  ],
});

describe('traffic history', () => {
  it('keeps the last samples in a ring, as rates; servers that come and go', () => {
    const history = new TrafficHistory(3);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    history.sample(status([server('a', 0)]), at(0));
    history.sample(status([server('a', 100)]), at(10));
    history.sample(status([server('a', 300), server('b', 50)]), at(20));
    history.sample(status([server('a', 600), server('b', 150)]), at(30));
    history.sample(status([server('b', 250)]), at(40));
    const [web] = history.series(status([server('a', 0), server('b', 0)]), at(40), 60);
    // Capacity 3: the samples at 20, 30 and 40 s remain; "a" left at 40 s and is forgotten.
    expect(web?.servers).toEqual([
      { label: 'a', points: [] },
      {
        label: 'b',
        points: [
          { time: '2026-01-01T00:00:30.000Z', connections: 2, bytesInPerSecond: 10, bytesOutPerSecond: 0 },
          { time: '2026-01-01T00:00:40.000Z', connections: 2, bytesInPerSecond: 10, bytesOutPerSecond: 0 },
        ],
      },
    ]);
    // The service: 100 -> 350 -> 750 bytes, then 250 when "a" left (backwards: 0).
    expect(web?.points.map((p) => p.bytesInPerSecond)).toEqual([25, 40, 0]);
    // A window of 0 minutes holds only the sample taken now.
    expect(history.series(status([]), at(40), 0)[0]?.points.map((p) => p.time)).toEqual(['2026-01-01T00:00:40.000Z']);
  });

  it('a track grows with the ring: every point kept through the first round and after it wraps', () => {
    const history = new TrafficHistory(20);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + s * 1000);
    // "a" from the first sample; "b" joins at the 13th (its track starts past the first size).
    for (let k = 0; k < 25; k++) {
      const servers = [server('a', 100 * k)];
      if (k >= 12) servers.push(server('b', 20 * (k - 12)));
      history.sample(status(servers), at(10 * k));
    }
    const [web] = history.series(status([server('a', 0), server('b', 0)]), at(240), 60);
    const [a, b] = web?.servers ?? [];
    // The last 20 samples (50-240 s); a point is a rate since the sample before.
    expect(a?.points.map((p) => p.bytesInPerSecond)).toEqual(Array(20).fill(10));
    expect(a?.points[0]?.time).toBe('2026-01-01T00:00:50.000Z');
    // "b": its first sample (120 s) has no rate, then 12 points of 2 bytes/s.
    expect(b?.points.map((p) => p.bytesInPerSecond)).toEqual(Array(12).fill(2));
    expect(b?.points[0]?.time).toBe('2026-01-01T00:02:10.000Z');
  });
});
