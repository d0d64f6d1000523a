import type { DiffEntry } from '../../model/diff.js';
import type { VersionInfo } from '../../model/version-info.js';
import { ApiError, api, apiUrl } from '../api.js';
import { formatTime, h, replace, toast } from '../dom.js';
import { go } from '../nav.js';
import { loadConfig } from '../state.js';
import { listOf } from './reports.js';
import { DISMISSED } from './wizard-gate.js';

/** A value as JSON, indented: a service's object wraps within its cell instead of making one line as wide as itself. */
const show = (value: unknown) => (value === undefined ? '' : h('pre', {}, JSON.stringify(value, null, 1)));

export function renderDiff(entries: readonly DiffEntry[]): HTMLElement {
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No differences.');
  return h(
    'table',
    { class: 'diff', 'aria-label': 'Differences' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Change', 'Path', 'Before', 'After'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      entries.map((e) =>
        h(
          'tr',
          { class: e.op },
          h('td', { class: e.op }, e.op),
          h('td', {}, h('code', {}, e.path)),
          h('td', {}, show(e.before)),
          h('td', {}, show(e.after)),
        ),
      ),
    ),
  );
}

/**
 * What a rollback brings back, and what it does not, as the store does it
 * (store/credentials.ts): the users and their passwords are never rolled back.
 */
function rollbackQuestion(target: VersionInfo): string {
  const by = `${target.author}${target.comment ? `: ${target.comment}` : ''}`;
  return [
    `Roll back to version ${target.version} of ${formatTime(target.time)} (${by})?`,
    "This brings back that version's whole configuration: services and real servers, health checks, " +
      'SSL terminations and certificates, floating IPs, network, heartbeat (with its key) and the administration ports.',
    "It does not bring back that version's users and passwords: the users and passwords stay as they are now. " +
      'Servers taken offline or drained stay so.',
    'The result is stored as a new version; every version stays in the history.',
  ].join('\n\n');
}

