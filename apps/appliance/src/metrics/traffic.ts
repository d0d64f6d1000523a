import type { EngineStatus } from '../model/engine-status.js';
import type { TrafficPoint, TrafficSeries } from '../model/traffic.js';

interface Counters {
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

/** One service's or server's history: the counters last seen, and per sample three float32s. */
interface Track {
  last: Counters;
  lastTime: number;
  /**
   * [connections, bytes in/s, bytes out/s] per ring slot; NaN where there is no point. It
   * grows with the ring's first round (slots past its end have no point), so that the first
   * samples do not allocate an hour for every server at once.
   */
  values: Float32Array;
}

/** Slots a track holds at first; it doubles up to the ring's capacity. */
const FIRST_SLOTS = 8;

/**
 * Traffic over time: every sample takes the engine's counters of each virtual service and
 * real server and keeps, in a ring shared by all, the connections and the byte rates since
 * the sample before (a counter that went backwards, as after a restart, counts as 0).
 * Rates rather than counters, in float32: 12 bytes per sample and server, so an hour at
 * 10 s for 10,000 real servers is about 43 MB, reached over that first hour. Services and
 * servers that left the configuration are forgotten at the next sample.
 */
export class TrafficHistory {
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly capacity: number) {
    this.times = new Float64Array(capacity);
  }

  sample(status: EngineStatus, now: Date): void {
    const time = now.getTime();
    const slot = this.next;
    this.times[slot] = time;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    const seen = new Set<string>();
    const record = (key: string, counters: Counters) => {
      seen.add(key);
      let track = this.tracks.get(key);
      if (track === undefined) {
        const slots = Math.min(this.capacity, Math.max(FIRST_SLOTS, slot + 1));
        track = { last: counters, lastTime: time, values: new Float32Array(slots * 3).fill(Number.NaN) };
        this.tracks.set(key, track);
        return;
      }
      if (track.values.length <= slot * 3) {
        let slots = track.values.length / 3;
        while (slots <= slot) slots *= 2;
        const values = new Float32Array(Math.min(this.capacity, slots) * 3).fill(Number.NaN);
        values.set(track.values);
        track.values = values;
      }
      const seconds = (time - track.lastTime) / 1000;
      const rate = (before: number, after: number) => (after >= before && seconds > 0 ? (after - before) / seconds : 0);
      const at = slot * 3;
      if (seconds > 0) {
        track.values[at] = counters.connections;
        track.values[at + 1] = rate(track.last.bytesIn, counters.bytesIn);
        track.values[at + 2] = rate(track.last.bytesOut, counters.bytesOut);
      } else {
        track.values.fill(Number.NaN, at, at + 3);
      }
      track.last = counters;
      track.lastTime = time;
    };
    for (const service of status.services) {
      const key = `${service.layer}/${service.label}`;
      record(key, { connections: service.connections, bytesIn: service.bytesIn, bytesOut: service.bytesOut });
      for (const server of service.realServers) {
        record(`${key}/${server.label}`, {
          connections: server.activeConnections,
          bytesIn: server.bytesIn,
          bytesOut: server.bytesOut,
        });
      }
    }
    for (const key of this.tracks.keys()) if (!seen.has(key)) this.tracks.delete(key);
  }

  series(status: EngineStatus, now: Date, minutes: number, service?: string): TrafficSeries[] {
    const from = now.getTime() - minutes * 60_000;
    const slots: number[] = [];
    for (let i = this.count; i >= 1; i--) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      if ((this.times[slot] as number) >= from) slots.push(slot);
    }
    const round = (x: number) => Math.round(x * 100) / 100;
    const of = (key: string): TrafficPoint[] => {
      const track = this.tracks.get(key);
      if (track === undefined) return [];
      const points: TrafficPoint[] = [];
      for (const slot of slots) {
        const connections = track.values[slot * 3];
        if (connections === undefined || Number.isNaN(connections)) continue;
        points.push({
          time: new Date(this.times[slot] as number).toISOString(),
          connections,
          bytesInPerSecond: round(track.values[slot * 3 + 1] as number),
          bytesOutPerSecond: round(track.values[slot * 3 + 2] as number),
        });
      }
      return points;
    };
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
