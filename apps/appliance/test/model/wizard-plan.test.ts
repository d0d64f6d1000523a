import { describe, expect, it } from 'vitest';
import { type Capability, describeCapabilities } from '../../src/model/capability.js';
import { type ApplianceConfig, defaultConfig } from '../../src/model/schema.js';
import { validateConfig } from '../../src/model/validate.js';
import {
  answerIssues,
  buildConfig,
  defaultMode,
  listedSteps,
  modeChoices,
  question,
  type WizardAnswers,
} from '../../src/model/wizard-plan.js';
import { clearProgress, loadProgress, PROGRESS, saveProgress } from '../../src/ui/pages/wizard-progress.js';

const ipvs = (available: boolean): Capability => ({
  id: 'ipvs',
  part: 'layer4',
  feature: 'Layer 4 virtual services (IPVS: DR, NAT, TUN)',
  available,
  detail: available ? 'IP Virtual Server version 1.2.1' : 'kernel 6.1.0-test has no IPVS (CONFIG_IP_VS unset)',
  ...(available ? {} : { fix: 'run on a kernel built with CONFIG_IP_VS' }),
});
const haproxy = (available: boolean): Capability => ({
  id: 'haproxy',
  part: 'layer7',
  feature: 'Layer 7 virtual services and SSL termination (HAProxy)',
  available,
  detail: available ? 'HAProxy 2.6.12' : 'haproxy is not installed',
  ...(available ? {} : { fix: 'apt-get install haproxy' }),
});

describe('the wizard modes', () => {
  it('carry the names a Loadbalancer.org user looks for, each with one line for the real servers', () => {
    const choices = modeChoices([]);
    expect(choices.map((c) => [c.mode, c.name])).toEqual([
      ['dr', 'Layer 4 DR'],
      ['nat', 'Layer 4 NAT'],
      ['snat', 'Layer 7 SNAT'],
    ]);
    for (const c of choices) expect(c.summary).toMatch(/^[^\n]*[Rr]eal servers[^\n]*\.$/);
    // The console takes the names too, and keeps the stored values.
    expect(question('mode').parse('Layer 7 SNAT', {})).toEqual({ ok: true, value: 'snat' });
    expect(question('mode').parse('nat', {})).toEqual({ ok: true, value: 'nat' });
  });

  it('on a host without IPVS: both Layer 4 modes greyed with the reason serve prints, Layer 7 the default', () => {
    const capabilities = [ipvs(false), haproxy(true)];
    const choices = modeChoices(capabilities);
    expect(choices.filter((c) => c.unavailable !== undefined).map((c) => c.mode)).toEqual(['dr', 'nat']);
    const reason = choices[0]?.unavailable ?? '';
    expect(reason).toBe(
      'Layer 4 virtual services (IPVS: DR, NAT, TUN): kernel 6.1.0-test has no IPVS (CONFIG_IP_VS unset); fix: run on a kernel built with CONFIG_IP_VS',
    );
    expect(describeCapabilities(capabilities)).toContain(`cannot: ${reason}`);
    expect(defaultMode(capabilities)).toBe('snat');
  });

  it('DR is the default where the host has IPVS; without HAProxy Layer 7 is greyed; nothing reported greys nothing', () => {
    expect(defaultMode([ipvs(true), haproxy(true)])).toBe('dr');
    const noHaproxy = modeChoices([ipvs(true), haproxy(false)]);
    expect(noHaproxy.find((c) => c.mode === 'snat')?.unavailable).toMatch(/haproxy is not installed; fix: apt-get/);
    expect(modeChoices([]).every((c) => c.unavailable === undefined)).toBe(true);
    expect(defaultMode([])).toBe('dr');
  });

  it('lists the internal network step only in NAT mode', () => {
    const titles = (mode: WizardAnswers['mode']) => listedSteps({ mode }).map((s) => s.title);
    expect(titles('snat')).toEqual(['This node', 'Mode', 'Virtual service', 'Real servers', 'Review']);
    expect(titles('dr')).toEqual(titles('snat'));
    expect(titles('nat')).toContain('Internal network');
  });
});

type Service = { kind: 'layer4' | 'layer7'; object: Record<string, unknown> };
interface Case {
  what: string;
  /** What the model says: refused or taken (so the test cannot pass by both saying nothing). */
  refused: boolean;
  answers: Partial<Record<keyof WizardAnswers, string>>;
  more?: { label: string; address: string; port?: string }[];
}

