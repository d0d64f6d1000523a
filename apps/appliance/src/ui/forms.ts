import type { ApiIssue } from './api.js';
import { type Child, h, uid } from './dom.js';
import { watchUnsaved } from './unsaved.js';

export type FieldType =
  | 'text'
  | 'number'
  | 'select'
  | 'checkbox'
  | 'ports'
  | 'list'
  | 'password'
  | 'textarea'
  | 'lines';

export interface FieldSpec {
  /** Path in the edited object: `vip`, `persistence.timeoutSeconds`. */
  name: string;
  label: string;
  type: FieldType;
  options?: readonly string[];
  /** For `select`: what an option shows when it is not its value. */
  optionText?: Readonly<Record<string, string>>;
  help?: string;
  /** A link after the help (where to make what the field chooses from). */
  helpLink?: { href: string; text: string };
  placeholder?: string;
  /**
   * A placeholder that follows the other fields (the default cookie of the persistence type
   * chosen): given the form's value as it is, redrawn as the user edits.
   */
  placeholderFrom?: (value: Record<string, unknown>) => string | undefined;
  /** For `select`: no empty "(none)" choice, for a list that holds its own "none" (or always has a value). */
  noEmptyChoice?: boolean;
  /** For `lines`: one object a line, from words (`path-prefix /static/ static-l7`) and back. */
  parseLine?: (words: string[]) => unknown;
  formatLine?: (item: unknown) => string;
  autocomplete?: string;
  /** Shown but not editable (an object's key when editing it: the API renames by delete and add). */
  readonly?: boolean;
  /**
   * For `number`: the schema's bounds, as a number input's min and max (a hint and the
   * spinner's range: the form is novalidate, the schema judges and names the fault).
   */
  min?: number;
  max?: number;
  /** A heading above this field, which starts a group of the fields after it. */
  heading?: string;
  /**
   * For a checkbox in an optional object (`connectionSync.enabled`): unchecked while
   * nothing else of the object is filled in leaves the object out (off), instead of an
   * object holding only `false`, which would lack the object's required fields.
   */
  absentWhenAlone?: boolean;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur = obj as Record<string, unknown> | undefined;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[key] as Record<string, unknown> | undefined;
  }
  return cur;
}

/** Set (or, for undefined, remove) a dotted path; parents left empty by a removal go too. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const parents: Record<string, unknown>[] = [];
  let cur = obj;
  for (const key of keys.slice(0, -1)) {
    parents.push(cur);
    if (typeof cur[key] !== 'object' || cur[key] === null) {
      if (value === undefined) return;
      cur[key] = {};
    }
    cur = cur[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1] as string;
  if (value === undefined) {
    delete cur[last];
    for (let i = keys.length - 2; i >= 0; i--) {
      const parent = parents[i] as Record<string, unknown>;
      const child = parent[keys[i] as string] as Record<string, unknown>;
      if (Object.keys(child).length === 0) delete parent[keys[i] as string];
      else break;
    }
  } else cur[last] = value;
}

const asNumber = (text: string): unknown => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim());

/** `80, 8000-8100` <-> `[80, { from: 8000, to: 8100 }]`; a token that is not a port stays text so the schema names it. */
export function parsePorts(text: string): unknown[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((token) => {
      const range = /^(\d+)-(\d+)$/.exec(token);
      return range ? { from: Number(range[1]), to: Number(range[2]) } : asNumber(token);
    });
}

export function formatPorts(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return value
    .map((p) =>
      typeof p === 'object' && p !== null ? `${(p as { from: number }).from}-${(p as { to: number }).to}` : String(p),
    )
    .join(', ');
}

interface Control {
  spec: FieldSpec;
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  error: HTMLElement;
}

export interface Form {
  element: HTMLFormElement;
  /** The edited object: the original with every field's value put in (empty fields removed). */
  value(): Record<string, unknown>;
  /** Show errors whose field path (relative to the object) names a field; return those that name none. */
  showErrors(issues: readonly ApiIssue[], prefix: string): ApiIssue[];
  setFormErrors(issues: readonly ApiIssue[], warnings?: readonly ApiIssue[]): void;
  /** Whether a field holds something else than the form was drawn with. */
  dirty(): boolean;
  /** The fields the user changed, as typed (field name -> text, or checked for a checkbox). */
  edits(): Record<string, string | boolean>;
  /** Put edits (from `edits()` of this form as drawn before) back in their fields: they stay unsaved. */
  restore(edits: Readonly<Record<string, string | boolean>>): void;
}

export interface FormOptions {
  fields: readonly FieldSpec[];
  initial: Record<string, unknown>;
  submitLabel: string;
  onInput?: (form: Form) => void;
  onSubmit: (form: Form) => Promise<void> | void;
  extra?: Child;
  onCancel?: () => void;
  name?: string;
  /**
   * Warn before its unsaved edits are lost (reload, another page) [true]; false for a form
   * that holds nothing to keep (the login) or keeps its answers itself (the wizard).
   */
  warnUnsaved?: boolean;
}