/** Backup and restore, factory defaults, and the configuration history with diff and rollback. */
export async function renderMaintenance(main: HTMLElement): Promise<void> {
  const { version } = await loadConfig();
  const versions = listOf<VersionInfo>(await api.get('/config/versions')).sort((a, b) => b.version - a.version);
  // Focus moves to the diff's heading, which a screen reader reads: no live region (it would read the whole table too).
  const diffSlot = h('div', { class: 'diff-result' });

  const restoreFile = h('input', { id: 'restore-file', type: 'file', accept: 'application/json,.json' });
  const restoreResult = h('p', { role: 'status' });
  const restore = async () => {
    const file = restoreFile.files?.[0];
    if (!file) {
      restoreResult.textContent = 'Choose a backup file first.';
      return;
    }
    if (
      !confirm(
        `Restore the backup ${file.name}? The current configuration is replaced (it stays in the history), and the backup's users and passwords come back with it: log in with the backup's credentials afterwards.`,
      )
    )
      return;
    let backup: unknown;
    try {
      backup = JSON.parse(await file.text());
    } catch {
      restoreResult.textContent = 'This file is not JSON: not a backup of this appliance.';
      return;
    }
    try {
      const result = await api.post<{ version?: number }>('/restore', backup);
      toast(`Backup restored${result?.version ? ` as configuration version ${result.version}` : ''}`);
      await renderMaintenance(main);
    } catch (error) {
      restoreResult.textContent = (error as Error).message;
    }
  };

  const confirmText = h('input', { id: 'reset-confirm', type: 'text', autocomplete: 'off' });
  const reset = async () => {
    if (confirmText.value !== 'factory-reset') {
      toast('Type factory-reset to confirm.', true);
      confirmText.focus();
      return;
    }
    try {
      await api.post('/factory-reset', { confirm: 'factory-reset' });
      toast('Factory defaults restored');
      localStorage.removeItem(DISMISSED);
      go('/');
    } catch (error) {
      toast((error as Error).message, true);
    }
  };

  const showDiff = async (from: number, to: number) => {
    try {
      const data = await api.get<unknown>('/config/diff', { query: { from, to } });
      const heading = h('h2', { id: 'diff-h', tabindex: '-1' }, `Changes from version ${from} to version ${to}`);
      // Its own scrolling box: a long value never makes the page wider than the window.
      replace(diffSlot, heading, h('div', { class: 'diff-box' }, renderDiff(listOf<DiffEntry>(data))));
      // The diff is drawn below the history: brought to the user, and the keyboard's focus with it.
      diffSlot.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    } catch (error) {
      replace(diffSlot, h('p', { role: 'alert' }, (error as Error).message));
      diffSlot.scrollIntoView({ block: 'nearest' });
    }
  };
  const rollback = async (target: VersionInfo) => {
    const to = target.version;
    if (!confirm(rollbackQuestion(target))) return;
    try {
      const result = await api.post<{ version: number }>('/config/rollback', { to, version });
      toast(`Rolled back: version ${result.version} holds version ${to}'s configuration`);
      await renderMaintenance(main);
    } catch (error) {
      toast(
        error instanceof ApiError && error.code === 'STORE_CONFLICT'
          ? 'The configuration changed meanwhile: try again.'
          : (error as Error).message,
        true,
      );
    }
  };

  replace(
    main,
    h('h1', {}, 'Maintenance'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'backup-h' },
      h('h2', { id: 'backup-h' }, 'Backup'),
      h('p', {}, 'The configuration, its history, the admin states and the users, as one JSON file.'),
      h('a', { class: 'button', href: apiUrl('/backup'), download: '', id: 'backup-download' }, 'Download backup'),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'restore-h' },
      h('h2', { id: 'restore-h' }, 'Restore'),
      h('div', { class: 'field' }, h('label', { for: 'restore-file' }, 'Backup file'), restoreFile),
      h('button', { type: 'button', class: 'primary', onclick: restore }, 'Restore backup'),
      restoreResult,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'reset-h' },
      h('h2', { id: 'reset-h' }, 'Restore factory defaults'),
      h(
        'p',
        {},
        'Removes every service, address and setting (the history is kept). Type ',
        h('code', {}, 'factory-reset'),
        ' to confirm.',
      ),
      h('div', { class: 'field' }, h('label', { for: 'reset-confirm' }, 'Confirmation'), confirmText),
      h('button', { type: 'button', class: 'danger', onclick: reset }, 'Restore factory defaults'),
    ),
    h('h2', {}, 'Configuration history'),
    h(
      'table',
      { 'aria-label': 'Configuration versions, newest first' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Version', 'Time', 'Author', 'Comment', 'Actions'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        versions.map((v) =>
          h(
            'tr',
            { 'data-version': v.version },
            h('td', { class: 'num' }, v.version, v.version === version ? ' (current)' : ''),
            h('td', {}, formatTime(v.time)),
            h('td', {}, v.author),
            h('td', {}, v.comment ?? ''),
            h(
              'td',
              {},
              h(
                'div',
                { class: 'actions' },
                v.version > 1
                  ? h(
                      'button',
                      {
                        type: 'button',
                        'aria-label': `Changes in version ${v.version}`,
                        onclick: () => showDiff(v.version - 1, v.version),
                      },
                      'Changes',
                    )
                  : null,
                v.version !== version
                  ? h(
                      'button',
                      {
                        type: 'button',
                        // Begins with the visible text (label in name): a speech user says what is shown.
                        'aria-label': `Diff to current: version ${v.version}`,
                        onclick: () => showDiff(v.version, version),
                      },
                      'Diff to current',
                    )
                  : null,
                v.version !== version
                  ? h(
                      'button',
                      {
                        type: 'button',
                        'aria-label': `Roll back to version ${v.version}`,
                        onclick: () => rollback(v),
                      },
                      'Roll back',
                    )
                  : null,
              ),
            ),
          ),
        ),
      ),
    ),
    diffSlot,
  );
}
