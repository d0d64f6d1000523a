import type { z } from 'zod';
import { isIPv4, isIPv6 } from './addresses.js';
import type { Capability, CapabilityId } from './capability.js';
import { capabilityReason } from './capability.js';
import { personMessages } from './messages.js';
import { address, cidr, interfaceName, label, port } from './primitives.js';
import type { ApplianceConfig, ApplianceConfigInput } from './schema.js';
import { validateConfig } from './validate.js';

/**
 * The console wizard's questions, the web wizard's: this node's address, the mode, the VIP
 * and the real servers. Each answer is checked at once (so a person can retry), by the
 * model's own rules: its primitives for the answer's form, and the whole configuration the
 * answers make (`answerIssues`) for the rest, exactly as the configuration editor checks
 * an edit. The wizard adds only what its questions mean and the editor has no field for:
 * the VIP is on this node's network (so of its address family), NAT's internal arm is a
 * second interface and address, and an existing service is not silently replaced.
 */
export type WizardMode = 'dr' | 'nat' | 'snat';

export const MODES: readonly WizardMode[] = ['dr', 'nat', 'snat'];

/** The names a Loadbalancer.org user looks for; the configuration keeps `dr`, `nat`, `snat`. */
export const MODE_NAMES: Record<WizardMode, string> = {
  dr: 'Layer 4 DR',
  nat: 'Layer 4 NAT',
  snat: 'Layer 7 SNAT',
};

/** One line each: what the mode means for the real servers. */
export const MODE_SUMMARIES: Record<WizardMode, string> = {
  dr: 'Real servers answer clients directly: each must hold the VIP on its loopback and not answer ARP for it.',
  nat: 'Real servers sit on an internal network behind the balancer, which must be their default gateway.',
  snat: "Nothing changes on the real servers: they see the balancer's address (HTTP adds X-Forwarded-For).",
};

/** What the host must have to run each mode (src/capabilities.ts). */
const MODE_NEEDS: Record<WizardMode, CapabilityId> = { dr: 'ipvs', nat: 'ipvs', snat: 'haproxy' };

export interface ModeChoice {
  mode: WizardMode;
  name: string;
  summary: string;
  /** Why this host cannot run it (the capability's reason, as `serve` prints it); absent: it can. */
  unavailable?: string;
}

/**
 * The modes as this host can run them. A capability the daemon did not report is not
 * held against a mode: only a host known to lack something greys what needs it.
 */
export function modeChoices(capabilities: readonly Capability[]): ModeChoice[] {
  return MODES.map((mode) => {
    const need = capabilities.find((c) => c.id === MODE_NEEDS[mode]);
    return {
      mode,
      name: MODE_NAMES[mode],
      summary: MODE_SUMMARIES[mode],
      ...(need !== undefined && !need.available ? { unavailable: `${need.feature}: ${capabilityReason(need)}` } : {}),
    };
  });
}

/** Why this host cannot run `mode`, worded for the person who chose it; undefined: it can. */
export function modeProblem(capabilities: readonly Capability[], mode: string): string | undefined {
  const choice = modeChoices(capabilities).find((c) => c.mode === mode);
  return choice?.unavailable === undefined
    ? undefined
    : `${choice.name} cannot run on this host: ${choice.unavailable}`;
}

/** DR (the fastest) where the host can run it, else the first mode it can (Layer 7 without IPVS). */
export function defaultMode(capabilities: readonly Capability[]): WizardMode {
  return modeChoices(capabilities).find((c) => c.unavailable === undefined)?.mode ?? 'dr';
}

/** A real server as the wizard asks for it; the port is not asked in DR mode. */
export interface WizardServer {
  label: string;
  address: string;
  port?: number;
}

