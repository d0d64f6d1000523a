import type { AdminState, Layer } from '../../model/admin-state.js';
import {
  type Colour,
  partColour,
  partInUse,
  type RealServerStatus,
  type TerminationStatus,
  type VirtualServiceStatus,
} from '../../model/engine-status.js';
import { api, seg } from '../api.js';
import { certificateWarnings, loadCertificateStatus } from '../certificate-status.js';
import { formatBytes, h, replace, toast } from '../dom.js';
import { refreshStatus, type StatusSnapshot, watchStatus } from '../state.js';

const COLOUR_TEXT: Record<Colour, string> = {
  green: 'healthy',
  yellow: 'needs attention',
  red: 'down',
  blue: 'offline by choice',
  grey: 'not checked',
};

const COLUMNS = [
  'Service / server',
  'Address',
  'Admin',
  'Health',
  'Weight',
  'Active',
  'Inactive',
  'Traffic',
  'Actions',
];

/**
 * A row's light: its label, and the colour's word for screen readers (who get nothing
 * from the dot). Said once: a title with the same word would be read again after it.
 */
const colourBadge = (colour: Colour, text: string) =>
  h(
    'span',
    { class: 'colour', 'data-colour': colour },
    text,
    h('span', { class: 'sr-only' }, ` (${COLOUR_TEXT[colour]})`),
  );

/** The legend's entries: the dot and its word, which is all there is to read (no hidden copy, no title). */
const legendEntry = (colour: Colour) => h('span', { class: 'colour', 'data-colour': colour }, COLOUR_TEXT[colour]);

async function setState(layer: Layer, service: string, server: string | undefined, state: AdminState): Promise<void> {
  const path = `/runtime/${layer}/services/${seg(service)}${server === undefined ? '' : `/real-servers/${seg(server)}`}`;
  try {
    await api.post(path, { state });
  } catch (error) {
    toast((error as Error).message, true);
  }
}

function stateButtons(layer: Layer, service: string, server: string | undefined, current: AdminState | undefined) {
  const who = server ?? `every server of ${service}`;
  const button = (state: AdminState, text: string) =>
    h(
      'button',
      {
        type: 'button',
        disabled: current === state,
        'data-action': state,
        'aria-label': `${text} ${who}`,
        onclick: () => setState(layer, service, server, state),
      },
      text,
    );
  return h(
    'div',
    { class: 'actions' },
    button('offline', 'Take offline'),
    button('drain', 'Drain'),
    button('online', 'Online'),
  );
}

const cell = (content: Parameters<typeof h>[2], num = false) =>
  h('div', { role: 'cell', class: num ? 'num' : '' }, content);

function serverRow(service: VirtualServiceStatus, rs: RealServerStatus): HTMLElement {
  return h(
    'div',
    {
      role: 'row',
      class: 'row',
      'data-colour': rs.colour,
      'data-server': `${service.layer}/${service.label}/${rs.label}`,
    },
    cell(colourBadge(rs.colour, rs.label)),
    cell(`${rs.address}${rs.port === null ? '' : `:${rs.port}`}`),
    cell(rs.admin),
    cell([rs.health, rs.healthReason ? h('span', { class: 'muted' }, ` (${rs.healthReason})`) : null]),
    cell(`${rs.effectiveWeight}/${rs.weight}`, true),
    cell(rs.activeConnections, true),
    cell(rs.inactiveConnections, true),
    cell(formatBytes(rs.bytesIn + rs.bytesOut), true),
    cell(stateButtons(service.layer, service.label, rs.label, rs.admin)),
  );
}

function serviceRow(service: VirtualServiceStatus): HTMLElement {
  return h(
    'div',
    {
      role: 'row',
      class: 'row vip',
      'data-colour': service.colour,
      'data-service': `${service.layer}/${service.label}`,
    },
    cell(colourBadge(service.colour, service.label)),
    cell(`${service.vip} ${service.ports.join(',')} ${service.protocol}`),
    cell(service.layer === 'layer4' ? 'Layer 4' : 'Layer 7'),
    cell(service.fallbackActive ? 'fallback server active' : ''),
    cell(''),
    cell(service.connections, true),
    cell(''),
    cell(formatBytes(service.bytesIn + service.bytesOut), true),
    cell(stateButtons(service.layer, service.label, undefined, undefined)),
  );
}

/** An SSL termination's HTTPS listener: where clients connect, and the Layer 7 service it decrypts for. */
function terminationRow(t: TerminationStatus): HTMLElement {
  return h(
    'div',
    { role: 'row', class: 'row vip', 'data-colour': t.colour, 'data-termination': t.label },
    cell(colourBadge(t.colour, t.label)),
    cell(`${t.vip}:${t.port} https`),
    cell(h('abbr', { title: 'SSL termination' }, 'SSL')),
    cell(h('span', { title: `decrypts for the Layer 7 service ${t.service}` }, `feeds ${t.service}`)),
    cell(''),
    cell(''),
    cell(''),
    cell(''),
    cell(''),
  );
}

/** What a row shows, to tell whether a pushed status changed it. */
const serviceSig = (s: VirtualServiceStatus) =>
  `${s.colour}|${s.vip}|${s.ports.join(',')}|${s.protocol}|${s.fallbackActive}|${s.connections}|${formatBytes(s.bytesIn + s.bytesOut)}`;
const serverSig = (r: RealServerStatus) =>
  `${r.colour}|${r.address}|${r.port}|${r.admin}|${r.health}|${r.healthReason}|${r.effectiveWeight}|${r.weight}|${r.activeConnections}|${r.inactiveConnections}|${formatBytes(r.bytesIn + r.bytesOut)}`;

const terminationSig = (t: TerminationStatus) => `${t.colour}|${t.vip}|${t.port}|${t.service}`;