function readControl(control: Control): unknown {
  const { spec, input } = control;
  if (spec.type === 'checkbox') return (input as HTMLInputElement).checked;
  const text = input.value;
  if (text.trim() === '') return undefined;
  switch (spec.type) {
    case 'number':
      return asNumber(text);
    case 'ports':
      return parsePorts(text);
    case 'list':
      return text.split(/[\s,]+/).filter(Boolean);
    case 'lines':
      return text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => (spec.parseLine ? spec.parseLine(line.split(/\s+/)) : line));
    case 'password':
      return text;
    default:
      return text.trim();
  }
}

function writeControl(control: Control, value: unknown): void {
  const { spec, input } = control;
  if (spec.type === 'checkbox') (input as HTMLInputElement).checked = value === true;
  else if (spec.type === 'password') input.value = '';
  else if (value === undefined || value === null) input.value = '';
  else if (spec.type === 'ports') input.value = formatPorts(value);
  else if (spec.type === 'list') input.value = Array.isArray(value) ? value.join(', ') : String(value);
  else if (spec.type === 'lines')
    input.value = Array.isArray(value)
      ? value.map((v) => (spec.formatLine ? spec.formatLine(v) : String(v))).join('\n')
      : '';
  else input.value = String(value);
}

/** The checkboxes marked `absentWhenAlone` that are unchecked and alone in their object: the object goes. */
export function leaveOutLoneSwitches(obj: Record<string, unknown>, fields: readonly FieldSpec[]): void {
  for (const spec of fields) {
    if (!spec.absentWhenAlone || getPath(obj, spec.name) !== false) continue;
    const dot = spec.name.lastIndexOf('.');
    const parent = dot < 0 ? obj : getPath(obj, spec.name.slice(0, dot));
    if (typeof parent === 'object' && parent !== null && Object.keys(parent).length === 1) {
      setPath(obj, spec.name, undefined);
    }
  }
}

/** A field's content as typed: its text, or whether a checkbox is checked. */
const rawOf = ({ spec, input }: Control): string | boolean =>
  spec.type === 'checkbox' ? (input as HTMLInputElement).checked : input.value;

/** Does an error's field path (after the object's prefix) belong to this field? */
function owns(spec: FieldSpec, rest: string): boolean {
  return rest === spec.name || rest.startsWith(`${spec.name}.`) || rest.startsWith(`${spec.name}[`);
}

const stripField = (message: string, field: string | undefined) =>
  field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;

