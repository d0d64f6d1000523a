import type { ApplianceConfig } from '../../model/schema.js';
import { ApiError, type ApiIssue, api, seg } from '../api.js';
import { certificateWarnings, loadCertificateStatus } from '../certificate-status.js';
import { h, replace, toast } from '../dom.js';
import { createForm, type FieldSpec, type Form } from '../forms.js';
import { layer4Notice } from '../host.js';
import { go, goOnFrom, routeTo } from '../nav.js';
import type { ChildKind, ResourceKind } from '../resources.js';
import { saved, savedWarnings } from '../saved.js';
import { loadConfig } from '../state.js';
import { watchUnsaved } from '../unsaved.js';
import { validate } from '../validation.js';
import { terminationUpload } from './termination-upload.js';

type Item = Record<string, unknown>;

export interface WriteResult {
  version: number;
  warnings?: ApiIssue[];
}

/** Report a failed write on a form: field errors beside their fields, the rest on top. */
export function showApiError(form: Form, error: unknown, prefix: string): void {
  if (error instanceof ApiError) {
    if (error.code === 'STORE_CONFLICT') {
      form.setFormErrors([
        { code: error.code, message: 'Someone changed the configuration meanwhile: reload the page and apply again.' },
      ]);
      return;
    }
    form.setFormErrors(form.showErrors(error.all(), prefix));
    return;
  }
  form.setFormErrors([{ code: 'ERROR', message: String(error) }]);
}

/**
 * Validate as the user types: the candidate configuration (the edited object put in its
 * place) through the API's own validator; only errors this edit brings are shown.
 */
export function liveValidation(
  config: ApplianceConfig,
  prefix: string,
  place: (candidate: Item, value: Item) => void,
  /** Only errors under this path (a real server of a service not complete yet: not the service's own). */
  scope?: string,
): (form: Form) => void {
  let seq = 0;
  const baseline = validate(config).then((v) => new Set(v.errors.map((e) => e.message)));
  return (form) => {
    const mine = ++seq;
    const candidate = structuredClone(config) as unknown as Item;
    place(candidate, form.value());
    Promise.all([validate(candidate), baseline]).then(([verdict, before]) => {
      if (mine !== seq) return;
      const errors = verdict.errors.filter(
        (e) => !before.has(e.message) && (scope === undefined || e.field?.startsWith(scope) === true),
      );
      const unclaimed = form.showErrors(errors, prefix);
      const warnings = verdict.warnings.filter((w) => w.field?.startsWith(prefix));
      form.setFormErrors(unclaimed, warnings);
    });
  };
}

function table(
  columns: ResourceKind['columns'],
  items: readonly Item[],
  actions: (item: Item) => Node[],
  caption: string,
) {
  return h(
    'table',
    {},
    h('caption', { class: 'sr-only' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map(([title]) => h('th', { scope: 'col' }, title)),
        h('th', { scope: 'col' }, 'Actions'),
      ),
    ),
    h(
      'tbody',
      {},
      items.length === 0
        ? h('tr', {}, h('td', { colspan: columns.length + 1, class: 'muted' }, 'None yet.'))
        : items.map((item) =>
            h(
              'tr',
              {},
              columns.map(([, cell]) => h('td', {}, cell(item))),
              h('td', {}, h('div', { class: 'actions' }, actions(item))),
            ),
          ),
    ),
  );
}

async function remove(path: string, what: string, version: number, after: () => void) {
  if (!confirm(`Delete ${what}?`)) return;
  try {
    await api.del(path, { version });
    toast(`${what} deleted`);
    after();
  } catch (error) {
    toast(error instanceof Error ? error.message : String(error), true);
  }
}

/** The key of an object being edited is fixed: the API renames by delete and add. */
function keyReadonly(fields: readonly FieldSpec[], key: string): FieldSpec[] {
  return fields.map((f) =>
    f.name === key ? { ...f, readonly: true, help: 'Fixed: to rename, delete and add again.' } : f,
  );
}

