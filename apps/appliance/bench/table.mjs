// What the benchmarks that run inside the kernel share: the table they configure, reading
// it back with ipvsadm, and the percentiles.
import { execFileSync } from 'node:child_process';

export const SERVICES = Number(process.env.BENCH_SERVICES ?? 1000);
export const SERVERS = Number(process.env.BENCH_SERVERS ?? 10);
export const CHANGES = Number(process.env.BENCH_CHANGES ?? 200);
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);

export const log = (...a) => console.error('[bench]', ...a);
export const ipvsadm = (...args) => execFileSync('ipvsadm', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

export const percentile = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
export const stats = (v) => ({ p50: percentile(v, 50), p99: percentile(v, 99), max: Math.max(...v), n: v.length });

/** 1,000 VIP:port pairs (250 VIPs x 4 ports), 10 NAT real servers each: documentation addresses only. */
export function layer4Services() {
  const layer4 = [];
  for (let i = 0; i < SERVICES; i++) {
    layer4.push({
      label: `svc${i}`,
      vip: `198.51.100.${1 + Math.floor(i / 4)}`,
      ports: [80 + (i % 4)],
      forwarding: 'nat',
      scheduler: 'wlc',
      realServers: Array.from({ length: SERVERS }, (_, j) => ({
        label: `rs${j}`,
        address: `203.0.113.${10 + j}`,
        port: 8080 + (i % 100),
      })),
    });
  }
  return layer4;
}

/** The kernel's table as `ipvsadm -S -n` saves it, and how many services and real servers it holds. */
export function counts() {
  const text = ipvsadm('-S', '-n');
  return {
    services: text.split('\n').filter((l) => l.startsWith('-A')).length,
    destinations: text.split('\n').filter((l) => l.startsWith('-a')).length,
    text,
  };
}
