import { release } from 'node:os';
// An independent parser of the text format (a port of client_python's), not our own code reading our output.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { APPLY_SECONDS } from '../../src/metrics/histogram.js';
import { harnessEachTest, layer4Service } from './harness.js';
import { engineMetrics as busyEngine, table } from './metrics-fixture.js';

interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  help: string;
  type: 'GAUGE' | 'COUNTER' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

const parse = (text: string) => parsePrometheusTextFormat(text) as Family[];

function family(families: Family[], name: string): Family {
  const found = families.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no family ${name} in the scrape`);
  return found;
}

/** The one sample of `name` whose labels are exactly `labels`. */
function sample(families: Family[], name: string, labels: Record<string, string>): Sample {
  const matches = family(families, name).metrics.filter(
    (m) => JSON.stringify(Object.entries(m.labels ?? {}).sort()) === JSON.stringify(Object.entries(labels).sort()),
  );
  if (matches.length !== 1) throw new Error(`${matches.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return matches[0] as Sample;
}

describe('/metrics scraped and parsed as Prometheus text format', () => {
  const t = harnessEachTest();

  let text = '';

  async function scrape(): Promise<Family[]> {
    const answer = await t.admin.get('/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    text = answer.text;
    const families = parse(text);
    // Each family once (the format wants its samples together), each with its HELP and TYPE.
    const names = families.map((f) => f.name);
    expect(names.length).toBe(new Set(names).size);
    for (const f of families) {
      expect(f.type, f.name).not.toBe('UNTYPED');
      expect(f.help, f.name).not.toBe('');
    }
    return families;
  }

  function engineMetrics(webConnections: number): void {
    t.h.engine.metricsReading = busyEngine(webConnections);
  }

  it("IPVS under node_exporter's names, types, labels and value formats", async () => {
    await t.admin.post(`/api/v1/layer4/services?version=${await t.admin.version()}&wait=applied`, layer4Service('web'));
    engineMetrics(10);
    const m = await scrape();
    for (const name of [
      'node_ipvs_connections_total',
      'node_ipvs_incoming_packets_total',
      'node_ipvs_outgoing_packets_total',
      'node_ipvs_incoming_bytes_total',
      'node_ipvs_outgoing_bytes_total',
    ]) {
      expect(family(m, name).type).toBe('COUNTER');
      expect(family(m, name).metrics.map((s) => s.labels ?? {})).toEqual([{}]);
    }
    expect(sample(m, 'node_ipvs_connections_total', {}).value).toBe('17');
    expect(sample(m, 'node_ipvs_incoming_packets_total', {}).value).toBe('225');
    expect(sample(m, 'node_ipvs_outgoing_bytes_total', {}).value).toBe('90700');

    const web = {
      local_address: '192.0.2.10',
      local_port: '80',
      remote_address: '198.51.100.21',
      remote_port: '8080',
      proto: 'TCP',
      local_mark: '',
    };
    expect(family(m, 'node_ipvs_backend_connections_active').type).toBe('GAUGE');
    expect(family(m, 'node_ipvs_backend_connections_inactive').type).toBe('GAUGE');
    expect(family(m, 'node_ipvs_backend_weight').type).toBe('GAUGE');
    expect(sample(m, 'node_ipvs_backend_connections_active', web).value).toBe('4');
    expect(sample(m, 'node_ipvs_backend_connections_inactive', web).value).toBe('2');
    expect(sample(m, 'node_ipvs_backend_weight', web).value).toBe('3');
    expect(sample(m, 'node_ipvs_backend_weight', { ...web, remote_address: '198.51.100.22' }).value).toBe('0');
    // IPv6 compressed, as Go prints it; the protocol upper case.
    const dns = {
      local_address: '2001:db8::10',
      local_port: '53',
      remote_address: '2001:db8::53',
      remote_port: '53',
      proto: 'UDP',
      local_mark: '',
    };
    expect(sample(m, 'node_ipvs_backend_connections_inactive', dns).value).toBe('5');
    // A firewall-mark service: no address, port 0, the mark as the kernel prints it in /proc/net/ip_vs.
    const marked = {
      local_address: '',
      local_port: '0',
      remote_address: '198.51.100.30',
      remote_port: '0',
      proto: 'FWM',
      local_mark: '0000002A',
    };
    expect(sample(m, 'node_ipvs_backend_connections_active', marked).value).toBe('1');

    // Per backend and per service traffic, where node_exporter has no name: sluice_ipvs_*, same labels.
    expect(family(m, 'sluice_ipvs_backend_connections_total').type).toBe('COUNTER');
    expect(sample(m, 'sluice_ipvs_backend_connections_total', web).value).toBe('9');
    expect(sample(m, 'sluice_ipvs_backend_incoming_packets_total', web).value).toBe('120');
    expect(sample(m, 'sluice_ipvs_backend_outgoing_packets_total', web).value).toBe('90');
    expect(sample(m, 'sluice_ipvs_backend_incoming_bytes_total', web).value).toBe('18000');
    expect(sample(m, 'sluice_ipvs_backend_outgoing_bytes_total', web).value).toBe('50000');
    const vip = { local_address: '192.0.2.10', local_port: '80', proto: 'TCP', local_mark: '' };
    expect(sample(m, 'sluice_ipvs_service_connections_total', vip).value).toBe('10');
    expect(sample(m, 'sluice_ipvs_service_outgoing_bytes_total', vip).value).toBe('90000');

    // A service deleted (its counters gone from the kernel): the totals do not go down.
    t.h.engine.metricsReading = { ...t.h.engine.metricsReading, ipvs: table(10).slice(1) };
    const after = await scrape();
    expect(sample(after, 'node_ipvs_connections_total', {}).value).toBe('17');
    t.h.engine.metricsReading = {
      ...t.h.engine.metricsReading,
      ipvs: [table(10)[1], ...table(0).slice(0, 1)] as never,
    };
    expect(sample(await scrape(), 'node_ipvs_connections_total', {}).value).toBe('17');
  });

  it("Layer 7 under HAProxy's exporter names; apply, health-check histograms; build and process figures", async () => {
    engineMetrics(10);
    t.h.capabilities.push({
      id: 'haproxy',
      part: 'layer7',
      feature: 'Layer 7',
      available: true,
      detail: 'HAProxy 3.0.5 "lab\\build"\nx',
    });
    const m = await scrape();
    expect(family(m, 'haproxy_frontend_current_sessions').type).toBe('GAUGE');
    expect(sample(m, 'haproxy_frontend_current_sessions', { proxy: 'shop' }).value).toBe('3');
    expect(family(m, 'haproxy_frontend_sessions_total').type).toBe('COUNTER');
    expect(sample(m, 'haproxy_frontend_status', { proxy: 'shop', state: 'UP' }).value).toBe('1');
    expect(sample(m, 'haproxy_frontend_status', { proxy: 'shop', state: 'DOWN' }).value).toBe('0');
    expect(sample(m, 'haproxy_backend_status', { proxy: 'shop', state: 'UP' }).value).toBe('1');
    expect(sample(m, 'haproxy_backend_bytes_out_total', { proxy: 'shop' }).value).toBe('5000');
    expect(sample(m, 'haproxy_backend_active_servers', { proxy: 'shop' }).value).toBe('1');
    const alpha = { proxy: 'shop', server: 'alpha' };
    expect(sample(m, 'haproxy_server_current_sessions', alpha).value).toBe('3');
    expect(sample(m, 'haproxy_server_bytes_in_total', alpha).value).toBe('1000');
    expect(sample(m, 'haproxy_server_weight', alpha).value).toBe('2');
    expect(sample(m, 'haproxy_server_status', { ...alpha, state: 'UP' }).value).toBe('1');
    expect(sample(m, 'haproxy_server_status', { proxy: 'shop', server: 'bravo', state: 'MAINT' }).value).toBe('1');
    expect(sample(m, 'haproxy_server_status', { proxy: 'shop', server: 'charlie', state: 'UP' }).value).toBe('1');
    expect(sample(m, 'haproxy_server_check_status', { ...alpha, state: 'L7OK' }).value).toBe('1');
    expect(sample(m, 'haproxy_server_check_status', { ...alpha, state: 'L4CON' }).value).toBe('0');
    // A check in progress ("* ") shows its last result.
    expect(sample(m, 'haproxy_server_check_status', { proxy: 'shop', server: 'bravo', state: 'L4CON' }).value).toBe(
      '1',
    );
    expect(sample(m, 'haproxy_server_check_duration_seconds', alpha).value).toBe('0.012');
    expect(sample(m, 'haproxy_server_check_failures_total', alpha).value).toBe('1');
    // No check, no check figures.
    expect(family(m, 'haproxy_server_check_status').metrics.filter((s) => s.labels?.server === 'charlie')).toEqual([]);

    // The parser folds a labelled histogram's series into one (buckets of the last, no
    // count or sum): one series each here, and `_sum` read from the text.
    const apply = family(m, 'sluice_engine_apply_duration_seconds');
    expect(apply.type).toBe('HISTOGRAM');
    expect(apply.metrics).toHaveLength(1);
    const layer4 = apply.metrics[0];
    expect(layer4?.buckets?.['0.001']).toBe('0');
    expect(layer4?.buckets?.['0.005']).toBe('1');
    expect(layer4?.buckets?.['0.25']).toBe('2');
    expect(layer4?.buckets?.['60']).toBe('2');
    expect(layer4?.buckets?.['+Inf']).toBe('3');
    expect(Object.keys(layer4?.buckets ?? {})).toHaveLength(APPLY_SECONDS.length + 1);
    expect(text).toContain('sluice_engine_apply_duration_seconds_count{part="layer4"} 3\n');
    expect(text).toMatch(/\nsluice_engine_apply_duration_seconds_sum\{part="layer4"\} 120\.203\d*\n/);
    expect(family(m, 'sluice_engine_apply_failures_total').type).toBe('COUNTER');
    expect(sample(m, 'sluice_engine_apply_failures_total', { part: 'layer7' }).value).toBe('2');

    const check = family(m, 'sluice_health_check_duration_seconds');
    expect(check.type).toBe('HISTOGRAM');
    expect(check.metrics[0]?.buckets?.['0.0005']).toBe('1');
    expect(check.metrics[0]?.buckets?.['0.0025']).toBe('2');
    expect(check.metrics[0]?.buckets?.['0.05']).toBe('3');
    expect(check.metrics[0]?.buckets?.['+Inf']).toBe('3');
    expect(text).toContain(
      'sluice_health_check_duration_seconds_count{layer="layer4",service="web",server="alpha",check="http"} 3\n',
    );

    // A label value with a quote, a backslash and a newline comes back through the parser as it was.
    const build = family(m, 'sluice_build_info');
    expect(build.type).toBe('GAUGE');
    expect(build.metrics).toEqual([
      {
        value: '1',
        labels: {
          version: '0.0.0-test',
          node: process.versions.node,
          haproxy: '3.0.5 "lab\\build"\nx',
          kernel: release(),
        },
      },
    ]);

    expect(family(m, 'process_cpu_seconds_total').type).toBe('COUNTER');
    expect(Number(sample(m, 'process_cpu_seconds_total', {}).value)).toBeGreaterThan(0);
    expect(Number(sample(m, 'process_resident_memory_bytes', {}).value)).toBeGreaterThan(1e6);
    const start = Number(sample(m, 'process_start_time_seconds', {}).value);
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    expect(Number(sample(m, 'process_open_fds', {}).value)).toBeGreaterThan(2);
    expect(Number(sample(m, 'nodejs_heap_size_used_bytes', {}).value)).toBeGreaterThan(0);
    // The event loop's delay: measured from the first scrape on, each scrape showing the
    // delays since the one before (as prom-client), so listed once the monitor has sampled.
    let again = await scrape();
    while (!again.some((f) => f.name === 'nodejs_eventloop_lag_p99_seconds')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await scrape();
    }
    expect(family(again, 'nodejs_eventloop_lag_p99_seconds').type).toBe('GAUGE');
    expect(Number(sample(again, 'nodejs_eventloop_lag_p99_seconds', {}).value)).toBeGreaterThan(0);
  });

  it('a read-only API token scrapes; no login is refused', async () => {
    const created = await t.admin.post('/api/v1/tokens', { name: 'prometheus', role: 'readonly' });
    expect(created.status).toBe(201);
    const prometheus = t.h.client();
    expect((await prometheus.get('/metrics')).status).toBe(401);
    prometheus.bearer = created.body.token;
    const answer = await prometheus.get('/metrics');
    expect(answer.status).toBe(200);
    expect(family(parse(answer.text), 'sluice_config_version').type).toBe('GAUGE');
  });
});