/** On the Layer 4 pages: why Layer 4 cannot run on this host, when it cannot. */
const hostNotice = (kind: ResourceKind) => (kind.id === 'layer4' ? layer4Notice() : Promise.resolve(null));

export async function renderResourceList(main: HTMLElement, kind: ResourceKind): Promise<void> {
  const [{ version, config }, notice, statuses] = await Promise.all([
    loadConfig(),
    hostNotice(kind),
    // The Certificates page shows what each file holds (subject, names, expiry), not only its path.
    kind.id === 'certificates' ? loadCertificateStatus() : undefined,
  ]);
  const stored = config[kind.configKey] as unknown as Item[];
  const items = statuses ? stored.map((item) => ({ ...item, status: statuses.get(kind.keyOf(item)) })) : stored;
  replace(
    main,
    h('h1', {}, kind.title),
    notice,
    savedWarnings(),
    statuses ? certificateWarnings(statuses.values()) : null,
    kind.intro ? h('p', { class: 'muted' }, kind.intro) : null,
    h('p', {}, h('a', { class: 'button', href: routeTo('config', kind.id, 'new') }, `Add ${kind.noun}`)),
    table(
      kind.columns,
      items,
      (item) => [
        h(
          'a',
          {
            class: 'button',
            href: routeTo('config', kind.id, 'edit', kind.keyOf(item)),
            'aria-label': `Edit ${kind.keyOf(item)}`,
          },
          'Edit',
        ),
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Delete ${kind.keyOf(item)}`,
            onclick: () =>
              remove(`${kind.apiPath}/${seg(kind.keyOf(item))}`, `${kind.noun} ${kind.keyOf(item)}`, version, () =>
                renderResourceList(main, kind),
              ),
          },
          'Delete',
        ),
      ],
      kind.title,
    ),
    kind.id === 'certificates' ? terminationUpload(config, version, () => renderResourceList(main, kind)) : null,
  );
}

/**
 * Before a write that does work first (makes a certificate): the model's verdict on the
 * edited object, shown beside its fields; true when it has faults, so nothing is made for
 * a write that would then be refused.
 */
async function faultsOf(f: Form, config: ApplianceConfig, kind: ResourceKind, index: number, prefix: string) {
  const candidate = structuredClone(config) as unknown as Item;
  const value = f.value();
  (candidate[kind.configKey] as Item[])[index] = kind.place ? kind.place(candidate, value) : value;
  const errors = (await validate(candidate)).errors.filter((e) => e.field?.startsWith(prefix));
  if (errors.length === 0) return false;
  f.setFormErrors(f.showErrors(errors, prefix));
  return true;
}

/**
 * A service's edit page (or any object's). A service's real servers are listed below its
 * form: on a saved service each is written at once, and the page is redrawn with what was
 * typed in the service's fields still there (unsaved); on a new service they are kept here
 * and written with it, in the same version, when it is added.
 * `kept`: the service form's edits to put back after such a redraw.
 */
export async function renderResourceEdit(
  main: HTMLElement,
  kind: ResourceKind,
  key: string | undefined,
  kept?: Record<string, string | boolean>,
): Promise<void> {
  const [{ version, config }, notice] = await Promise.all([loadConfig(), hostNotice(kind)]);
  const items = config[kind.configKey] as unknown as Item[];
  const index = key === undefined ? items.length : items.findIndex((item) => kind.keyOf(item) === key);
  if (index < 0) {
    replace(main, h('h1', {}, kind.title), h('p', {}, `There is no ${kind.noun} "${key}".`));
    return;
  }
  const original = key === undefined ? kind.newItem() : (items[index] as Item);
  const prefix = `${kind.configKey}[${index}]`;
  // A new service's real servers, until it is added with them.
  const pending: Item[] = [];
  const withPending = (value: Item): Item =>
    kind.children && key === undefined && pending.length > 0 ? { ...value, [kind.children.key]: pending } : value;
  const check = liveValidation(config, prefix, (candidate, value) => {
    (candidate[kind.configKey] as Item[])[index] = kind.place
      ? kind.place(candidate, withPending(value))
      : withPending(value);
  });
  const form = createForm({
    name: `${kind.noun} ${key ?? 'new'}`,
    fields:
      key === undefined
        ? kind.fields(config)
        : keyReadonly(kind.fields(config), kind.id === 'floating-ips' ? 'address' : 'label'),
    initial: original,
    submitLabel: key === undefined ? `Add ${kind.noun}` : 'Apply changes',
    onCancel: () => go(routeTo('config', kind.id)),
    onInput: check,
    async onSubmit(f) {
      try {
        if (kind.prepare !== undefined && (await faultsOf(f, config, kind, index, prefix))) return;
        const { item: body, version: base } = kind.prepare
          ? await kind.prepare(config, f.value(), version)
          : { item: withPending(f.value()), version };
        const result =
          key === undefined
            ? await api.post<WriteResult>(kind.apiPath, body, { version: base })
            : await api.put<WriteResult>(`${kind.apiPath}/${seg(key)}`, body, { version: base });
        saved(result);
        const newKey = kind.keyOf(body);
        goOnFrom(form.element, kind.children ? routeTo('config', kind.id, 'edit', newKey) : routeTo('config', kind.id));
      } catch (error) {
        showApiError(f, error, prefix);
      }
    },
  });
  const parts: Node[] = [
    h('h1', {}, key === undefined ? `New ${kind.noun}` : `${kind.title}: ${key}`),
    h('p', {}, h('a', { href: routeTo('config', kind.id) }, `← All ${kind.title.toLowerCase()}`)),
  ];
  if (notice) parts.push(notice);
  const warned = savedWarnings();
  if (warned) parts.push(warned);
  parts.push(form.element);
  if (kind.children) {
    parts.push(
      childSection(kind, kind.children, config, version, {
        parentIndex: index,
        ...(key === undefined ? { pending } : { parentKey: key }),
        service: () => withPending(form.value()),
        // The service's verdict changes with its servers ("no real servers" goes).
        changed: () => check(form),
        reload: () => renderResourceEdit(main, kind, key, form.edits()),
      }),
    );
  }
  replace(main, ...parts);
  if (kept !== undefined) form.restore(kept);
  (form.element.querySelector('input, select, textarea') as HTMLElement | null)?.focus();
}

/** Where a service's real servers go. */
interface ChildPlace {
  parentIndex: number;
  /** A saved service: its real servers are written at once. */
  parentKey?: string;
  /** A new service: its real servers are kept here, to be written with it. */
  pending?: Item[];
  /** The service as its form holds it now (with its pending servers). */
  service: () => Item;
  /** Redraw the page after a write, keeping what the service form holds. */
  reload: () => Promise<void>;
  /** The pending servers changed. */
  changed: () => void;
}

function childSection(
  kind: ResourceKind,
  child: ChildKind,
  config: ApplianceConfig,
  version: number,
  place: ChildPlace,
): HTMLElement {
  const { parentIndex, parentKey, pending } = place;
  const parent = (config[kind.configKey] as unknown as Item[])[parentIndex] as Item | undefined;
  const children = pending ?? (parent?.[child.key] as Item[] | undefined) ?? [];
  const base = parentKey === undefined ? '' : `${kind.apiPath}/${seg(parentKey)}${child.apiSuffix}`;
  const slot = h('div');
  const listed = h('div');
  const prefixOf = (index: number) => `${kind.configKey}[${parentIndex}].${child.key}[${index}]`;
  /** The configuration with the service as edited and `value` as its real server `index`. */
  const candidateWith = (index: number, value: Item) => {
    const candidate = structuredClone(config) as unknown as Item;
    const services = candidate[kind.configKey] as Item[];
    const service = pending ? place.service() : (services[parentIndex] as Item);
    const list = ((service[child.key] as Item[] | undefined) ?? []).slice();
    list[index] = value;
    services[parentIndex] = { ...service, [child.key]: list };
    return candidate;
  };

  const openForm = (childKey: string | undefined) => {
    const index = childKey === undefined ? children.length : children.findIndex((c) => c.label === childKey);
    const prefix = prefixOf(index);
    const form = createForm({
      name: `${child.noun} ${childKey ?? 'new'}`,
      fields: childKey === undefined ? child.fields : keyReadonly(child.fields, 'label'),
      initial: childKey === undefined ? child.newItem() : (children[index] as Item),
      submitLabel: childKey === undefined ? `Add ${child.noun}` : `Apply ${child.noun}`,
      onCancel: () => slot.replaceChildren(),
      onInput: liveValidation(
        config,
        prefix,
        (candidate, value) => {
          const made = candidateWith(index, value);
          candidate[kind.configKey] = made[kind.configKey];
        },
        // The new service may not be complete yet: only this server's faults are this form's.
        pending ? prefix : undefined,
      ),
      async onSubmit(f) {
        if (pending) {
          // Kept for the service's own write: the model judges the server now, beside its fields.
          const errors = (await validate(candidateWith(index, f.value()))).errors.filter((e) =>
            e.field?.startsWith(prefix),
          );
          if (errors.length > 0) {
            f.setFormErrors(f.showErrors(errors, prefix));
            return;
          }
          pending[index] = f.value();
          slot.replaceChildren();
          draw();
          place.changed();
          return;
        }
        try {
          const result =
            childKey === undefined
              ? await api.post<WriteResult>(base, f.value(), { version })
              : await api.put<WriteResult>(`${base}/${seg(childKey)}`, f.value(), { version });
          saved(result);
          await place.reload();
        } catch (error) {
          showApiError(f, error, prefix);
        }
      },
    });
    slot.replaceChildren(
      h('h3', {}, childKey === undefined ? `New ${child.noun}` : `Edit ${child.noun} ${childKey}`),
      form.element,
    );
    (form.element.querySelector('input') as HTMLElement | null)?.focus();
  };

  const removeChild = (label: string) => {
    if (pending) {
      const at = pending.findIndex((c) => c.label === label);
      if (at >= 0) pending.splice(at, 1);
      draw();
      place.changed();
      return;
    }
    remove(`${base}/${seg(label)}`, `${child.noun} ${label}`, version, place.reload);
  };

  const draw = () =>
    listed.replaceChildren(
      table(
        child.columns,
        children,
        (item) => [
          h(
            'button',
            { type: 'button', 'aria-label': `Edit ${String(item.label)}`, onclick: () => openForm(String(item.label)) },
            'Edit',
          ),
          h(
            'button',
            {
              type: 'button',
              'aria-label': `${pending ? 'Remove' : 'Delete'} ${String(item.label)}`,
              onclick: () => removeChild(String(item.label)),
            },
            pending ? 'Remove' : 'Delete',
          ),
        ],
        child.title,
      ),
    );
  draw();

  const section = h(
    'section',
    { 'aria-label': child.title },
    h('h2', {}, child.title),
    pending
      ? h(
          'p',
          { class: 'muted' },
          `Real servers added here are saved with the ${kind.noun}, in the same version, when you press "Add ${kind.noun}".`,
        )
      : null,
    listed,
    h(
      'p',
      {},
      h('button', { type: 'button', class: 'admin-only', onclick: () => openForm(undefined) }, `Add ${child.noun}`),
    ),
    slot,
  );
  // Servers kept for a service not added yet are edits too: leaving the page would lose them.
  if (pending) watchUnsaved({ element: section, dirty: () => pending.length > 0 });
  return section;
}
