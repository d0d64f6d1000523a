import type { EngineStatus } from '../daemon/interfaces.js';

interface Sample {
  /** ms since the epoch. */
  time: number;
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

export interface TrafficPoint {
  time: string;
  connections: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
}

export interface TrafficSeries {
  layer: string;
  service: string;
  points: TrafficPoint[];
  servers: { label: string; points: TrafficPoint[] }[];
}

class Ring {
  private readonly items: Sample[] = [];
  constructor(private readonly capacity: number) {}
  push(sample: Sample): void {
    this.items.push(sample);
    if (this.items.length > this.capacity) this.items.shift();
  }
  since(time: number): Sample[] {
    const out: Sample[] = [];
    for (let i = this.items.length - 1; i >= 0; i--) {
      const sample = this.items[i] as Sample;
      out.push(sample);
      if (sample.time < time) break;
    }
    return out.reverse();
  }
}

/** Rates between consecutive samples; a counter that went backwards (a restart) counts as 0. */
function rates(samples: Sample[], from: number): TrafficPoint[] {
  const out: TrafficPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as Sample;
    const b = samples[i] as Sample;
    if (b.time < from) continue;
    const seconds = (b.time - a.time) / 1000;
    if (seconds <= 0) continue;
    const rate = (x: number, y: number) => (y >= x ? Math.round(((y - x) / seconds) * 100) / 100 : 0);
    out.push({
      time: new Date(b.time).toISOString(),
      connections: b.connections,
      bytesInPerSecond: rate(a.bytesIn, b.bytesIn),
      bytesOutPerSecond: rate(a.bytesOut, b.bytesOut),
    });
  }
  return out;
}

/**
 * Traffic over time: the engine's counters sampled every few seconds into a ring per
 * virtual service and per real server, served as rates. Services and servers that left
 * the configuration are forgotten at the next sample.
 */
export class TrafficHistory {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly capacity: number) {}

  sample(status: EngineStatus, now: Date): void {
    const time = now.getTime();
    const seen = new Set<string>();
    const push = (key: string, sample: Sample) => {
      seen.add(key);
      let ring = this.rings.get(key);
      if (ring === undefined) {
        ring = new Ring(this.capacity);
        this.rings.set(key, ring);
      }
      ring.push(sample);
    };
    for (const service of status.services) {
      const key = `${service.layer}/${service.label}`;
      push(key, { time, connections: service.connections, bytesIn: service.bytesIn, bytesOut: service.bytesOut });
      for (const server of service.realServers) {
        push(`${key}/${server.label}`, {
          time,
          connections: server.activeConnections,
          bytesIn: server.bytesIn,
          bytesOut: server.bytesOut,
        });
      }
    }
    for (const key of this.rings.keys()) if (!seen.has(key)) this.rings.delete(key);
  }

  series(status: EngineStatus, now: Date, minutes: number, service?: string): TrafficSeries[] {
    const from = now.getTime() - minutes * 60_000;
    const of = (key: string) => rates(this.rings.get(key)?.since(from) ?? [], from);
    return status.services
      .filter((s) => service === undefined || s.label === service)
      .map((s) => {
        const key = `${s.layer}/${s.label}`;
        return {
          layer: s.layer,
          service: s.label,
          points: of(key),
          servers: s.realServers.map((r) => ({ label: r.label, points: of(`${key}/${r.label}`) })),
        };
      });
  }
}
