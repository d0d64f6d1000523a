import type { LogRecord } from '../../model/log-record.js';
import { api, apiUrl } from '../api.js';
import { h, replace } from '../dom.js';
import { listOf } from './reports.js';

const CHANNELS = ['', 'heartbeat', 'layer4', 'layer7', 'health', 'audit', 'system'];
const LEVELS = ['debug', 'info', 'warn', 'error'];

function row(r: LogRecord): HTMLTableRowElement {
  const fields = r.fields
    ? Object.entries(r.fields)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')
    : '';
  return h(
    'tr',
    { class: `level-${r.level}`, 'data-seq': r.seq },
    h('td', {}, new Date(r.time).toLocaleString()),
    h('td', {}, r.channel),
    h('td', {}, r.level),
    h('td', {}, r.message, fields ? h('span', { class: 'muted' }, ` ${fields}`) : null),
  );
}

/** Heartbeat, Layer 4, Layer 7, health, audit and system logs: filter, and follow as they are written. */
export async function renderLogs(main: HTMLElement): Promise<() => void> {
  const channel = h(
    'select',
    { id: 'log-channel' },
    CHANNELS.map((c) => h('option', { value: c }, c || 'every channel')),
  );
  const level = h(
    'select',
    { id: 'log-level' },
    LEVELS.map((l) => h('option', { value: l, ...(l === 'info' ? { selected: true } : {}) }, l)),
  );
  const text = h('input', { id: 'log-text', type: 'search', placeholder: 'text' });
  const follow = h('input', { id: 'log-follow', type: 'checkbox' });
  const body = h('tbody');
  const status = h('p', { class: 'muted', role: 'status' });
  let source: EventSource | undefined;

  const filters = () => ({ channel: channel.value, level: level.value, q: text.value.trim() });
  const stopFollow = () => {
    source?.close();
    source = undefined;
  };
  const load = async () => {
    stopFollow();
    const records = listOf<LogRecord>(await api.get('/logs', { query: { ...filters(), limit: 500 } })).sort(
      (a, b) => b.seq - a.seq,
    );
    body.replaceChildren(...records.map(row));
    status.textContent = `${records.length} records${follow.checked ? ', following' : ''}`;
    if (follow.checked) {
      const after = records.reduce((max, r) => Math.max(max, r.seq), 0);
      source = new EventSource(apiUrl('/logs/follow', { ...filters(), after }));
      const add = (event: MessageEvent<string>) => {
        const record = JSON.parse(event.data) as LogRecord;
        body.prepend(row(record));
        while (body.childElementCount > 2000) body.lastElementChild?.remove();
      };
      source.addEventListener('log', add as EventListener);
      source.onmessage = add;
    }
  };
  const reload = () => {
    load().catch((error) => {
      status.textContent = (error as Error).message;
    });
  };
  for (const el of [channel, level, follow]) el.addEventListener('change', reload);
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') reload();
  });

  replace(
    main,
    h('h1', {}, 'Logs'),
    h(
      'div',
      { class: 'toolbar', role: 'search' },
      h('label', { for: 'log-channel' }, 'Channel', channel),
      h('label', { for: 'log-level' }, 'Least level', level),
      h('label', { for: 'log-text' }, 'Containing', text),
      h('label', { for: 'log-follow' }, 'Follow', follow),
      h('button', { type: 'button', onclick: reload }, 'Filter'),
    ),
    status,
    h(
      'table',
      { class: 'log', 'aria-label': 'Log records, newest first' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Time', 'Channel', 'Level', 'Message'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      body,
    ),
  );
  await load();
  return stopFollow;
}
