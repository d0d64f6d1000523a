import type { Capability } from '../../model/capability.js';
import type { ApplianceConfig } from '../../model/schema.js';
import {
  answerIssues,
  askedKeys,
  buildConfig,
  defaultMode,
  labelTaken,
  listedSteps,
  MODE_NAMES,
  type ModeChoice,
  modeChoices,
  modeProblem,
  question,
  SERVER_KEYS,
  STEPS,
  serverField,
  serversOf,
  type WizardAnswers,
  type WizardMode,
  type WizardServer,
  type WizardStep,
} from '../../model/wizard-plan.js';
import { type ApiIssue, api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { createForm, type FieldSpec, getPath, setPath } from '../forms.js';
import { go, goOnFrom } from '../nav.js';
import { loadConfig } from '../state.js';
import { showApiError, type WriteResult } from './config.js';
import { DISMISSED } from './wizard-gate.js';
import { clearProgress, loadProgress, type Progress, saveProgress } from './wizard-progress.js';

type Key = keyof WizardAnswers;

const SERVER_PROPS: readonly (keyof WizardServer)[] = ['label', 'address', 'port'];

/**
 * The console wizard's questions (src/model/wizard-plan.ts) grouped into pages: the same
 * prompts, defaults, checks (the model's) and explanations, and the same configuration at
 * the end; here with as many real servers as the user adds rows for. The answers typed so
 * far live in `progress` and in this tab's sessionStorage, so a reload keeps them.
 */
export async function renderWizard(main: HTMLElement): Promise<void> {
  const [{ version, config }, capabilities] = await Promise.all([loadConfig(), hostCapabilities()]);
  const choices = modeChoices(capabilities);
  const progress: Progress = loadProgress() ?? { step: STEPS[0]?.title ?? '', texts: {}, rows: 1 };
  progress.texts.mode ??= defaultMode(capabilities);
  // A kept step the kept mode does not go through (edited storage): start at the beginning.
  if (!listedSteps({ mode: progress.texts.mode as WizardMode }).some((s) => s.title === progress.step)) {
    progress.step = STEPS[0]?.title ?? '';
  }
  let answers: Partial<WizardAnswers> = {};

  const stepOf = (title: string) => STEPS.find((s) => s.title === title) ?? (STEPS[0] as WizardStep);
  /** The fields a step shows: its questions, or a row of three for each real server. */
  const fieldsOf = (step: WizardStep): string[] =>
    step.title === 'Real servers'
      ? Array.from({ length: progress.rows }, (_, row) =>
          SERVER_PROPS.filter((p) => p !== 'port' || answers.mode !== 'dr').map((p) => serverField(row, p)),
        ).flat()
      : askedKeys(step, answers);

  /**
   * Every answer typed so far (in the steps up to this one), read again in order (a later
   * question's check depends on earlier answers), then the configuration they make judged
   * by the model. An answer the form refuses is not judged again by the model.
   */
  const judge = (): ApiIssue[] => {
    answers = {};
    const issues: ApiIssue[] = [];
    const listed = listedSteps({ mode: progress.texts.mode as WizardMode });
    const upTo = listed.indexOf(stepOf(progress.step));
    for (const step of STEPS) {
      if (!listed.includes(step) || listed.indexOf(step) > upTo) continue;
      for (const name of fieldsOf(step)) {
        const problem = readAnswer(name);
        if (problem !== undefined) issues.push({ code: 'WIZARD_ANSWER', field: name, message: problem });
      }
    }
    completeRows();
    const refused = new Set(issues.map((i) => i.field));
    for (const issue of answerIssues(config, answers)) {
      if (!refused.has(issue.field)) issues.push(issue);
    }
    return issues;
  };

  /** One answer from its text (or the question's default): undefined when good, else the problem. */
  const readAnswer = (name: string): string | undefined => {
    const server = /^servers\.(\d+)\.(\w+)$/.exec(name);
    const row = Number(server?.[1]);
    const key: Key = server ? SERVER_KEYS[server[2] as keyof WizardServer] : (name as Key);
    const q = question(key);
    const text = progress.texts[name] ?? '';
    const fallback = server && row > 0 && key === 'serverLabel' ? `server${row + 1}` : q.default?.(answers);
    const unavailable = key === 'mode' ? modeProblem(capabilities, text) : undefined;
    if (unavailable !== undefined) return unavailable;
    const parsed = q.parse(text === '' ? (fallback ?? '') : text, answers);
    if (!parsed.ok) return parsed.error;
    // As the console wizard without --replace: never silently replace an existing farm.
    if (key === 'label' && labelTaken(config, String(parsed.value))) {
      return 'a virtual service has this label already: choose another';
    }
    if (!server || row === 0) (answers as Record<string, unknown>)[key] = parsed.value;
    else {
      answers.moreServers ??= [];
      const more = answers.moreServers;
      const got = (more[row - 1] ?? {}) as Partial<WizardServer>;
      got[server[2] as keyof WizardServer] = parsed.value as never;
      more[row - 1] = got as WizardServer;
    }
    return undefined;
  };

  /** The further rows with a label and an address count; the others stay out of the configuration. */
  const completeRows = () => {
    answers.moreServers = (answers.moreServers ?? []).map((s) =>
      s?.label !== undefined && s.address !== undefined ? s : undefined,
    );
  };

  const draw = () => {
    let issues = judge();
    let listed = listedSteps(answers);
    const step = stepOf(progress.step);
    const stepItems = () => listed.map((s) => h('li', { 'aria-current': s === step ? 'step' : undefined }, s.title));
    const steps = h('ol', { class: 'steps', 'aria-label': 'Steps' }, stepItems());
    const index = listed.indexOf(step);
    const review = step.title === 'Review';
    const fields = fieldsOf(step);
    const specs: FieldSpec[] = fields
      .filter((name) => name !== 'mode')
      .map((name) => {
        const server = /^servers\.(\d+)\.(\w+)$/.exec(name);
        if (server === null) {
          const q = question(name as Key);
          const placeholder = q.default?.(answers);
          return { name, label: q.prompt, type: 'text', ...(placeholder ? { placeholder } : {}) };
        }
        const row = Number(server[1]);
        const prop = server[2] as keyof WizardServer;
        const placeholder =
          prop === 'label' ? `server${row + 1}` : prop === 'port' ? String(answers.port ?? 80) : '192.0.2.21';
        return {
          name,
          label: `Real server ${row + 1} ${prop}`,
          type: 'text',
          placeholder,
          ...(prop === 'label' ? { heading: `Real server ${row + 1}` } : {}),
          ...(prop === 'port' ? { help: 'Empty: the virtual port.' } : {}),
        };
      });
    const initial: Record<string, unknown> = {};
    for (const name of fields) if (name !== 'mode') setPath(initial, name, progress.texts[name] ?? '');
    const explanations = step.keys.includes('mode')
      ? []
      : fields.flatMap((name) => (name.startsWith('servers.') ? [] : (question(name as Key).explain?.(answers) ?? [])));

    const show = (shown: ApiIssue[], all: boolean) => {
      const mine = all ? shown : shown.filter((i) => i.field !== undefined && fields.includes(i.field));
      const unclaimed = form.showErrors(mine, '');
      form.setFormErrors(unclaimed.map((i) => ({ ...i, message: where(i, listed) })));
      return mine;
    };
    const form = createForm({
      name: `Setup wizard: ${step.title}`,
      fields: specs,
      initial,
      submitLabel: review ? 'Create this configuration' : 'Next',
      // The wizard keeps its answers itself (this tab's storage): a reload or a visit elsewhere loses none.
      warnUnsaved: false,
      ...(index > 0
        ? {
            onCancel: () => {
              progress.step = listed[index - 1]?.title ?? progress.step;
              saveProgress(progress);
              draw();
            },
          }
        : {}),
      extra: h(
        'div',
        {},
        step.keys.includes('mode') ? modeChooser(choices, progress.texts.mode as WizardMode) : null,
        explanations.map((text) => h('p', { class: 'note' }, text)),
        step.keys.includes('mode') || explanations.length > 0
          ? h(
              'p',
              {},
              h(
                'a',
                { href: '#/real-servers', target: '_blank' },
                'What the real servers need in each mode (the ARP fix for DR)',
              ),
            )
          : null,
        step.title === 'Real servers'
          ? h(
              'p',
              {},
              h(
                'button',
                {
                  type: 'button',
                  onclick: () => {
                    readForm();
                    progress.rows++;
                    saveProgress(progress);
                    draw();
                    document
                      .querySelector<HTMLInputElement>(`[name="${serverField(progress.rows - 1, 'label')}"]`)
                      ?.focus();
                  },
                },
                'Add a real server',
              ),
            )
          : null,
        review ? reviewList(answers as WizardAnswers) : null,
      ),
      onInput: () => {
        readForm();
        saveProgress(progress);
        issues = judge();
        show(issues, false);
        // Another mode may add or drop a step (the internal network is NAT's).
        listed = listedSteps(answers);
        steps.replaceChildren(...stepItems());
      },
      async onSubmit(f) {
        readForm();
        issues = judge();
        if (show(issues, review).length > 0) return;
        if (!review) {
          progress.step = listedSteps(answers)[index + 1]?.title ?? progress.step;
          saveProgress(progress);
          draw();
          return;
        }
        const candidate = buildConfig(config as ApplianceConfig, answers as WizardAnswers);
        try {
          const result = await api.put<WriteResult>('/config', candidate, { version });
          clearProgress();
          localStorage.setItem(DISMISSED, '1');
          toast(`The wizard's configuration is version ${result.version}`);
          goOnFrom(f.element, '/overview');
        } catch (error) {
          showApiError(f, error, '');
        }
      },
    });

    /** What is typed on this page, into the progress (the mode from its radio buttons). */
    const readForm = () => {
      const values = form.value();
      for (const name of fields) {
        if (name === 'mode') {
          const checked = form.element.querySelector<HTMLInputElement>('input[name="mode"]:checked');
          if (checked) progress.texts.mode = checked.value;
        } else progress.texts[name] = String(getPath(values, name) ?? '');
      }
    };

    const back = form.element.querySelector<HTMLButtonElement>('.actions button:not([type=submit])');
    if (back) back.textContent = 'Back';
    if (step.title === 'Real servers' && progress.rows > 1) addRemoveButtons(form.element, readForm, draw, progress);
    replace(
      main,
      h('h1', {}, 'Setup wizard'),
      steps,
      form.element,
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              clearProgress();
              localStorage.setItem(DISMISSED, '1');
              go('/overview');
            },
          },
          'Skip the wizard',
        ),
      ),
    );
    // A page reopened after a reload shows what is wrong on it at once.
    if (fields.some((name) => (progress.texts[name] ?? '') !== '')) show(issues, false);
    (form.element.querySelector('input:not([disabled]), select, button[type=submit]') as HTMLElement | null)?.focus();
  };

  draw();
}

