// What the engine hands /metrics in the scrape tests: a kernel reading of every kind of
// IPVS service, HAProxy rows of every kind, and recorded distributions.
import type { StatRow } from '@sluice/haproxy-config';
import { type Destination, type ServiceWithDestinations, type Stats, ZERO_STATS } from '@sluice/ipvs';
import type { EngineMetrics } from '../../src/metrics/engine-metrics.js';
import { APPLY_SECONDS, CHECK_SECONDS, Histogram } from '../../src/metrics/histogram.js';

const stats = (
  connections: number,
  inPackets: number,
  outPackets: number,
  inBytes: number,
  outBytes: number,
): Stats => ({
  ...ZERO_STATS,
  connections: BigInt(connections),
  inPackets: BigInt(inPackets),
  outPackets: BigInt(outPackets),
  inBytes: BigInt(inBytes),
  outBytes: BigInt(outBytes),
});

function destination(address: string, port: number, d: Partial<Destination>): Destination {
  return {
    address,
    port,
    forwarding: 'nat',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    family: address.includes(':') ? 6 : 4,
    activeConnections: 0,
    inactiveConnections: 0,
    persistentConnections: 0,
    stats: ZERO_STATS,
    ...d,
  };
}

/** A kernel reading: TCP on IPv4, UDP on IPv6, and a firewall-mark service. */
export function table(webConnections: number): ServiceWithDestinations[] {
  return [
    {
      protocol: 'tcp',
      address: '192.0.2.10',
      port: 80,
      scheduler: 'wlc',
      family: 4,
      flags: 0,
      stats: stats(webConnections, 200, 150, 30000, 90000),
      destinations: [
        destination('198.51.100.21', 8080, {
          weight: 3,
          activeConnections: 4,
          inactiveConnections: 2,
          stats: stats(webConnections - 1, 120, 90, 18000, 50000),
        }),
        destination('198.51.100.22', 8080, { weight: 0, stats: stats(1, 80, 60, 12000, 40000) }),
      ],
    },
    {
      protocol: 'udp',
      address: '2001:db8::10',
      port: 53,
      scheduler: 'rr',
      family: 6,
      flags: 0,
      stats: stats(5, 5, 5, 500, 700),
      destinations: [destination('2001:db8::53', 53, { activeConnections: 0, inactiveConnections: 5 })],
    },
    {
      fwmark: 42,
      family: 4,
      scheduler: 'wlc',
      flags: 0,
      stats: stats(2, 20, 0, 2000, 0),
      destinations: [destination('198.51.100.30', 0, { forwarding: 'dr', activeConnections: 1 })],
    },
  ];
}

function statRow(row: Partial<StatRow> & Pick<StatRow, 'proxy' | 'name' | 'type' | 'status'>): StatRow {
  return {
    weight: undefined,
    currentSessions: 0,
    maxSessions: 0,
    totalSessions: 0,
    bytesIn: 0,
    bytesOut: 0,
    raw: {},
    ...row,
  };
}

export const haproxyRows: StatRow[] = [
  statRow({ proxy: 'shop', name: 'FRONTEND', type: 'frontend', status: 'OPEN', currentSessions: 3, totalSessions: 40 }),
  statRow({
    proxy: 'shop',
    name: 'BACKEND',
    type: 'backend',
    status: 'UP',
    weight: 2,
    currentSessions: 3,
    bytesIn: 1000,
    bytesOut: 5000,
    raw: { act: '1' },
  }),
  statRow({
    proxy: 'shop',
    name: 'alpha',
    type: 'server',
    status: 'UP',
    weight: 2,
    currentSessions: 3,
    totalSessions: 39,
    bytesIn: 1000,
    bytesOut: 5000,
    raw: { check_status: 'L7OK', check_duration: '12', chkfail: '1' },
  }),
  statRow({
    proxy: 'shop',
    name: 'bravo',
    type: 'server',
    status: 'MAINT',
    weight: 0,
    raw: { check_status: '* L4CON' },
  }),
  statRow({ proxy: 'shop', name: 'charlie', type: 'server', status: 'no check', weight: 1 }),
];

/** The readings and distributions of a busy appliance (`webConnections`: connections of the TCP VIP). */
export function engineMetrics(webConnections: number): EngineMetrics {
  const layer4 = new Histogram(APPLY_SECONDS);
  layer4.observe(0.003);
  layer4.observe(0.2);
  layer4.observe(120);
  const check = new Histogram(CHECK_SECONDS);
  check.observe(0.0004);
  check.observe(0.0025);
  check.observe(0.03);
  return {
    ipvs: table(webConnections),
    haproxy: haproxyRows,
    applySeconds: new Map([['layer4', layer4]]),
    applyFailures: new Map([
      ['layer4', 0],
      ['layer7', 2],
    ]),
    healthChecks: [{ service: 'web', server: 'alpha', check: 'http', seconds: check }],
  };
}
