import type { ApplianceConfig } from '../../config/schema.js';
import { type ApiIssue, api } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { createForm, type FieldSpec, type Form } from '../forms.js';
import { go } from '../nav.js';
import { loadConfig } from '../state.js';
import { validate } from '../validation.js';
import { showApiError, type WriteResult } from './config.js';

type Mode = 'dr' | 'nat' | 'snat';
interface Answers {
  nodeAddress?: string;
  nodeInterface?: string;
  mode?: Mode;
  serviceLabel?: string;
  vip?: string;
  port?: number | string;
  serverLabel?: string;
  serverAddress?: string;
  serverPort?: number | string;
}

const DISMISSED = 'sluice.wizard.done';

/** First access: nothing configured yet and the wizard neither finished nor skipped in this browser. */
export async function needsWizard(): Promise<boolean> {
  if (localStorage.getItem(DISMISSED)) return false;
  const { config } = await loadConfig();
  return config.layer4.length === 0 && config.layer7.length === 0;
}

const MODES: [Mode, string, string][] = [
  [
    'dr',
    'One-arm, Direct Routing (Layer 4 DR)',
    'The fastest: replies go from the real servers straight to the clients. The real servers must hold the VIP on a loopback interface and must not answer ARP for it (the "ARP problem"): run sluice-arp-fix on each real server.',
  ],
  [
    'nat',
    'Two-arm, NAT (Layer 4 NAT)',
    'The balancer translates addresses both ways. The real servers MUST use this balancer as their default gateway, or replies bypass it and clients see no answer.',
  ],
  [
    'snat',
    'One-arm, SNAT (Layer 7, HAProxy)',
    'HAProxy proxies each connection: no change on the real servers, cookie persistence and URL switching possible; the real servers see the balancer as the client (X-Forwarded-For carries the client).',
  ],
];

const STEPS = ['This node', 'Mode', 'Virtual service', 'First real server', 'Review'];

const asPort = (v: unknown): unknown => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);

/** The configuration the answers make: the wizard's only output, applied as one version. */
export function configFrom(base: ApplianceConfig, a: Answers): Record<string, unknown> {
  const config = structuredClone(base) as unknown as Record<string, unknown> & ApplianceConfig;
  const iface = a.nodeInterface || 'eth0';
  const prefix = a.nodeAddress?.split('/')[1] ?? (a.vip?.includes(':') ? '64' : '24');
  if (a.nodeAddress) {
    const others = config.network.interfaces.filter((i) => i.name !== iface);
    config.network = { ...config.network, interfaces: [...others, { name: iface, addresses: [a.nodeAddress] }] };
  }
  const label = a.serviceLabel || 'web';
  const server = {
    label: a.serverLabel || 'server1',
    address: a.serverAddress ?? '',
    ...(a.serverPort !== undefined && a.mode !== 'dr' ? { port: asPort(a.serverPort) } : {}),
  };
  if (a.mode === 'snat') {
    config.layer7 = [
      ...config.layer7,
      { label, vip: a.vip ?? '', ports: [asPort(a.port ?? 80)], realServers: [server] } as never,
    ];
  } else {
    config.layer4 = [
      ...config.layer4,
      {
        label,
        vip: a.vip ?? '',
        ports: [asPort(a.port ?? 80)],
        protocol: 'tcp',
        forwarding: a.mode ?? 'dr',
        realServers: [server],
      } as never,
    ];
    if (a.mode === 'nat') config.network = { ...config.network, autonat: { interface: iface } };
  }
  if (a.vip) config.floatingIps = [...config.floatingIps, { address: `${a.vip}/${prefix}`, interface: iface }];
  return config;
}

/** Config paths -> the wizard's questions, so the validator's errors land beside them. */
function toAnswerIssues(issues: readonly ApiIssue[]): ApiIssue[] {
  const rules: [RegExp, string][] = [
    [/^network\.interfaces\[\d+\]\.addresses/, 'nodeAddress'],
    [/^network\.(interfaces\[\d+\]\.name|autonat)/, 'nodeInterface'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.label/, 'serverLabel'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.address/, 'serverAddress'],
    [/^layer[47]\[\d+\]\.realServers\[\d+\]\.port/, 'serverPort'],
    [/^layer[47]\[\d+\]\.label/, 'serviceLabel'],
    [/^layer[47]\[\d+\]\.vip/, 'vip'],
    [/^layer[47]\[\d+\]\.ports/, 'port'],
    [/^floatingIps/, 'vip'],
  ];
  return issues.map((issue) => {
    const rule = rules.find(([re]) => re.test(issue.field ?? ''));
    return rule ? { ...issue, field: rule[1] } : issue;
  });
}

