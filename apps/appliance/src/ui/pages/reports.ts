import type { Layer4Connection, Layer7StatRow } from '../../model/engine-status.js';
import type { TrafficPoint, TrafficSeries } from '../../model/traffic.js';
import { api } from '../api.js';
import { formatBytes, h, replace, svg } from '../dom.js';
import { layer4Reason } from '../host.js';
import { loadConfig } from '../state.js';

/** Lists come bare or wrapped (`{ connections: [...] }`); take the first array. */
export function listOf<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const found = Object.values(data).find(Array.isArray);
    if (found) return found as T[];
  }
  return [];
}

/** A line graph of bytes per second (in + out) over time, drawn as SVG (no library). */
export function trafficGraph(name: string, pts: readonly TrafficPoint[], width = 420, height = 140): SVGSVGElement {
  const rates = pts.map((p) => ({ t: Date.parse(p.time), rate: p.bytesInPerSecond + p.bytesOutPerSecond }));
  const pad = 36;
  const max = Math.max(1, ...rates.map((r) => r.rate));
  const t0 = rates[0]?.t ?? 0;
  const t1 = rates[rates.length - 1]?.t ?? 1;
  const x = (t: number) => pad + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad - 8);
  const y = (v: number) => height - 20 - (v / max) * (height - 34);
  const path = rates.map((r, i) => `${i === 0 ? 'M' : 'L'}${x(r.t).toFixed(1)},${y(r.rate).toFixed(1)}`).join(' ');
  return svg(
    'svg',
    {
      class: 'graph',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Traffic of ${name}`,
    },
    svg('title', {}, `Traffic of ${name}`),
    svg('text', { x: pad, y: 12 }, `${name} — peak ${formatBytes(max)}/s`),
    svg('line', { x1: pad, y1: height - 20, x2: width - 8, y2: height - 20, stroke: '#999' }),
    svg('line', { x1: pad, y1: 14, x2: pad, y2: height - 20, stroke: '#999' }),
    rates.length > 1 ? svg('path', { d: path, fill: 'none', stroke: '#1a5fb4', 'stroke-width': 2 }) : null,
    rates.map((r) => svg('circle', { cx: x(r.t).toFixed(1), cy: y(r.rate).toFixed(1), r: 2.5, fill: '#1a5fb4' })),
    rates.length === 0 ? svg('text', { x: pad + 10, y: height / 2 }, 'collecting samples…') : null,
    rates.length > 0 ? svg('text', { x: pad, y: height - 6 }, new Date(t0).toLocaleTimeString()) : null,
    rates.length > 0 ? svg('text', { x: width - 70, y: height - 6 }, new Date(t1).toLocaleTimeString()) : null,
  );
}

export async function renderReports(main: HTMLElement): Promise<() => void> {
  const connectionsSlot = h('div');
  const layer7Slot = h('div');
  const trafficSlot = h('div');
  const { config } = await loadConfig();
  const services = [...config.layer4.map((s) => s.label), ...config.layer7.map((s) => s.label)];
  const serviceSelect = h(
    'select',
    { id: 'traffic-service' },
    h('option', { value: '' }, 'every service'),
    services.map((s) => h('option', { value: s }, s)),
  );
  const minutes = h(
    'select',
    { id: 'traffic-minutes' },
    [5, 15, 60].map((m) => h('option', { value: m }, `${m} minutes`)),
  );

  const loadConnections = async () => {
    const [rows, unavailable] = await Promise.all([
      api.get('/reports/connections').then((data) => listOf<Layer4Connection>(data)),
      layer4Reason(),
    ]);
    replace(
      connectionsSlot,
      rows.some((r) => r.synRecv)
        ? h(
            'p',
            { class: 'warnings', role: 'alert' },
            'Connections wait in SYN_RECV: on a DR service this is the ARP problem — the real server does not take packets for the VIP. ',
            h('a', { href: '#/real-servers' }, 'How to fix the real server'),
          )
        : null,
      h(
        'table',
        { 'aria-label': 'Current Layer 4 connections' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Protocol', 'Client', 'Virtual', 'Real server', 'State', 'Expires (s)', 'Hint'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.length === 0
            ? h(
                'tr',
                {},
                h(
                  'td',
                  { colspan: 7, class: 'muted', 'data-testid': unavailable ? 'layer4-unavailable' : undefined },
                  unavailable ?? 'No connections.',
                ),
              )
            : rows.map((r) =>
                h(
                  'tr',
                  { class: r.synRecv ? 'synrecv' : '' },
                  h('td', {}, r.protocol),
                  h('td', {}, r.client),
                  h('td', {}, r.virtual),
                  h('td', {}, r.destination),
                  h('td', {}, r.state),
                  h('td', { class: 'num' }, r.expiresSeconds),
                  h('td', {}, r.hint ?? ''),
                ),
              ),
        ),
      ),
    );
  };
  const loadLayer7 = async () => {
    const rows = listOf<Layer7StatRow>(await api.get('/reports/layer7'));
    replace(
      layer7Slot,
      h(
        'table',
        { 'aria-label': 'Layer 7 statistics' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Proxy', 'Server', 'Status', 'Current sessions', 'Total sessions', 'In', 'Out'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          rows.length === 0
            ? h(
                'tr',
                {},
                h(
                  'td',
                  { colspan: 7, class: 'muted' },
                  'No Layer 7 statistics (no Layer 7 service, or HAProxy is not running).',
                ),
              )
            : rows.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, r.proxy),
                  h('td', {}, r.server),
                  h('td', {}, r.status),
                  h('td', { class: 'num' }, r.currentSessions),
                  h('td', { class: 'num' }, r.totalSessions),
                  h('td', { class: 'num' }, formatBytes(r.bytesIn)),
                  h('td', { class: 'num' }, formatBytes(r.bytesOut)),
                ),
              ),
        ),
      ),
    );
  };
  const loadTraffic = async () => {
    const data = await api.get<unknown>('/reports/traffic', {
      query: { service: serviceSelect.value, minutes: minutes.value },
    });
    const series = listOf<TrafficSeries>(data).filter((s) => Array.isArray(s?.points));
    replace(
      trafficSlot,
      series.length === 0
        ? h('p', { class: 'muted' }, 'No traffic samples yet.')
        : series.map((s) =>
            h(
              'div',
              { class: 'graphs' },
              h('h3', {}, `${s.service} (${s.layer === 'layer4' ? 'Layer 4' : 'Layer 7'})`),
              trafficGraph(s.service, s.points),
              s.servers.map((r) => trafficGraph(`${s.service}/${r.label}`, r.points)),
            ),
          ),
    );
  };
  const safe = (f: () => Promise<void>, slot: HTMLElement) => () =>
    f().catch((error) => replace(slot, h('p', { role: 'alert' }, (error as Error).message)));

  replace(
    main,
    h('h1', {}, 'Reports'),
    h('h2', {}, 'Current connections (Layer 4)'),
    h('p', {}, h('button', { type: 'button', onclick: safe(loadConnections, connectionsSlot) }, 'Refresh')),
    connectionsSlot,
    h('h2', {}, 'Layer 7 statistics'),
    layer7Slot,
    h('h2', {}, 'Traffic'),
    h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'traffic-service' }, 'Service', serviceSelect),
      h('label', { for: 'traffic-minutes' }, 'Period', minutes),
      h('button', { type: 'button', onclick: safe(loadTraffic, trafficSlot) }, 'Show'),
    ),
    trafficSlot,
  );
  await Promise.all([
    safe(loadConnections, connectionsSlot)(),
    safe(loadLayer7, layer7Slot)(),
    safe(loadTraffic, trafficSlot)(),
  ]);
  const timer = setInterval(safe(loadTraffic, trafficSlot), 10_000);
  return () => clearInterval(timer);
}
