import type { AdminState } from '../model/admin-state.js';
import type { EngineStatus, HealthState } from '../model/engine-status.js';
import type { HaStatus } from '../model/ha-status.js';
import type { EngineMetrics } from './engine-metrics.js';
import { Exposition, LabelText } from './exposition.js';
import { renderHaproxy } from './haproxy-metrics.js';
import { IpvsTotals, renderIpvs } from './ipvs-metrics.js';
import { renderProcess } from './process-metrics.js';

export { escapeLabel } from './exposition.js';

/** What `sluice_build_info` names: the versions a bug report asks for. */
export interface BuildInfo {
  version: string;
  /** Node.js (without the `v`). */
  node: string;
  /** HAProxy's version; empty where it is not installed. */
  haproxy: string;
  /** The running kernel (`uname -r`). */
  kernel: string;
}

export interface MetricsInput {
  engine: EngineStatus;
  ha: HaStatus;
  configVersion: number;
  /** The engine's readings and distributions (absent: only the status's figures). */
  metrics?: EngineMetrics;
  /** Kept between scrapes, so that node_ipvs_*_total never goes down (see IpvsTotals). */
  ipvsTotals?: IpvsTotals;
  build?: BuildInfo;
  /** The daemon's process figures (process_*, nodejs_*); off in tests that compare exact output. */
  process?: boolean;
}

const HEALTH: readonly HealthState[] = ['up', 'down', 'unknown', 'unchecked'];
const ADMIN: readonly AdminState[] = ['online', 'drain', 'offline'];