/** A labelled form: every input has its <label>, errors are tied to it with aria-describedby. */
export function createForm(options: FormOptions): Form {
  const controls: Control[] = [];
  // Focusable by script only: a failed submit with no field at fault brings the focus here.
  const formErrors = h('div', { class: 'form-errors', role: 'alert', tabindex: -1 });
  const warnings = h('div', { class: 'warnings' });
  const rows = options.fields.map((spec) => {
    const id = uid('f');
    const errorId = `${id}-error`;
    const helpId = `${id}-help`;
    const common = {
      id,
      name: spec.name,
      'aria-describedby': `${errorId}${spec.help ? ` ${helpId}` : ''}`,
      ...(spec.placeholder ? { placeholder: spec.placeholder } : {}),
      ...(spec.autocomplete ? { autocomplete: spec.autocomplete } : {}),
      ...(spec.readonly ? { readonly: true, 'aria-readonly': 'true' } : {}),
    };
    let input: Control['input'];
    if (spec.type === 'select') {
      input = h(
        'select',
        common,
        spec.noEmptyChoice ? null : h('option', { value: '' }, '(none)'),
        (spec.options ?? []).map((o) => h('option', { value: o }, spec.optionText?.[o] ?? o)),
      );
    } else if (spec.type === 'textarea' || spec.type === 'lines') {
      input = h('textarea', { ...common, rows: 4 });
    } else if (spec.type === 'checkbox') {
      input = h('input', { ...common, type: 'checkbox' });
    } else {
      // A number with bounds is a number input; without, text, so what is not a number reaches the schema.
      const bounded = spec.type === 'number' && (spec.min !== undefined || spec.max !== undefined);
      input = h('input', {
        ...common,
        type: spec.type === 'password' ? 'password' : bounded ? 'number' : 'text',
        ...(spec.type === 'number' ? { inputmode: 'numeric' } : {}),
        ...(bounded ? { min: spec.min, max: spec.max, step: 1 } : {}),
        spellcheck: 'false',
      });
    }
    const error = h('div', { class: 'error', id: errorId });
    const control = { spec, input, error };
    controls.push(control);
    writeControl(control, getPath(options.initial, spec.name));
    return [
      spec.heading ? h('h2', { class: 'form-heading' }, spec.heading) : null,
      h(
        'div',
        { class: 'field' },
        h('label', { for: id }, spec.label),
        input,
        spec.help
          ? h(
              'div',
              { class: 'help', id: helpId },
              spec.help,
              spec.helpLink ? [' ', h('a', { href: spec.helpLink.href }, spec.helpLink.text)] : null,
            )
          : null,
        error,
      ),
    ];
  });

  // Cancel gives the edits up: nothing is left to warn about.
  const cancel = options.onCancel
    ? h(
        'button',
        {
          type: 'button',
          onclick: () => {
            drawn = controls.map(rawOf);
            options.onCancel?.();
          },
        },
        'Cancel',
      )
    : null;
  const submit = h('button', { type: 'submit', class: 'primary' }, options.submitLabel);
  const element = h(
    'form',
    { class: 'card', novalidate: true, ...(options.name ? { 'aria-label': options.name } : {}) },
    formErrors,
    rows,
    options.extra,
    warnings,
    h('div', { class: 'actions' }, submit, cancel),
  );

  const form: Form = {
    element,
    value() {
      const obj = structuredClone(options.initial);
      for (const control of controls) {
        const value = readControl(control);
        // A secret is never shown; an empty secret field keeps the stored one.
        if (control.spec.type === 'password' && value === undefined) continue;
        setPath(obj, control.spec.name, value);
      }
      leaveOutLoneSwitches(obj, options.fields);
      return obj;
    },
    showErrors(issues, prefix) {
      for (const c of controls) {
        c.error.textContent = '';
        c.input.removeAttribute('aria-invalid');
      }
      const unclaimed: ApiIssue[] = [];
      for (const issue of issues) {
        const field = issue.field ?? '';
        const rest = prefix === '' ? field : field.startsWith(`${prefix}.`) ? field.slice(prefix.length + 1) : field;
        // The API may name the field in the request body (`vip`) or in the whole configuration (`layer4[0].vip`).
        const control =
          controls.find((c) => owns(c.spec, rest)) ??
          controls.find((c) => field.endsWith(`.${c.spec.name}`) || field.includes(`.${c.spec.name}[`));
        if (control) {
          if (control.error.textContent === '') control.error.textContent = stripField(issue.message, issue.field);
          control.input.setAttribute('aria-invalid', 'true');
        } else unclaimed.push(issue);
      }
      return unclaimed;
    },
    setFormErrors(issues, warningList = []) {
      formErrors.replaceChildren(...issues.map((i) => h('div', {}, i.message)));
      warnings.replaceChildren(...warningList.map((w) => h('div', {}, `⚠ ${w.message}`)));
    },
    dirty: () => Object.keys(form.edits()).length > 0,
    edits() {
      const changed: Record<string, string | boolean> = {};
      controls.forEach((control, i) => {
        const raw = rawOf(control);
        if (raw !== drawn[i]) changed[control.spec.name] = raw;
      });
      return changed;
    },
    restore(edits) {
      let any = false;
      for (const control of controls) {
        const raw = edits[control.spec.name];
        if (raw === undefined) continue;
        if (control.spec.type === 'checkbox') (control.input as HTMLInputElement).checked = raw === true;
        else control.input.value = String(raw);
        any = true;
      }
      if (any) edited();
    },
  };
  // The fields as drawn: what `dirty` and `edits` compare with.
  let drawn = controls.map(rawOf);
  const placeholders = () => {
    const value = form.value();
    for (const { spec, input } of controls) {
      if (spec.placeholderFrom === undefined) continue;
      const text = spec.placeholderFrom(value) ?? spec.placeholder;
      if (text === undefined) input.removeAttribute('placeholder');
      else input.setAttribute('placeholder', text);
    }
  };
  placeholders();
  const edited = () => {
    if (options.warnUnsaved !== false) watchUnsaved(form);
    placeholders();
    options.onInput?.(form);
  };
  element.addEventListener('input', edited);
  element.addEventListener('change', edited);
  /**
   * After a submit that failed (the client's check or the API's answer), the focus goes to
   * the first field in error, whose error it names (aria-describedby), or else to the
   * form's own errors, instead of staying on the button. A form gone from the page (the
   * next page drawn) was a success.
   */
  const focusFirstError = () => {
    if (!element.isConnected) return;
    const invalid = controls.find((c) => c.input.getAttribute('aria-invalid') === 'true');
    if (invalid) invalid.input.focus();
    else if (formErrors.hasChildNodes()) formErrors.focus();
  };
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    Promise.resolve(options.onSubmit(form)).finally(() => {
      submit.disabled = false;
      focusFirstError();
    });
  });
  return form;
}
