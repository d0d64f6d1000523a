import type { ApplianceConfig } from '../../model/schema.js';
import {
  buildConfig,
  labelTaken,
  MODE_EXPLANATIONS,
  QUESTIONS,
  type Question,
  type WizardAnswers,
} from '../../model/wizard-plan.js';
import { type ApiIssue, api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { createForm, type FieldSpec, type Form } from '../forms.js';
import { go } from '../nav.js';
import { loadConfig } from '../state.js';
import { validate } from '../validation.js';
import { showApiError, type WriteResult } from './config.js';
import { DISMISSED } from './wizard-gate.js';

type Key = keyof WizardAnswers;

/**
 * The console wizard's own questions (src/model/wizard-plan.ts), grouped into pages: the
 * same prompts, defaults, checks and explanations, and the same configuration at the end.
 */
const STEPS: { title: string; keys: Key[] }[] = [
  { title: 'This node', keys: ['address', 'interface', 'gateway'] },
  { title: 'Mode', keys: ['mode'] },
  { title: 'Internal network', keys: ['internalAddress', 'internalInterface'] },
  { title: 'Virtual service', keys: ['label', 'vip', 'port'] },
  { title: 'First real server', keys: ['serverLabel', 'serverAddress', 'serverPort'] },
  { title: 'Review', keys: [] },
];

const question = (key: Key) => QUESTIONS.find((q) => q.key === key) as Question;

/** Config paths -> the questions, so the daemon's or the validator's errors land beside them. */
function toAnswerIssues(issues: readonly ApiIssue[]): ApiIssue[] {
  const rules: [RegExp, Key][] = [
    [/^network\.defaultGateway/, 'gateway'],
    [/^network\.interfaces\[\d+\]\.addresses/, 'address'],
    [/^network\.interfaces\[\d+\]\.name/, 'interface'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.label/, 'serverLabel'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.address/, 'serverAddress'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.port/, 'serverPort'],
    [/^layer[47]\[\d+\]\.label/, 'label'],
    [/^layer[47]\[\d+\]\.vip/, 'vip'],
    [/^layer[47]\[\d+\]\.ports/, 'port'],
  ];
  return issues.map((issue) => {
    const rule = rules.find(([re]) => re.test(issue.field ?? ''));
    return rule ? { ...issue, field: rule[1] } : issue;
  });
}

export async function renderWizard(main: HTMLElement): Promise<void> {
  const { version, config } = await loadConfig();
  const answers: Partial<WizardAnswers> = {};
  const texts: Partial<Record<Key, string>> = {};
  let step = 0;
  const baseline = validate(config).then((v) => new Set(v.errors.map((e) => e.message)));
  const visibleKeys = (n: number) => (STEPS[n]?.keys ?? []).filter((k) => !question(k).skip?.(answers));
  const nextStep = (from: number, by: 1 | -1) => {
    let n = from + by;
    // A page whose questions are all skipped (the internal network outside NAT) is passed over.
    while (n > 0 && n < STEPS.length - 1 && visibleKeys(n).length === 0) n += by;
    return n;
  };

  /** Check this page's answers one by one, as the console does; keep the good ones. */
  const checkPage = (form: Form): ApiIssue[] => {
    const values = form.value() as Record<string, unknown>;
    const issues: ApiIssue[] = [];
    for (const key of visibleKeys(step)) {
      const q = question(key);
      const text = String(values[key] ?? '').trim();
      texts[key] = text;
      const parsed = q.parse(text === '' ? (q.default?.(answers) ?? '') : text, answers);
      // As the console wizard without --replace: never silently replace an existing farm.
      if (parsed.ok && key === 'label' && labelTaken(config, String(parsed.value))) {
        delete answers[key];
        issues.push({
          code: 'WIZARD_ANSWER',
          field: key,
          message: 'a virtual service has this label already: choose another',
        });
      } else if (parsed.ok) (answers as Record<string, unknown>)[key] = parsed.value;
      else {
        delete answers[key];
        issues.push({ code: 'WIZARD_ANSWER', field: key, message: parsed.error });
      }
    }
    form.showErrors(issues, '');
    return issues;
  };

  const draw = () => {
    const keys = visibleKeys(step);
    const review = step === STEPS.length - 1;
    const fields: FieldSpec[] = keys.map((key) => {
      const q = question(key);
      const placeholder = q.default?.(answers);
      return key === 'mode'
        ? { name: key, label: q.prompt, type: 'select', options: ['dr', 'nat', 'snat'] }
        : { name: key, label: q.prompt, type: 'text', ...(placeholder ? { placeholder } : {}) };
    });
    const initial: Record<string, unknown> = {};
    for (const key of keys) initial[key] = texts[key] ?? (key === 'mode' ? (answers.mode ?? 'dr') : '');
    const explanations = keys.flatMap((key) => question(key).explain?.(answers) ?? []);
    const form = createForm({
      name: `Setup wizard: ${STEPS[step]?.title}`,
      fields,
      initial,
      submitLabel: review ? 'Create this configuration' : 'Next',
      ...(step > 0
        ? {
            onCancel: () => {
              step = nextStep(step, -1);
              draw();
            },
          }
        : {}),
      extra: h(
        'div',
        {},
        keys.includes('mode')
          ? (['dr', 'nat', 'snat'] as const).map((m) =>
              h('div', { class: 'choice' }, h('strong', {}, m), h('div', { class: 'muted' }, MODE_EXPLANATIONS[m])),
            )
          : explanations.map((text) => h('p', { class: 'note' }, text)),
        keys.includes('mode') || explanations.length > 0
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
        review ? reviewList(answers as WizardAnswers) : null,
      ),
      onInput: (f) => {
        checkPage(f);
      },
      async onSubmit(f) {
        if (checkPage(f).length > 0) return;
        if (!review) {
          step = nextStep(step, 1);
          draw();
          return;
        }
        const candidate = buildConfig(config as ApplianceConfig, answers as WizardAnswers);
        const [verdict, before] = await Promise.all([validate(candidate), baseline]);
        const errors = toAnswerIssues(verdict.errors.filter((e) => !before.has(e.message)));
        if (errors.length > 0) {
          f.setFormErrors(errors.map((e) => ({ ...e, message: `${e.field}: ${e.message.replace(/^[^:]+: /, '')}` })));
          return;
        }
        try {
          const result = await api.put<WriteResult>('/config', candidate, { version });
          localStorage.setItem(DISMISSED, '1');
          toast(`The wizard's configuration is version ${result.version}`);
          go('/overview');
        } catch (error) {
          showApiError(f, error, '');
        }
      },
    });
    const back = form.element.querySelector<HTMLButtonElement>('.actions button:not([type=submit])');
    if (back) back.textContent = 'Back';
    replace(
      main,
      h('h1', {}, 'Setup wizard'),
      h(
        'ol',
        { class: 'steps', 'aria-label': 'Steps' },
        STEPS.map((s, i) => h('li', { 'aria-current': i === step ? 'step' : undefined }, s.title)),
      ),
      form.element,
      h(
        'p',
        {},
        h(
          'button',
          {
            type: 'button',
            onclick: () => {
              localStorage.setItem(DISMISSED, '1');
              go('/overview');
            },
          },
          'Skip the wizard',
        ),
      ),
    );
    (form.element.querySelector('input, select, button[type=submit]') as HTMLElement | null)?.focus();
  };

  draw();
}

function reviewList(a: WizardAnswers): HTMLElement {
  const rows: [string, string][] = [
    ['This node', `${a.address} on ${a.interface}${a.gateway ? `, gateway ${a.gateway}` : ''}`],
    ['Mode', a.mode],
    ...(a.mode === 'nat'
      ? [['Internal network', `${a.internalAddress} on ${a.internalInterface}`] as [string, string]]
      : []),
    ['Virtual service', `${a.label} at ${a.vip}:${a.port}`],
    ['First real server', `${a.serverLabel} at ${a.serverAddress}${a.mode === 'dr' ? '' : `:${a.serverPort}`}`],
  ];
  return h(
    'dl',
    { 'aria-label': 'Summary' },
    rows.map(([k, v]) => [h('dt', {}, h('strong', {}, k)), h('dd', {}, v)]),
  );
}