/** The appliance's metrics in Prometheus text format 0.0.4. */
export function renderMetrics(input: MetricsInput): string {
  const out = new Exposition();
  if (input.build !== undefined) {
    out.add(
      'sluice_build_info',
      'gauge',
      "The appliance's version and those of Node.js, HAProxy and the kernel it runs with (always 1).",
      { ...input.build },
      1,
    );
  }
  out.add('sluice_config_version', 'gauge', 'The current configuration version.', {}, input.configVersion);
  out.add(
    'sluice_engine_applied_version',
    'gauge',
    'The configuration version the engine last applied (0 before the first).',
    {},
    input.engine.version ?? 0,
  );
  for (const part of input.engine.parts) {
    for (const state of ['applied', 'pending', 'unavailable', 'failed'] as const) {
      out.add(
        'sluice_engine_part_state',
        'gauge',
        'The state of each engine part (1 for the current state).',
        { part: part.part, state },
        part.state === state ? 1 : 0,
      );
    }
  }
  const ha = input.ha;
  out.add('sluice_ha_enabled', 'gauge', '1 when this node is one of an HA pair.', {}, ha.enabled ? 1 : 0);
  out.add(
    'sluice_ha_active',
    'gauge',
    '1 when this node is the active one.',
    { role: ha.role },
    ha.state === 'active' ? 1 : 0,
  );
  out.add('sluice_ha_link_up', 'gauge', '1 when heartbeats arrive from the peer.', {}, ha.link === 'up' ? 1 : 0);
  for (const [reason, count] of Object.entries(ha.transitions ?? {})) {
    out.add(
      'sluice_ha_transitions_total',
      'counter',
      'Moves between active and passive since the daemon started, by the reason that began them.',
      { reason },
      count,
    );
  }
  if (ha.since !== undefined) {
    out.add(
      'sluice_ha_state_since_seconds',
      'gauge',
      'When this node became active or passive (Unix time).',
      { state: ha.state, reason: ha.reason ?? '' },
      Date.parse(ha.since) / 1000,
    );
  }
  if (ha.heartbeat !== undefined) {
    out.histogram(
      'sluice_ha_heartbeat_lateness_seconds',
      "How much later than its keepalive each of this node's heartbeats left (a blocked event loop).",
      {},
      ha.heartbeat.sendLateness,
    );
    out.histogram(
      'sluice_ha_peer_heartbeat_gap_seconds',
      "The time between two of the peer's heartbeats on one link.",
      {},
      ha.heartbeat.peerGap,
    );
  }
  for (const service of input.engine.services) {
    const labels = { layer: service.layer, service: service.label, vip: service.vip };
    out.add(
      'sluice_virtual_service_connections',
      'gauge',
      'Current connections of a virtual service.',
      labels,
      service.connections,
    );
    out.add(
      'sluice_virtual_service_bytes_in_total',
      'counter',
      'Bytes received by a virtual service.',
      labels,
      service.bytesIn,
    );
    out.add(
      'sluice_virtual_service_bytes_out_total',
      'counter',
      'Bytes sent by a virtual service.',
      labels,
      service.bytesOut,
    );
    for (const colour of ['green', 'yellow', 'red', 'blue', 'grey'] as const) {
      out.add(
        'sluice_virtual_service_colour',
        'gauge',
        "A virtual service's status colour (1 for the current one): green healthy, yellow attention, red down, blue offline, grey not checked.",
        { ...labels, colour },
        service.colour === colour ? 1 : 0,
      );
    }
    out.add(
      'sluice_virtual_service_fallback_active',
      'gauge',
      '1 when the fallback server takes the traffic.',
      labels,
      service.fallbackActive ? 1 : 0,
    );
    for (const server of service.realServers) {
      const rs = LabelText.of({
        layer: service.layer,
        service: service.label,
        server: server.label,
        address: server.address,
      });
      out.add(
        'sluice_real_server_active_connections',
        'gauge',
        'Active connections of a real server.',
        rs,
        server.activeConnections,
      );
      out.add(
        'sluice_real_server_inactive_connections',
        'gauge',
        'Inactive connections of a real server.',
        rs,
        server.inactiveConnections,
      );
      out.add(
        'sluice_real_server_bytes_in_total',
        'counter',
        'Bytes received from clients for a real server.',
        rs,
        server.bytesIn,
      );
      out.add(
        'sluice_real_server_bytes_out_total',
        'counter',
        'Bytes sent to clients by a real server.',
        rs,
        server.bytesOut,
      );
      out.add('sluice_real_server_weight', 'gauge', 'The configured weight of a real server.', rs, server.weight);
      out.add(
        'sluice_real_server_effective_weight',
        'gauge',
        'The weight the kernel or HAProxy has now.',
        rs,
        server.effectiveWeight,
      );
      out.add(
        'sluice_real_server_up',
        'gauge',
        '1 when the real server passes its health check (or has none).',
        rs,
        server.health === 'up' || server.health === 'unchecked' ? 1 : 0,
      );
      for (const state of HEALTH) {
        out.add(
          'sluice_real_server_health_state',
          'gauge',
          'The health state of a real server (1 for the current one).',
          rs.with('state', state),
          server.health === state ? 1 : 0,
        );
      }
      for (const state of ADMIN) {
        out.add(
          'sluice_real_server_admin_state',
          'gauge',
          'The admin state of a real server (1 for the current one).',
          rs.with('state', state),
          server.admin === state ? 1 : 0,
        );
      }
    }
  }
  if (input.metrics !== undefined) renderEngineMetrics(out, input.metrics, input.ipvsTotals);
  if (input.process === true) renderProcess(out);
  return out.text();
}

function renderEngineMetrics(out: Exposition, metrics: EngineMetrics, totals: IpvsTotals | undefined): void {
  for (const [part, seconds] of metrics.applySeconds) {
    out.recorded(
      'sluice_engine_apply_duration_seconds',
      'How long applying each engine part took, successful or not.',
      { part },
      seconds,
    );
  }
  for (const [part, count] of metrics.applyFailures) {
    out.add(
      'sluice_engine_apply_failures_total',
      'counter',
      'Applies of each engine part that failed since the daemon started.',
      { part },
      count,
    );
  }
  for (const c of metrics.healthChecks) {
    out.recorded(
      'sluice_health_check_duration_seconds',
      "How long the appliance's health checks of each Layer 4 real server took (HAProxy checks Layer 7: haproxy_server_check_duration_seconds).",
      { layer: 'layer4', service: c.service, server: c.server, check: c.check },
      c.seconds,
    );
  }
  if (metrics.ipvs !== undefined) renderIpvs(out, metrics.ipvs, totals ?? new IpvsTotals());
  if (metrics.haproxy !== undefined) renderHaproxy(out, metrics.haproxy);
}