/** The configuration editor: the edited service put in its place and judged by the model (pages/config.ts). */
function editorVerdict(current: ApplianceConfig, service: Service): string[] {
  const before = new Set(validateConfig(current).errors.map((e) => e.message));
  const candidate = structuredClone(current) as unknown as Record<string, Record<string, unknown>[]>;
  (candidate[service.kind] as Record<string, unknown>[]).push(service.object);
  return validateConfig(candidate)
    .errors.filter((e) => !before.has(e.message))
    .map((e) => e.message.replace(`${e.field}: `, ''))
    .sort();
}

/** The wizard: each answer by its question, then the configuration the answers make, as the web wizard does. */
function wizardVerdict(current: ApplianceConfig, c: Case): string[] {
  const answers: Partial<WizardAnswers> = {};
  const problems: string[] = [];
  const read = (key: keyof WizardAnswers, text: string) => {
    const parsed = question(key).parse(text, answers);
    if (parsed.ok) (answers as Record<string, unknown>)[key] = parsed.value;
    else problems.push(parsed.error);
    return parsed;
  };
  for (const [key, text] of Object.entries(c.answers)) read(key as keyof WizardAnswers, text);
  answers.moreServers = (c.more ?? []).map((row) => {
    const label = question('serverLabel').parse(row.label, answers);
    if (!label.ok) problems.push(label.error);
    const address = question('serverAddress').parse(row.address, answers);
    const port = question('serverPort').parse(row.port ?? String(answers.port), answers);
    if (!address.ok) problems.push(address.error);
    if (!port.ok) problems.push(port.error);
    return label.ok && address.ok && port.ok
      ? { label: label.value as string, address: address.value as string, port: port.value as number }
      : undefined;
  });
  return [...problems, ...answerIssues(current, answers).map((i) => i.message)].sort();
}

/** The same service as the editor's forms would send it. */
function asEdited(c: Case): Service {
  const a = c.answers;
  const port = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : text);
  const servers = [{ label: a.serverLabel, address: a.serverAddress, port: a.serverPort }, ...(c.more ?? [])].map(
    (s) => ({
      label: s.label,
      address: s.address,
      ...(a.mode === 'dr' ? {} : { port: port(s.port ?? a.port) }),
    }),
  );
  if (a.mode === 'snat') {
    return {
      kind: 'layer7',
      object: { label: a.label, vip: a.vip, ports: [port(a.port)], mode: 'http', realServers: servers },
    };
  }
  return {
    kind: 'layer4',
    object: { label: a.label, vip: a.vip, ports: [port(a.port)], forwarding: a.mode, realServers: servers },
  };
}

