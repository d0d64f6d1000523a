import { describe, expect, it } from 'vitest';
import { sortTable } from '../src/cli/format.js';
import type { ServiceWithDestinations } from '../src/client.js';
import { type Destination, ZERO_STATS } from '../src/types.js';

const dest = (address: string, port = 80): Destination => ({
  address,
  port,
  forwarding: 'dr',
  weight: 1,
  upperThreshold: 0,
  lowerThreshold: 0,
  family: address.includes(':') ? 6 : 4,
  activeConnections: 0,
  inactiveConnections: 0,
  persistentConnections: 0,
  stats: ZERO_STATS,
});
const svc = (key: object, family: 4 | 6, destinations: Destination[] = []) =>
  ({ ...key, family, scheduler: 'wlc', flags: 0, stats: ZERO_STATS, destinations }) as ServiceWithDestinations;

describe('sortTable() orders as ipvsadm prints', () => {
  it('services by family, protocol, address bytes and port, firewall marks last', () => {
    const table = [
      svc({ fwmark: 2 }, 4),
      svc({ protocol: 'udp', address: '192.0.2.1', port: 53 }, 4),
      svc({ protocol: 'tcp', address: '2001:db8::1', port: 80 }, 6),
      svc({ protocol: 'tcp', address: '192.0.2.10', port: 80 }, 4),
      svc({ fwmark: 1 }, 4),
      svc({ protocol: 'tcp', address: '192.0.2.9', port: 443 }, 4),
      svc({ protocol: 'tcp', address: '192.0.2.9', port: 80 }, 4),
    ];
    expect(sortTable(table).map((s) => s.fwmark ?? `${s.protocol} ${s.address}:${s.port}`)).toEqual([
      'tcp 192.0.2.9:80',
      'tcp 192.0.2.9:443',
      'tcp 192.0.2.10:80',
      'udp 192.0.2.1:53',
      'tcp 2001:db8::1:80',
      1,
      2,
    ]);
  });

  it('real servers by family, address bytes and port, without reordering the input', () => {
    const destinations = [
      dest('2001:db8::a'),
      dest('198.51.100.10'),
      dest('198.51.100.9', 8080),
      dest('2001:db8::9'),
      dest('198.51.100.9', 80),
    ];
    const table = [svc({ protocol: 'tcp', address: '192.0.2.1', port: 80 }, 4, destinations)];
    const [sorted] = sortTable(table);
    expect(sorted?.destinations.map((d) => `${d.address}:${d.port}`)).toEqual([
      '198.51.100.9:80',
      '198.51.100.9:8080',
      '198.51.100.10:80',
      '2001:db8::9:80',
      '2001:db8::a:80',
    ]);
    expect(table[0]?.destinations[0]?.address).toBe('2001:db8::a');
  });
});
