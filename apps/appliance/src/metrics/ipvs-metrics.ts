/**
 * IPVS figures under node_exporter's names (its `ipvs` collector), from the table the
 * Layer 4 driver already reads: a dashboard made for node_exporter works unchanged. The
 * labels carry the values node_exporter takes from /proc/net/ip_vs: the protocol upper case
 * (`TCP`, `UDP`, `SCTP`; `FWM` for a firewall-mark service), addresses as Go prints them
 * (dotted quad, compressed IPv6), ports in decimal, and for a firewall-mark service an
 * empty address, port `0` and the mark as the kernel prints it (8 upper-case hex digits).
 * What node_exporter has no name for (per-backend traffic, per-service counters) is
 * `sluice_ipvs_*` with the same labels.
 */
import type { Service, ServiceWithDestinations, Stats } from '@sluice/ipvs';
import { type Exposition, type Labels, LabelText } from './exposition.js';

function serviceLabels(s: Service): Labels {
  if (s.fwmark !== undefined) {
    return {
      local_address: '',
      local_port: '0',
      proto: 'FWM',
      local_mark: s.fwmark.toString(16).toUpperCase().padStart(8, '0'),
    };
  }
  return { local_address: s.address, local_port: String(s.port), proto: s.protocol.toUpperCase(), local_mark: '' };
}

const COUNTERS = ['connections', 'inPackets', 'outPackets', 'inBytes', 'outBytes'] as const;

/**
 * node_exporter's totals come from /proc/net/ip_vs_stats, which keeps counting what a
 * deleted service carried. Summing the services' counters would go down when one is
 * deleted (a reset to Prometheus, and a spurious jump in increase()); so each service's
 * last counters are kept and, when it is gone or its counters went back, added to `retired`.
 */
export class IpvsTotals {
  private last = new Map<string, number[]>();
  private readonly retired = [0, 0, 0, 0, 0];

  /** Totals over `table`, never lower than the totals of the previous call. */
  totals(table: readonly ServiceWithDestinations[]): number[] {
    const now = new Map<string, number[]>();
    const sum = [...this.retired];
    for (const s of table) {
      const key = s.fwmark === undefined ? `${s.protocol} ${s.address} ${s.port}` : `fwm ${s.family} ${s.fwmark}`;
      const values = COUNTERS.map((c) => Number(s.stats[c]));
      const before = this.last.get(key);
      if (before !== undefined && values.some((v, i) => v < (before[i] as number))) this.retire(before, sum);
      now.set(key, values);
      values.forEach((v, i) => {
        sum[i] = (sum[i] as number) + v;
      });
    }
    for (const [key, before] of this.last) if (!now.has(key)) this.retire(before, sum);
    this.last = now;
    return sum;
  }

  private retire(values: readonly number[], sum: number[]): void {
    values.forEach((v, i) => {
      this.retired[i] = (this.retired[i] as number) + v;
      sum[i] = (sum[i] as number) + v;
    });
  }
}

const TOTALS = [
  ['node_ipvs_connections_total', 'The total number of connections made.'],
  ['node_ipvs_incoming_packets_total', 'The total number of incoming packets.'],
  ['node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.'],
  ['node_ipvs_incoming_bytes_total', 'The total amount of incoming data.'],
  ['node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.'],
] as const;

const PER_SERVICE = [
  ['sluice_ipvs_service_connections_total', 'Connections scheduled by a virtual service.'],
  ['sluice_ipvs_service_incoming_packets_total', 'Packets from clients to a virtual service.'],
  ['sluice_ipvs_service_outgoing_packets_total', 'Packets from a virtual service to clients.'],
  ['sluice_ipvs_service_incoming_bytes_total', 'Bytes from clients to a virtual service.'],
  ['sluice_ipvs_service_outgoing_bytes_total', 'Bytes from a virtual service to clients.'],
] as const;

const PER_BACKEND = [
  ['sluice_ipvs_backend_connections_total', 'Connections scheduled to a backend, by local and remote address.'],
  ['sluice_ipvs_backend_incoming_packets_total', 'Packets from clients for a backend, by local and remote address.'],
  ['sluice_ipvs_backend_outgoing_packets_total', 'Packets from a backend to clients, by local and remote address.'],
  ['sluice_ipvs_backend_incoming_bytes_total', 'Bytes from clients for a backend, by local and remote address.'],
  ['sluice_ipvs_backend_outgoing_bytes_total', 'Bytes from a backend to clients, by local and remote address.'],
] as const;

function counters(stats: Stats): number[] {
  return COUNTERS.map((c) => Number(stats[c]));
}

/** Adds per label set, as node_exporter does where two entries print alike (a mark on IPv4 and on IPv6). */
class Summed {
  readonly rows = new Map<string, { labels: Labels; values: number[] }>();
  add(labels: Labels, values: readonly number[]): void {
    const key = JSON.stringify(labels);
    const row = this.rows.get(key);
    if (row === undefined) this.rows.set(key, { labels, values: [...values] });
    else
      values.forEach((v, i) => {
        row.values[i] = (row.values[i] as number) + v;
      });
  }
}

export function renderIpvs(out: Exposition, table: readonly ServiceWithDestinations[], totals: IpvsTotals): void {
  const sums = totals.totals(table);
  TOTALS.forEach(([name, help], i) => {
    out.add(name, 'counter', help, {}, sums[i] as number);
  });
  const services = new Summed();
  // active, inactive, weight, then the five counters
  const backends = new Summed();
  for (const s of table) {
    const local = serviceLabels(s);
    services.add(local, counters(s.stats));
    for (const d of s.destinations) {
      const labels: Labels = {
        local_address: local.local_address as string,
        local_port: local.local_port as string,
        remote_address: d.address,
        remote_port: String(d.port),
        proto: local.proto as string,
        local_mark: local.local_mark as string,
      };
      backends.add(labels, [d.activeConnections, d.inactiveConnections, d.weight, ...counters(d.stats)]);
    }
  }
  for (const row of backends.rows.values()) {
    const labels = LabelText.of(row.labels);
    const values = row.values;
    out.add(
      'node_ipvs_backend_connections_active',
      'gauge',
      'The current active connections by local and remote address.',
      labels,
      values[0] as number,
    );
    out.add(
      'node_ipvs_backend_connections_inactive',
      'gauge',
      'The current inactive connections by local and remote address.',
      labels,
      values[1] as number,
    );
    out.add(
      'node_ipvs_backend_weight',
      'gauge',
      'The current backend weight by local and remote address.',
      labels,
      values[2] as number,
    );
    PER_BACKEND.forEach(([name, help], i) => {
      out.add(name, 'counter', help, labels, values[3 + i] as number);
    });
  }
  for (const row of services.rows.values()) {
    const labels = LabelText.of(row.labels);
    const values = row.values;
    PER_SERVICE.forEach(([name, help], i) => {
      out.add(name, 'counter', help, labels, values[i] as number);
    });
  }
}
