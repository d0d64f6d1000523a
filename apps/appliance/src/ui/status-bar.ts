import type { HaStatus } from '../model/ha-status.js';
import { api } from './api.js';
import { h, replace, toast } from './dom.js';
import { state, watchStatus } from './state.js';

function segment(label: string, options: readonly [string, boolean][]): HTMLElement {
  return h(
    'span',
    { class: 'seg', role: 'group', 'aria-label': label },
    options.map(([text, on]) => h('span', { class: on ? 'on' : '', 'aria-current': on ? 'true' : undefined }, text)),
  );
}

async function roleAction(path: '/ha/takeover' | '/ha/standby', question: string): Promise<void> {
  if (!confirm(question)) return;
  try {
    await api.post(path, {});
    toast(path.endsWith('takeover') ? 'This node takes over' : 'This node hands over to its peer');
  } catch (error) {
    toast((error as Error).message, true);
  }
}

/** "since 23:04:05 (peer dead)", or with the date when it was not today. */
export function sinceText(since: string, reason: string | undefined, now = new Date()): string {
  const at = new Date(since);
  const time = at.toLocaleTimeString(undefined, { hour12: false });
  const when = at.toDateString() === now.toDateString() ? time : `${at.toLocaleDateString()} ${time}`;
  return `since ${when}${reason ? ` (${reason.replaceAll('-', ' ')})` : ''}`;
}

/** `Master | Slave`, `Active | Passive` since when and why, `Link`, the manual's warnings, takeover and standby. */
export function renderStatusBar(bar: HTMLElement, onLogout: () => void): () => void {
  const draw = (ha: HaStatus | undefined) => {
    const user = state.session?.user ?? '';
    if (ha === undefined) {
      replace(bar, h('span', { class: 'brand' }, 'Sluice'), h('span', {}, 'status…'));
      return;
    }
    const link = ha.enabled ? ha.link : 'n/a';
    replace(
      bar,
      h('span', { class: 'brand' }, 'Sluice'),
      ha.enabled
        ? segment('Role', [
            ['Master', ha.role === 'master'],
            ['Slave', ha.role === 'slave'],
          ])
        : segment('Role', [['Standalone', true]]),
      segment('State', [
        ['Active', ha.state === 'active'],
        ['Passive', ha.state === 'passive'],
      ]),
      ha.enabled && ha.since !== undefined
        ? h('span', { class: 'since', 'data-testid': 'since' }, sinceText(ha.since, ha.reason))
        : null,
      h(
        'span',
        {
          class: `link-${link}`,
          'data-testid': 'link',
          ...(ha.heartbeat === undefined
            ? {}
            : {
                title: `heartbeats: this node's at most ${ha.heartbeat.sendLateness.maxMs} ms late, the peer's at most ${ha.heartbeat.peerGap.maxMs} ms apart`,
              }),
        },
        `Link: ${link === 'up' ? 'up' : link === 'down' ? 'DOWN' : link}`,
        ha.peer ? ` (peer ${ha.peer.name} ${ha.peer.address})` : '',
      ),
      ha.warnings.map((w) => h('span', { class: 'warn', role: 'alert' }, w)),
      h('span', { class: 'spacer' }),
      ha.enabled && ha.state === 'passive'
        ? h(
            'button',
            {
              type: 'button',
              class: 'admin-only',
              onclick: () => roleAction('/ha/takeover', 'Make this node the active one now?'),
            },
            'Take over',
          )
        : null,
      ha.enabled && ha.state === 'active'
        ? h(
            'button',
            {
              type: 'button',
              class: 'admin-only',
              onclick: () => roleAction('/ha/standby', 'Hand the active role to the peer?'),
            },
            'Standby',
          )
        : null,
      h('span', {}, user),
      h('button', { type: 'button', onclick: onLogout }, 'Log out'),
    );
  };
  draw(state.status?.ha);
  if (state.status === undefined) {
    api
      .get<HaStatus>('/ha')
      .then((ha) => {
        if (state.status === undefined) draw(ha);
      })
      .catch(() => undefined);
  }
  return watchStatus((status) => draw(status.ha));
}