/** The daemon's view of this host (GET /health with a login); none known: nothing is greyed. */
async function hostCapabilities(): Promise<Capability[]> {
  try {
    return (await api.get<{ capabilities?: Capability[] }>('/health')).capabilities ?? [];
  } catch {
    return [];
  }
}

/** An issue shown above the form: the page it belongs to, when it is not this one. */
function where(issue: ApiIssue, listed: readonly WizardStep[]): string {
  const field = issue.field ?? '';
  const key = field.startsWith('servers.') ? 'serverLabel' : field;
  const step = listed.find((s) => s.keys.includes(key as Key));
  return step === undefined ? issue.message : `${step.title}: ${issue.message}`;
}

/** The modes as radio buttons, with their names, one line each, and the reason a mode cannot run here. */
function modeChooser(choices: readonly ModeChoice[], selected: WizardMode): HTMLElement {
  return h(
    'fieldset',
    { class: 'modes' },
    h('legend', {}, question('mode').prompt.replace(/:.*/, '')),
    choices.map((c) => {
      const reason = c.unavailable === undefined ? null : `Not on this host: ${c.unavailable}`;
      return h(
        'label',
        { class: c.unavailable === undefined ? 'choice' : 'choice unavailable' },
        h('input', {
          type: 'radio',
          name: 'mode',
          value: c.mode,
          checked: c.mode === selected,
          disabled: c.unavailable !== undefined,
        }),
        h('strong', {}, c.name),
        h('div', { class: 'muted' }, c.summary),
        reason ? h('div', { class: 'reason' }, reason) : null,
      );
    }),
  );
}

