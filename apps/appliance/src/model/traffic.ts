// The traffic report (`GET /api/v1/reports/traffic`) as the daemon's sampler builds it and
// the web UI draws it.

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