describe('the wizard and the configuration editor', () => {
  const current = (): ApplianceConfig => {
    const config = defaultConfig();
    config.layer7.push(
      validateConfig({ layer7: [{ label: 'intranet', vip: '192.0.2.50', ports: [443], realServers: [] }] }).config
        ?.layer7[0] as ApplianceConfig['layer7'][number],
    );
    return config;
  };
  const service = { label: 'web', vip: '192.0.2.10', port: '80', serverLabel: 'alpha', serverPort: '8080' };
  const cases: Case[] = [
    {
      what: 'a Layer 7 real server on the VIP address, another port',
      refused: false,
      answers: { ...service, mode: 'snat', serverAddress: '192.0.2.10' },
    },
    {
      what: 'a Layer 7 IPv6 real server behind an IPv4 VIP',
      refused: false,
      answers: { ...service, mode: 'snat', serverAddress: '2001:db8::21' },
    },
    {
      what: 'a DR real server of another family',
      refused: true,
      answers: { ...service, mode: 'dr', serverAddress: '2001:db8::21' },
    },
    {
      what: 'a NAT real server of another family',
      refused: true,
      answers: { ...service, mode: 'nat', serverAddress: '2001:db8::21' },
    },
    {
      what: 'two real servers with one label',
      refused: true,
      answers: { ...service, mode: 'snat', serverAddress: '192.0.2.21' },
      more: [{ label: 'alpha', address: '192.0.2.22' }],
    },
    {
      what: 'a VIP and port another service listens on',
      refused: true,
      answers: { ...service, mode: 'snat', vip: '192.0.2.50', port: '443', serverAddress: '192.0.2.21' },
    },
    {
      what: 'a label with a space',
      refused: true,
      answers: { ...service, mode: 'snat', label: 'my web', serverAddress: '192.0.2.21' },
    },
    {
      what: 'a port out of range',
      refused: true,
      answers: { ...service, mode: 'nat', serverPort: '70000', serverAddress: '192.0.2.21' },
    },
    {
      what: 'a VIP that is no address',
      refused: true,
      answers: { ...service, mode: 'snat', vip: '192.0.2.300', serverAddress: '192.0.2.21' },
    },
  ];

  it.each(cases)('judge the same inputs alike: $what', (c) => {
    const config = current();
    const dropDr = c.answers.mode === 'dr' ? { ...c, answers: { ...c.answers, serverPort: undefined } } : c;
    const answers = Object.fromEntries(Object.entries(dropDr.answers).filter(([, v]) => v !== undefined));
    const wizard = wizardVerdict(config, { ...dropDr, answers });
    expect(wizard).toEqual(editorVerdict(config, asEdited(c)));
    expect(wizard.length > 0).toBe(c.refused);
  });

  it('takes what the editor takes: a Layer 7 real server on the VIP address on another port', () => {
    expect(wizardVerdict(current(), cases[0] as Case)).toEqual([]);
  });

  it('names each fault by the answer at fault, a further real server by its row', () => {
    const answers: Partial<WizardAnswers> = {
      address: '192.0.2.5/24',
      interface: 'eth0',
      mode: 'snat',
      label: 'web',
      vip: '192.0.2.10',
      port: 80,
      serverLabel: 'alpha',
      serverAddress: '192.0.2.21',
      // Row 2 is not answered well yet: row 3 is still row 3.
      moreServers: [undefined, { label: 'alpha', address: '192.0.2.23', port: 80 }],
    };
    expect(answerIssues(current(), answers)).toEqual([
      {
        code: 'CONFIG_DUPLICATE_LABEL',
        field: 'servers.2.label',
        message: 'real server label "alpha" is already used by layer7[1].realServers[0].label',
      },
    ]);
    expect(answerIssues(current(), { ...answers, port: 443, vip: '192.0.2.50', moreServers: [] })).toEqual([
      expect.objectContaining({ code: 'CONFIG_DUPLICATE_LISTENER', field: 'port' }),
    ]);
  });

  it('makes a service with every real server given, each on the VIP port unless another is given', () => {
    const config = buildConfig(defaultConfig(), {
      address: '192.0.2.5/24',
      interface: 'eth0',
      gateway: '',
      mode: 'snat',
      internalAddress: '',
      internalInterface: '',
      label: 'web',
      vip: '192.0.2.10',
      port: 80,
      serverLabel: 'alpha',
      serverAddress: '192.0.2.10',
      serverPort: 8080,
      moreServers: [{ label: 'bravo', address: '192.0.2.22' }],
    });
    expect(validateConfig(config).ok).toBe(true);
    expect(config.layer7?.[0]?.realServers).toMatchObject([
      { label: 'alpha', address: '192.0.2.10', port: 8080 },
      { label: 'bravo', address: '192.0.2.22', port: 80 },
    ]);
  });
});

describe('the wizard progress kept across a reload', () => {
  const storage = () => {
    const items = new Map<string, string>();
    return {
      items,
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    } as unknown as Storage & { items: Map<string, string> };
  };

  it('keeps the step and every answer, never a field that is not a wizard question, and clears', () => {
    const tab = storage();
    saveProgress(
      {
        step: 'Real servers',
        texts: { vip: '192.0.2.10', mode: 'snat', 'servers.1.address': '192.0.2.22', password: 'secret', key: 'PEM' },
        rows: 2,
      },
      tab,
    );
    expect(tab.items.get(PROGRESS)).not.toMatch(/secret|PEM/);
    expect(loadProgress(tab)).toEqual({
      step: 'Real servers',
      texts: { vip: '192.0.2.10', mode: 'snat', 'servers.1.address': '192.0.2.22' },
      rows: 2,
    });
    clearProgress(tab);
    expect(loadProgress(tab)).toBeUndefined();
    tab.setItem(PROGRESS, '{"step": 3}');
    expect(loadProgress(tab)).toBeUndefined();
  });
});