/** A "Remove" button beside each real server's heading (when there is more than one). */
function addRemoveButtons(form: HTMLFormElement, readForm: () => void, draw: () => void, progress: Progress): void {
  form.querySelectorAll('h2.form-heading').forEach((heading, row) => {
    heading.after(
      h(
        'button',
        {
          type: 'button',
          class: 'small',
          'aria-label': `Remove real server ${row + 1}`,
          onclick: () => {
            readForm();
            // The rows after it move up one.
            for (let r = row; r < progress.rows - 1; r++) {
              for (const p of SERVER_PROPS) {
                progress.texts[serverField(r, p)] = progress.texts[serverField(r + 1, p)] ?? '';
              }
            }
            for (const p of SERVER_PROPS) delete progress.texts[serverField(progress.rows - 1, p)];
            progress.rows--;
            saveProgress(progress);
            draw();
          },
        },
        'Remove',
      ),
    );
  });
}

function reviewList(a: WizardAnswers): HTMLElement {
  const servers = serversOf(a).flatMap((s) =>
    s === undefined ? [] : [`${s.label} at ${s.address}${a.mode === 'dr' ? '' : `:${s.port ?? a.port}`}`],
  );
  const rows: [string, string][] = [
    ['This node', `${a.address} on ${a.interface}${a.gateway ? `, gateway ${a.gateway}` : ''}`],
    ['Mode', MODE_NAMES[a.mode]],
    ...(a.mode === 'nat'
      ? [['Internal network', `${a.internalAddress} on ${a.internalInterface}`] as [string, string]]
      : []),
    ['Virtual service', `${a.label} at ${a.vip}:${a.port}`],
    ['Real servers', servers.join(', ')],
  ];
  return h(
    'dl',
    { 'aria-label': 'Summary' },
    rows.map(([k, v]) => [h('dt', {}, h('strong', {}, k)), h('dd', {}, v)]),
  );
}