export interface WizardAnswers {
  /** This node's address with its prefix (`192.0.2.5/24`). */
  address: string;
  interface: string;
  /** Empty: keep the configured default gateway. */
  gateway: string;
  mode: WizardMode;
  /** NAT (two-arm): this node's address on the real servers' network and its interface. */
  internalAddress: string;
  internalInterface: string;
  label: string;
  vip: string;
  port: number;
  serverLabel: string;
  serverAddress: string;
  /** Not asked in DR mode: DR cannot translate ports. */
  serverPort: number;
  /**
   * The real servers after the first (the web wizard's further rows; the console asks for
   * one). A row not answered well yet is undefined: it stays out of the configuration.
   */
  moreServers?: (WizardServer | undefined)[];
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface Question<K extends keyof WizardAnswers = keyof WizardAnswers> {
  key: K;
  /** The command-line flag that answers it in non-interactive mode. */
  flag: string;
  prompt: string;
  /** Said once before the question (the mode's consequences). */
  explain?(answers: Partial<WizardAnswers>): string | undefined;
  default?(answers: Partial<WizardAnswers>): string | undefined;
  /** Not asked (and not needed) for these answers. */
  skip?(answers: Partial<WizardAnswers>): boolean;
  parse(text: string, answers: Partial<WizardAnswers>): Parsed<WizardAnswers[K]>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

const familyOf = (text: string) => (isIPv4(text) ? 4 : isIPv6(text) ? 6 : 0);

/** An answer checked by one of the model's primitives: its value, or the model's own message. */
function bySchema<T>(schema: z.ZodType<T>, value: unknown): Parsed<T> {
  const result = schema.safeParse(value, personMessages);
  return result.success ? ok(result.data) : bad(result.error.issues[0]?.message ?? 'invalid');
}

/** Digits are a number (as the editor's number fields read them); anything else stays text for the schema to name. */
const numberOrText = (text: string): unknown => (/^\d+$/.test(text) ? Number(text) : text);

const parseCidr = (text: string) => bySchema(cidr, text);
const parseAddress = (text: string) => bySchema(address, text);
const parsePort = (text: string) => bySchema(port, numberOrText(text));
const parseLabel = (text: string) => bySchema(label, text);
const parseInterface = (text: string) => bySchema(interfaceName, text);

/** What each mode means for the real servers: said before the VIP is asked. */
export const MODE_EXPLANATIONS: Record<WizardMode, string> = {
  dr: `Layer 4 DR (one-arm Direct Routing): the balancer forwards each packet unchanged to a real server,
which answers the client directly. Every real server must therefore hold the VIP itself
(on its loopback) without answering ARP for it — otherwise it steals the VIP from the
balancer ("the ARP problem"): set arp_ignore=1 and arp_announce=2 and add the VIP to lo,
which "sluice-arp-fix apply --vip <VIP>" does on a Linux real server. DR cannot translate ports:
the real server listens on the VIP's port.`,
  nat: `Layer 4 NAT (two-arm): the balancer rewrites the destination to a real server on an internal network
behind its second interface, and must see every reply to rewrite it back. So each real
server's default gateway must be the balancer's internal address (in an HA pair, a floating
IP on that network), or replies bypass it and clients hang. Real servers may listen on
another port than the VIP's.`,
  snat: `Layer 7 SNAT (HAProxy): the balancer terminates each client connection and opens its own
to a real server, from its own address. Nothing changes on the real servers; they see the
balancer's address (HTTP adds the client's in X-Forwarded-For). Slower than DR, but works
across any network.`,
};

export const QUESTIONS: Question[] = [
  {
    key: 'address',
    flag: 'address',
    prompt: "This node's IP address with its prefix length (such as 192.0.2.5/24)",
    parse: parseCidr,
  },
  {
    key: 'interface',
    flag: 'interface',
    prompt: 'Its network interface',
    default: () => 'eth0',
    parse: parseInterface,
  },
  {
    key: 'gateway',
    flag: 'gateway',
    prompt: 'The default gateway (empty: keep the current one)',
    default: () => '',
    parse: (text) => (text === '' ? ok('') : parseAddress(text)),
  },
  {
    key: 'mode',
    flag: 'mode',
    prompt: 'Mode: dr (Layer 4 DR), nat (Layer 4 NAT) or snat (Layer 7 SNAT)',
    default: () => 'dr',
    parse: (text) => {
      const mode = text.toLowerCase();
      const named = MODES.find((m) => m === mode || MODE_NAMES[m].toLowerCase() === mode);
      if (named !== undefined) return ok(named);
      if (mode === '1') return ok('dr');
      if (mode === '2') return ok('nat');
      if (mode === '3') return ok('snat');
      return bad('must be dr (Layer 4 DR), nat (Layer 4 NAT) or snat (Layer 7 SNAT)');
    },
  },
  {
    key: 'internalAddress',
    flag: 'internal-address',
    prompt: "This node's address on the real servers' network, with its prefix (the real servers' gateway)",
    skip: (answers) => answers.mode !== 'nat',
    explain: (answers) => (answers.mode === 'nat' ? MODE_EXPLANATIONS.nat : undefined),
    parse: (text, answers) => {
      const parsed = parseCidr(text);
      // NAT's second arm: an address of its own, or the first arm is answered twice.
      if (parsed.ok && parsed.value === answers.address) return bad("must differ from this node's external address");
      return parsed;
    },
  },
  {
    key: 'internalInterface',
    flag: 'internal-interface',
    prompt: 'Its interface',
    default: () => 'eth1',
    skip: (answers) => answers.mode !== 'nat',
    parse: (text, answers) =>
      text === answers.interface ? bad('two-arm NAT needs a second interface') : parseInterface(text),
  },
  {
    key: 'label',
    flag: 'label',
    prompt: 'A label for the virtual service',
    default: () => 'web',
    explain: (answers) => (answers.mode === 'nat' ? undefined : MODE_EXPLANATIONS[answers.mode ?? 'dr']),
    parse: parseLabel,
  },
  {
    key: 'vip',
    flag: 'vip',
    prompt: 'The virtual IP (VIP) clients connect to',
    parse: (text, answers) => {
      const parsed = parseAddress(text);
      // The VIP is raised on this node's network: of its address family.
      const want = familyOf(answers.address?.split('/')[0] ?? '');
      if (parsed.ok && want !== 0 && familyOf(parsed.value) !== want) {
        return bad(`must be IPv${want}, like this node's address`);
      }
      return parsed;
    },
  },
  {
    key: 'port',
    flag: 'port',
    prompt: 'Its port',
    default: () => '80',
    parse: parsePort,
  },
  {
    key: 'serverLabel',
    flag: 'server-label',
    prompt: 'A label for the first real server',
    default: () => 'server1',
    parse: parseLabel,
  },
  {
    key: 'serverAddress',
    flag: 'server-address',
    prompt: "The first real server's address",
    parse: parseAddress,
  },
  {
    key: 'serverPort',
    flag: 'server-port',
    prompt: 'Its port',
    default: (answers) => String(answers.port ?? 80),
    skip: (answers) => answers.mode === 'dr',
    parse: parsePort,
  },
];

/** The wizard's pages: the questions grouped as the web wizard shows them. */
export interface WizardStep {
  title: string;
  keys: (keyof WizardAnswers)[];
}

export const STEPS: readonly WizardStep[] = [
  { title: 'This node', keys: ['address', 'interface', 'gateway'] },
  { title: 'Mode', keys: ['mode'] },
  { title: 'Internal network', keys: ['internalAddress', 'internalInterface'] },
  { title: 'Virtual service', keys: ['label', 'vip', 'port'] },
  { title: 'Real servers', keys: ['serverLabel', 'serverAddress', 'serverPort'] },
  { title: 'Review', keys: [] },
];

export const question = (key: keyof WizardAnswers): Question => QUESTIONS.find((q) => q.key === key) as Question;

/** A step's questions that these answers ask (the internal network only in NAT mode). */
export const askedKeys = (step: WizardStep, answers: Partial<WizardAnswers>) =>
  step.keys.filter((key) => !question(key).skip?.(answers));

/** The steps these answers go through, in order: a step whose every question is skipped is not listed. */
export function listedSteps(answers: Partial<WizardAnswers>): WizardStep[] {
  return STEPS.filter((step) => step.keys.length === 0 || askedKeys(step, answers).length > 0);
}

/** Every real server the answers hold, in order (undefined: a row not answered well yet). */
export function serversOf(answers: Partial<WizardAnswers>): (WizardServer | undefined)[] {
  const first =
    answers.serverLabel !== undefined && answers.serverAddress !== undefined
      ? {
          label: answers.serverLabel,
          address: answers.serverAddress,
          ...(answers.serverPort === undefined ? {} : { port: answers.serverPort }),
        }
      : undefined;
  return [first, ...(answers.moreServers ?? [])];
}

/** The answers applied to the current configuration: what the wizard commits. */
export function buildConfig(current: ApplianceConfig, answers: WizardAnswers): ApplianceConfigInput {
  return draftConfig(current, answers).config;
}

interface Draft {
  config: ApplianceConfig;
  /** Where the wizard's service is (undefined: not answered far enough yet). */
  service?: { at: string; servers: number[] };
}

/**
 * The configuration the answers so far make: what is not answered (well) yet stays out,
 * so the model judges what is there. `servers` maps each real server in the service to
 * its row in `serversOf(answers)`.
 */
function draftConfig(current: ApplianceConfig, answers: Partial<WizardAnswers>): Draft {
  const config = structuredClone(current) as ApplianceConfig;
  const setAddress = (name: string, cidr: string) => {
    const nic = config.network.interfaces.find((n) => n.name === name);
    if (nic === undefined) {
      config.network.interfaces.push({ name, addresses: [cidr] });
      return;
    }
    const host = cidr.split('/')[0];
    nic.addresses = [...nic.addresses.filter((a) => a.split('/')[0] !== host), cidr];
  };
  if (answers.interface !== undefined && answers.address !== undefined) setAddress(answers.interface, answers.address);
  if (answers.mode === 'nat' && answers.internalInterface !== undefined && answers.internalAddress !== undefined) {
    setAddress(answers.internalInterface, answers.internalAddress);
  }
  if (answers.gateway !== undefined && answers.gateway !== '') {
    config.network.defaultGateway = {
      ...config.network.defaultGateway,
      [isIPv4(answers.gateway) ? 'ipv4' : 'ipv6']: answers.gateway,
    };
  }
  const { mode, label: name, vip, port: virtualPort } = answers;
  if (mode === undefined || name === undefined || vip === undefined || virtualPort === undefined) return { config };
  const rows: number[] = [];
  const servers = serversOf(answers).flatMap((server, row) => {
    if (server === undefined) return [];
    rows.push(row);
    return [server];
  });
  if (mode === 'snat') {
    config.layer7 = config.layer7.filter((s) => s.label !== name);
    config.layer7.push({
      label: name,
      vip,
      ports: [virtualPort],
      mode: 'http',
      persistence: { type: 'none' },
      urlRules: [],
      xForwardedFor: true,
      tproxy: false,
      realServers: servers.map((server) => ({
        label: server.label,
        address: server.address,
        port: server.port ?? virtualPort,
        weight: 1,
        maxConnections: 0,
      })),
    });
    return { config, service: { at: `layer7[${config.layer7.length - 1}]`, servers: rows } };
  }
  config.layer4 = config.layer4.filter((s) => s.label !== name);
  config.layer4.push({
    label: name,
    vip,
    ports: [virtualPort],
    protocol: 'tcp',
    forwarding: mode,
    scheduler: 'wlc',
    realServers: servers.map((server) => ({
      label: server.label,
      address: server.address,
      ...(mode === 'nat' ? { port: server.port ?? virtualPort } : {}),
      weight: 1,
      minConnections: 0,
      maxConnections: 0,
    })),
  });
  return { config, service: { at: `layer4[${config.layer4.length - 1}]`, servers: rows } };
}

/** An answer the model finds fault with: `field` is the question's key, or `servers.<row>.<label|address|port>`. */
export interface AnswerIssue {
  code: string;
  field?: string;
  message: string;
}

/** The web wizard's name for a real server's answer: the row and the property. */
export const serverField = (row: number, property: keyof WizardServer) => `servers.${row}.${property}`;

/** The question at `servers.0.*` is the console's first real server. */
export const SERVER_KEYS: Record<keyof WizardServer, keyof WizardAnswers> = {
  label: 'serverLabel',
  address: 'serverAddress',
  port: 'serverPort',
};

/**
 * The model's verdict on the configuration these answers make (`validateConfig`, as the
 * configuration editor checks an edit), each error named by the answer at fault. Errors
 * the current configuration has already are not the answers' doing and are left out.
 */
export function answerIssues(current: ApplianceConfig, answers: Partial<WizardAnswers>): AnswerIssue[] {
  const draft = draftConfig(current, answers);
  const before = new Set(validateConfig(current).errors.map((e) => e.message));
  const nicField = (index: string | undefined) => {
    const name = draft.config.network.interfaces[Number(index)]?.name;
    return answers.mode === 'nat' && name === answers.internalInterface ? 'internal' : 'external';
  };
  return validateConfig(draft.config)
    .errors.filter((e) => !before.has(e.message))
    .map((e) => {
      const path = e.field ?? '';
      const message = e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message;
      const field = answerField(path, draft, nicField);
      return { code: e.code, message, ...(field === undefined ? {} : { field }) };
    });
}

/** The model's first finding about one question's answer (the console asks one at a time). */
export function issueFor(issues: readonly AnswerIssue[], key: keyof WizardAnswers): AnswerIssue | undefined {
  const server = Object.entries(SERVER_KEYS).find(([, k]) => k === key)?.[0] as keyof WizardServer | undefined;
  const field = server === undefined ? key : serverField(0, server);
  return issues.find((issue) => issue.field === field);
}

function answerField(
  path: string,
  draft: Draft,
  nicField: (index: string | undefined) => 'internal' | 'external',
): string | undefined {
  if (path.startsWith('network.defaultGateway')) return 'gateway';
  const nic = /^network\.interfaces\[(\d+)\]\.(name|addresses)/.exec(path);
  if (nic !== null) {
    const internal = nicField(nic[1]) === 'internal';
    if (nic[2] === 'name') return internal ? 'internalInterface' : 'interface';
    return internal ? 'internalAddress' : 'address';
  }
  const at = draft.service?.at;
  if (at === undefined || !(path === at || path.startsWith(`${at}.`))) return undefined;
  const rest = path.slice(at.length + 1);
  const server = /^realServers\[(\d+)\]\.(label|address|port)/.exec(rest);
  if (server !== null) {
    const row = draft.service?.servers[Number(server[1])] ?? 0;
    return serverField(row, server[2] as keyof WizardServer);
  }
  if (rest.startsWith('label')) return 'label';
  if (rest.startsWith('vip')) return 'vip';
  if (rest.startsWith('ports')) return 'port';
  return undefined;
}

/** The service label must be new unless --replace: the wizard does not silently overwrite a farm. */
export function labelTaken(current: ApplianceConfig, label: string): boolean {
  return current.layer4.some((s) => s.label === label) || current.layer7.some((s) => s.label === label);
}