export async function renderWizard(main: HTMLElement): Promise<void> {
  const { version, config } = await loadConfig();
  const answers: Answers = {
    nodeInterface: config.network.interfaces[0]?.name ?? 'eth0',
    ...(config.network.interfaces[0]?.addresses[0] ? { nodeAddress: config.network.interfaces[0].addresses[0] } : {}),
    mode: 'dr',
    serviceLabel: 'web',
    port: 80,
    serverLabel: 'alpha_server',
  };
  let step = 0;
  const baseline = validate(config).then((v) => new Set(v.errors.map((e) => e.message)));

  const check = async (form: Form) => {
    Object.assign(answers, form.value());
    const [verdict, before] = await Promise.all([validate(configFrom(config, answers)), baseline]);
    const issues = toAnswerIssues(verdict.errors.filter((e) => !before.has(e.message)));
    const visible = new Set(stepFields(step).map((f) => f.name));
    form.showErrors(
      issues.filter((i) => visible.has(i.field ?? '')),
      '',
    );
    form.setFormErrors([], step >= 2 ? verdict.warnings : []);
    return issues;
  };

  const draw = () => {
    const fields = stepFields(step);
    const explanation = stepHelp(step, answers);
    const form = createForm({
      name: `Setup wizard: ${STEPS[step]}`,
      fields,
      initial: answers as Record<string, unknown>,
      submitLabel: step === STEPS.length - 1 ? 'Create this configuration' : 'Next',
      ...(step > 0
        ? {
            onCancel: () => {
              step--;
              draw();
            },
          }
        : {}),
      extra: explanation,
      onInput: (f) => void check(f),
      async onSubmit(f) {
        const issues = await check(f);
        const mine = issues.filter((i) => fields.some((x) => x.name === i.field));
        if (mine.length > 0) return;
        if (step < STEPS.length - 1) {
          step++;
          draw();
          return;
        }
        if (issues.length > 0) {
          f.setFormErrors(issues);
          return;
        }
        try {
          const result = await api.put<WriteResult>('/config', configFrom(config, answers), { version });
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
        STEPS.map((s, i) => h('li', { 'aria-current': i === step ? 'step' : undefined }, s)),
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
    (form.element.querySelector('input, select') as HTMLElement | null)?.focus();
  };

  function stepFields(n: number): FieldSpec[] {
    switch (n) {
      case 0:
        return [
          {
            name: 'nodeAddress',
            label: "This node's IP address (with prefix length)",
            type: 'text',
            placeholder: '192.0.2.5/24',
          },
          { name: 'nodeInterface', label: 'Interface', type: 'text', placeholder: 'eth0' },
        ];
      case 1:
        return [{ name: 'mode', label: 'Load balancing mode', type: 'select', options: MODES.map(([m]) => m) }];
      case 2:
        return [
          { name: 'serviceLabel', label: 'Service label', type: 'text' },
          {
            name: 'vip',
            label: 'Virtual IP address (VIP)',
            type: 'text',
            placeholder: '192.0.2.10',
            help: 'The address clients connect to; this node holds it as a floating IP.',
          },
          { name: 'port', label: 'Port', type: 'number' },
        ];
      case 3:
        return [
          { name: 'serverLabel', label: 'Real server label', type: 'text' },
          { name: 'serverAddress', label: 'Real server IP address', type: 'text', placeholder: '192.0.2.21' },
          ...(answers.mode === 'dr'
            ? []
            : [
                {
                  name: 'serverPort',
                  label: 'Real server port',
                  type: 'number' as const,
                  help: 'Empty: the virtual port.',
                },
              ]),
        ];
      default:
        return [];
    }
  }

  function stepHelp(n: number, a: Answers): HTMLElement | null {
    if (n === 1) {
      return h(
        'div',
        {},
        MODES.map(([m, title, text]) =>
          h('div', { class: 'choice' }, h('strong', {}, `${m}: ${title}`), h('div', { class: 'muted' }, text)),
        ),
      );
    }
    if (n === 3 && a.mode === 'dr') {
      return h(
        'p',
        { class: 'note' },
        'Direct Routing: the real server must hold the VIP without answering ARP for it — run ',
        h('code', {}, `sluice-arp-fix --vip ${a.vip ?? 'VIP'}`),
        ' on it (see the arp-fix package). Its port is the virtual port.',
      );
    }
    if (n === 3 && a.mode === 'nat') {
      return h(
        'p',
        { class: 'note' },
        "NAT: set this real server's default gateway to this balancer's address, or replies will not come back through it.",
      );
    }
    if (n === 4) {
      const mode = MODES.find(([m]) => m === a.mode);
      return h(
        'dl',
        {},
        [
          ['This node', `${a.nodeAddress ?? '(unchanged)'} on ${a.nodeInterface}`],
          ['Mode', mode?.[1] ?? ''],
          ['Virtual service', `${a.serviceLabel} at ${a.vip}:${a.port}`],
          ['First real server', `${a.serverLabel} at ${a.serverAddress}${a.serverPort ? `:${a.serverPort}` : ''}`],
        ].map(([k, v]) => [h('dt', {}, h('strong', {}, k)), h('dd', {}, v)]),
      );
    }
    return null;
  }

  draw();
}
