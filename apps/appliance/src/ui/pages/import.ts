import type { DiffEntry } from '../../model/diff.js';
import { ApiError, api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { goOnFrom } from '../nav.js';
import { loadConfig } from '../state.js';
import { renderDiff } from './maintenance.js';

interface Note {
  file: string;
  line: number;
  directive: string;
  kind: string;
  message: string;
}
interface Preview {
  baseVersion: number;
  mapped: number;
  files: string[];
  notes: Note[];
  replaced: string[];
  kept: string[];
  changes: DiffEntry[];
  errors: { code: string; field?: string; message: string }[];
}

const FORMATS: [string, string][] = [
  ['keepalived', 'keepalived.conf'],
  ['ldirectord', 'ldirectord.cf'],
  ['ipvsadm', 'ipvsadm -S / -Sn output, or an ipvsadm -R script'],
  ['haproxy', 'haproxy.cfg'],
];

/**
 * A folder's files by their path below the folder (a keepalived.conf at the top resolves
 * `include conf.d/*.conf` among them, as keepalived does on its own disk).
 */
function folderFiles(list: FileList | null): File[] {
  return [...(list ?? [])];
}
const belowFolder = (file: File) => (file.webkitRelativePath || file.name).split('/').slice(1).join('/') || file.name;

function renderNotes(notes: readonly Note[]): HTMLElement {
  if (notes.length === 0) return h('p', { class: 'muted' }, 'Every directive mapped exactly.');
  return h(
    'table',
    { 'aria-label': 'Import notes' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Where', 'Kind', 'Directive', 'Note'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      notes.map((note) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, `${note.file}:${note.line}`)),
          h('td', {}, note.kind),
          h('td', {}, h('code', {}, note.directive)),
          h('td', {}, note.message),
        ),
      ),
    ),
  );
}

/**
 * Import another tool's configuration: upload, see what it would change and every
 * directive that did not map exactly, then apply it as a new version (the preview's
 * version: a configuration changed meanwhile is refused, and previewed again).
 */
export async function renderImport(main: HTMLElement): Promise<void> {
  await loadConfig();
  const format = h(
    'select',
    { id: 'import-format' },
    FORMATS.map(([value, label]) => h('option', { value }, label)),
  ) as HTMLSelectElement;
  const file = h('input', { id: 'import-file', type: 'file' }) as HTMLInputElement;
  const folder = h('input', {
    id: 'import-folder',
    type: 'file',
    webkitdirectory: '',
    multiple: '',
  }) as HTMLInputElement;
  const result = h('div', { class: 'import-result' });
  let upload: { format: string; file: string; files: Record<string, string> } | undefined;

  const show = (preview: Preview) => {
    const heading = h('h2', { id: 'import-preview-h', tabindex: '-1' }, 'Preview');
    const apply = h(
      'button',
      {
        type: 'button',
        class: 'primary admin-only',
        disabled: preview.errors.length > 0 ? '' : undefined,
        onclick: () => applyImport(preview.baseVersion),
      },
      'Apply the import',
    );
    replace(
      result,
      heading,
      h(
        'p',
        { role: 'status' },
        `${preview.mapped} directive(s) mapped from ${preview.files.length} file(s) (${preview.files.join(', ')}); ` +
          `${preview.notes.length} note(s); ${preview.changes.length} change(s) against configuration version ${preview.baseVersion}.`,
      ),
      preview.errors.length === 0
        ? ''
        : h(
            'div',
            { role: 'alert' },
            h('p', {}, 'The configuration would refuse this import:'),
            h(
              'ul',
              {},
              preview.errors.map((error) => h('li', {}, error.message)),
            ),
          ),
      preview.replaced.length === 0
        ? ''
        : h(
            'p',
            {},
            'Replaces: ',
            preview.replaced.map((path) => h('code', {}, path, ' ')),
          ),
      preview.kept.length === 0
        ? ''
        : h('p', {}, `Keeps the current ${preview.kept.join(', ')}: the import's is not taken.`),
      h('h3', {}, 'Notes'),
      renderNotes(preview.notes),
      h('h3', {}, 'Changes'),
      h('div', { class: 'diff-box' }, renderDiff(preview.changes)),
      apply,
    );
    result.scrollIntoView({ block: 'start' });
    heading.focus({ preventScroll: true });
  };

  const previewImport = async () => {
    const named = file.files?.[0];
    if (named === undefined) {
      replace(result, h('p', { role: 'alert' }, 'Choose the configuration file first.'));
      file.focus();
      return;
    }
    const files: Record<string, string> = {};
    for (const extra of folderFiles(folder.files)) files[belowFolder(extra)] = await extra.text();
    files[named.name] = await named.text();
    upload = { format: format.value, file: named.name, files };
    try {
      show(await api.post<Preview>('/config/import', upload));
    } catch (error) {
      replace(result, h('p', { role: 'alert' }, (error as Error).message));
    }
  };

  const applyImport = async (version: number) => {
    if (upload === undefined) return;
    try {
      const stored = await api.post<{ version: number }>('/config/import/apply', upload, { query: { version } });
      toast(`Imported as configuration version ${stored.version}`);
      goOnFrom(result, '/overview');
    } catch (error) {
      if (error instanceof ApiError && error.code === 'STORE_CONFLICT') {
        toast('The configuration changed since the preview: previewed again.', true);
        await previewImport();
      } else toast((error as Error).message, true);
    }
  };

  replace(
    main,
    h('h1', {}, 'Import configuration'),
    h(
      'p',
      {},
      'Move in from keepalived, ldirectord, ipvsadm or HAProxy: the import is added beside the current ' +
        'configuration (an object of the same label is replaced). Nothing is stored until you apply the preview.',
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'import-h' },
      h('h2', { id: 'import-h' }, 'Files'),
      h('div', { class: 'field' }, h('label', { for: 'import-format' }, 'Format'), format),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'Configuration file'), file),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'import-folder' }, 'Folder with included files (optional)'),
        folder,
        h(
          'p',
          { class: 'help' },
          'keepalived only: the folder the file lives in, so that relative includes (include conf.d/*.conf) are found. ' +
            'Absolute includes: run sluice-appliance import on that machine instead.',
        ),
      ),
      h('button', { type: 'button', class: 'primary', onclick: previewImport }, 'Preview the import'),
    ),
    result,
  );
}