interface Drawn {
  element: HTMLElement;
  sig: string;
}

/**
 * Every VIP and real server with its colour and counts, kept current by the pushed status.
 * Built for thousands of servers: each service is its own block that the browser lays
 * out only when it scrolls into view (`content-visibility`), and a push replaces only the
 * rows whose content changed.
 */
export function renderOverview(main: HTMLElement): () => void {
  const parts = h('div');
  // The certificates SSL terminations present, when one expires soon or has (drawn when the terminations change).
  const certificates = h('div');
  const body = h('div', { class: 'grid-body' });
  const grid = h(
    'div',
    { role: 'table', class: 'grid', 'aria-label': 'Virtual services and real servers' },
    h(
      'div',
      { role: 'rowgroup' },
      h(
        'div',
        { role: 'row', class: 'row head' },
        COLUMNS.map((t) => h('div', { role: 'columnheader' }, t)),
      ),
    ),
    body,
  );
  replace(
    main,
    h('h1', {}, 'System overview'),
    h(
      'p',
      { class: 'muted', 'data-testid': 'colour-legend' },
      'Colours: ',
      (['green', 'grey', 'yellow', 'red', 'blue'] as const).map((c) => [legendEntry(c), ' ']),
      ' — updates live.',
    ),
    parts,
    certificates,
    grid,
  );

  let layout = '';
  const rows = new Map<string, Drawn>();

  const rebuild = (services: readonly VirtualServiceStatus[], terminations: readonly TerminationStatus[]) => {
    rows.clear();
    const blocks = services.map((service) => {
      const key = `${service.layer}/${service.label}`;
      const vip = serviceRow(service);
      rows.set(key, { element: vip, sig: serviceSig(service) });
      const servers = service.realServers.map((rs) => {
        const row = serverRow(service, rs);
        rows.set(`${key}/${rs.label}`, { element: row, sig: serverSig(rs) });
        return row;
      });
      return h(
        'div',
        { role: 'rowgroup', class: 'service', style: `contain-intrinsic-size: auto ${(servers.length + 1) * 40}px` },
        vip,
        servers,
      );
    });
    if (terminations.length > 0) {
      blocks.push(
        h(
          'div',
          { role: 'rowgroup', class: 'service', 'aria-label': 'SSL terminations' },
          terminations.map((t) => {
            const row = terminationRow(t);
            rows.set(`ssl/${t.label}`, { element: row, sig: terminationSig(t) });
            return row;
          }),
        ),
      );
    }
    body.replaceChildren(
      ...(blocks.length > 0
        ? blocks
        : [
            h(
              'p',
              { class: 'muted' },
              'No virtual services yet: add one under Edit Configuration or run the setup wizard.',
            ),
          ]),
    );
  };

  const update = (key: string, sig: string, make: () => HTMLElement) => {
    const drawn = rows.get(key);
    if (drawn === undefined || drawn.sig === sig) return;
    // Keep keyboard focus on the same button when its row is redrawn.
    const focused = document.activeElement as HTMLElement | null;
    const action = drawn.element.contains(focused) ? focused?.dataset.action : undefined;
    const element = make();
    drawn.element.replaceWith(element);
    rows.set(key, { element, sig });
    if (action) {
      // The pressed button is disabled now (the server is in that state): the way back
      // (Online; Take offline after Online) takes the focus, so a keyboard user undoes it
      // with Enter instead of tabbing again from the top of the page.
      const button = [action, 'online', 'offline']
        .map((a) => element.querySelector<HTMLButtonElement>(`button[data-action="${a}"]`))
        .find((b) => b !== null && !b.disabled);
      button?.focus();
    }
  };

  const draw = (status: StatusSnapshot) => {
    const services = status.engine.services;
    const terminations = status.engine.terminations ?? [];
    const shape = `${services.map((s) => `${s.layer}/${s.label}:${s.realServers.map((r) => r.label).join(',')}`).join(';')}|${terminations.map((t) => t.label).join(',')}`;
    if (shape !== layout) {
      layout = shape;
      rebuild(services, terminations);
      if (terminations.length === 0) certificates.replaceChildren();
      else
        loadCertificateStatus()
          .then((statuses) => replace(certificates, certificateWarnings(statuses.values(), true)))
          // The overview stands without it; the Certificates page says what cannot be read.
          .catch(() => certificates.replaceChildren());
    } else {
      for (const service of services) {
        const key = `${service.layer}/${service.label}`;
        update(key, serviceSig(service), () => serviceRow(service));
        for (const rs of service.realServers) update(`${key}/${rs.label}`, serverSig(rs), () => serverRow(service, rs));
      }
      for (const t of terminations) update(`ssl/${t.label}`, terminationSig(t), () => terminationRow(t));
    }
    replace(
      parts,
      h('p', {}, `Configuration version ${status.configVersion}.`),
      h(
        'ul',
        { class: 'parts', 'aria-label': 'Engine parts' },
        status.engine.parts.map((p) => {
          const inUse = partInUse(p.part, status.engine);
          return h(
            'li',
            { 'data-part': p.part },
            h(
              'span',
              { class: 'colour', 'data-colour': partColour(p, inUse) },
              `${p.part}: ${p.state}${p.state === 'unavailable' && !inUse ? ' (not in use)' : ''}`,
            ),
            // An applied part's detail is a warning that matters (a VIP no interface's network holds).
            p.detail ? h('span', { class: p.state === 'applied' ? 'warn' : 'muted' }, ` — ${p.detail}`) : null,
          );
        }),
      ),
    );
  };
  const stop = watchStatus(draw);
  refreshStatus().catch((error) => toast((error as Error).message, true));
  return stop;
}
