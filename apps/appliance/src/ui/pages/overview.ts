import type { AdminState, Colour, Layer, RealServerStatus, VirtualServiceStatus } from '../../daemon/interfaces.js';
import { api, seg } from '../api.js';
import { formatBytes, h, replace, toast } from '../dom.js';
import { refreshStatus, type StatusSnapshot, watchStatus } from '../state.js';

const COLOUR_TEXT: Record<Colour, string> = {
  green: 'healthy',
  yellow: 'needs attention',
  red: 'down',
  blue: 'offline by choice',
};

const colourBadge = (colour: Colour, text: string) =>
  h(
    'span',
    { class: 'colour', 'data-colour': colour, title: COLOUR_TEXT[colour] },
    text,
    h('span', { class: 'sr-only' }, ` (${COLOUR_TEXT[colour]})`),
  );

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

function serverRow(service: VirtualServiceStatus, rs: RealServerStatus): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-colour': rs.colour, 'data-server': `${service.layer}/${service.label}/${rs.label}` },
    h('td', {}, colourBadge(rs.colour, rs.label)),
    h('td', {}, `${rs.address}${rs.port === null ? '' : `:${rs.port}`}`),
    h('td', {}, rs.admin),
    h('td', {}, rs.health, rs.healthReason ? h('span', { class: 'muted' }, ` (${rs.healthReason})`) : null),
    h('td', { class: 'num' }, `${rs.effectiveWeight}/${rs.weight}`),
    h('td', { class: 'num', 'data-field': 'active' }, rs.activeConnections),
    h('td', { class: 'num' }, rs.inactiveConnections),
    h('td', { class: 'num' }, formatBytes(rs.bytesIn + rs.bytesOut)),
    h('td', {}, stateButtons(service.layer, service.label, rs.label, rs.admin)),
  );
}

function serviceRows(service: VirtualServiceStatus): HTMLTableRowElement[] {
  return [
    h(
      'tr',
      { class: 'vip', 'data-colour': service.colour, 'data-service': `${service.layer}/${service.label}` },
      h('td', {}, colourBadge(service.colour, service.label)),
      h('td', {}, `${service.vip} ${service.ports.join(',')} ${service.protocol}`),
      h('td', {}, service.layer === 'layer4' ? 'Layer 4' : 'Layer 7'),
      h('td', {}, service.fallbackActive ? 'fallback server active' : ''),
      h('td', {}),
      h('td', { class: 'num' }, service.connections),
      h('td', {}),
      h('td', { class: 'num' }, formatBytes(service.bytesIn + service.bytesOut)),
      h('td', {}, stateButtons(service.layer, service.label, undefined, undefined)),
    ),
    ...service.realServers.map((rs) => serverRow(service, rs)),
  ];
}

/** Every VIP and real server with its colour and counts, redrawn on each pushed status. */
export function renderOverview(main: HTMLElement): () => void {
  const parts = h('div');
  const body = h('tbody');
  const table = h(
    'table',
    { 'aria-label': 'Virtual services and real servers' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Service / server', 'Address', 'Admin', 'Health', 'Weight', 'Active', 'Inactive', 'Traffic', 'Actions'].map(
          (t) => h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    body,
  );
  replace(
    main,
    h('h1', {}, 'System overview'),
    h(
      'p',
      { class: 'muted' },
      'Colours: ',
      (['green', 'yellow', 'red', 'blue'] as const).map((c) => [colourBadge(c, COLOUR_TEXT[c]), ' ']),
      ' — updates live.',
    ),
    parts,
    table,
  );

  const draw = (status: StatusSnapshot) => {
    // Keep keyboard focus on the same button across redraws.
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active?.closest('tr')?.dataset.server ?? active?.closest('tr')?.dataset.service;
    const focusAction = active?.dataset.action;
    const rows = status.engine.services.flatMap(serviceRows);
    body.replaceChildren(
      ...(rows.length > 0
        ? rows
        : [
            h(
              'tr',
              {},
              h(
                'td',
                { colspan: 9, class: 'muted' },
                'No virtual services yet: add one under Edit Configuration or run the setup wizard.',
              ),
            ),
          ]),
    );
    const partColour = { applied: 'green', pending: 'blue', unavailable: 'yellow', failed: 'red' } as const;
    replace(
      parts,
      h('p', {}, `Configuration version ${status.configVersion}.`),
      h(
        'ul',
        { class: 'parts', 'aria-label': 'Engine parts' },
        status.engine.parts.map((p) =>
          h(
            'li',
            {},
            h('span', { class: 'colour', 'data-colour': partColour[p.state] }, `${p.part}: ${p.state}`),
            p.detail && p.state !== 'applied' ? h('span', { class: 'muted' }, ` — ${p.detail}`) : null,
          ),
        ),
      ),
    );
    if (focusKey && focusAction) {
      const row = body.querySelector(
        `tr[data-server="${CSS.escape(focusKey)}"], tr[data-service="${CSS.escape(focusKey)}"]`,
      );
      const button = row?.querySelector<HTMLButtonElement>(`button[data-action="${focusAction}"]`);
      if (button && !button.disabled) button.focus();
    }
  };
  const stop = watchStatus(draw);
  refreshStatus().catch((error) => toast((error as Error).message, true));
  return stop;
}
