import { isIPv4, isIPv6 } from './addresses.js';
import { interfaceName } from './primitives.js';
import type { ApplianceConfig, ApplianceConfigInput } from './schema.js';

/**
 * The console wizard's questions, the web wizard's: this node's address, the mode, the VIP
 * and the first real server. Each answer is checked on its own (so a person can retry at
 * once), and the whole configuration is checked again by the daemon when it is committed.
 */
export type WizardMode = 'dr' | 'nat' | 'snat';

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

const familyOf = (address: string) => (isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0);

function parseCidr(text: string): Parsed<string> {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text);
  const address = match?.[1] ?? '';
  const prefix = Number(match?.[2]);
  const family = familyOf(address);
  if (!match || family === 0) return bad('must be an address with its prefix length, such as 192.0.2.5/24');
  if (prefix > (family === 4 ? 32 : 128) || (family === 4 && prefix < 1)) {
    return bad(`the prefix length must be 1-${family === 4 ? 32 : 128}`);
  }
  return ok(`${address}/${prefix}`);
}

function parseAddress(text: string, sameFamilyAs?: string, what = 'the address'): Parsed<string> {
  const family = familyOf(text);
  if (family === 0) return bad('must be an IPv4 or IPv6 address');
  const want = sameFamilyAs === undefined ? 0 : familyOf(sameFamilyAs.split('/')[0] ?? '');
  if (want !== 0 && family !== want) return bad(`must be IPv${want}, like ${what}`);
  return ok(text);
}

function parsePort(text: string): Parsed<number> {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) return bad('must be a port, 1-65535');
  return ok(Number(text));
}

function parseLabel(text: string): Parsed<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(text)) {
    return bad('must start with a letter or digit and hold only letters, digits, "_", "." and "-" (at most 64)');
  }
  return ok(text);
}

function parseInterface(text: string): Parsed<string> {
  return interfaceName.safeParse(text).success ? ok(text) : bad('must be an interface name such as eth0');
}

/** What each mode means for the real servers: said before the VIP is asked. */
export const MODE_EXPLANATIONS: Record<WizardMode, string> = {
  dr: `One-arm Direct Routing (DR): the balancer forwards each packet unchanged to a real server,
which answers the client directly. Every real server must therefore hold the VIP itself
(on its loopback) without answering ARP for it — otherwise it steals the VIP from the
balancer ("the ARP problem"): set arp_ignore=1 and arp_announce=2 and add the VIP to lo,
which "sluice-arp-fix apply --vip <VIP>" does on a Linux real server. DR cannot translate ports:
the real server listens on the VIP's port.`,
  nat: `Two-arm NAT: the balancer rewrites the destination to a real server on an internal network
behind its second interface, and must see every reply to rewrite it back. So each real
server's default gateway must be the balancer's internal address (in an HA pair, a floating
IP on that network), or replies bypass it and clients hang. Real servers may listen on
another port than the VIP's.`,
  snat: `SNAT / Layer 7 (HAProxy): the balancer terminates each client connection and opens its own
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
    parse: (text, answers) => (text === '' ? ok('') : parseAddress(text, answers.address, "this node's address")),
  },
  {
    key: 'mode',
    flag: 'mode',
    prompt: 'Mode: dr (one-arm Direct Routing), nat (two-arm NAT) or snat (Layer 7 SNAT)',
    default: () => 'dr',
    parse: (text) => {
      const mode = text.toLowerCase();
      if (mode === 'dr' || mode === 'nat' || mode === 'snat') return ok(mode);
      if (mode === '1') return ok('dr');
      if (mode === '2') return ok('nat');
      if (mode === '3') return ok('snat');
      return bad('must be dr, nat or snat');
    },
  },
  {
    key: 'internalAddress',
    flag: 'internal-address',
    prompt: "This node's address on the real servers' network, with its prefix (the real servers' gateway)",
    skip: (answers) => answers.mode !== 'nat',
    explain: (answers) => (answers.mode === 'nat' ? MODE_EXPLANATIONS.nat : undefined),
    parse: (text, answers) => {
      const cidr = parseCidr(text);
      if (!cidr.ok) return cidr;
      const family = parseAddress(cidr.value.split('/')[0] ?? '', answers.address, "this node's address");
      if (!family.ok) return bad(family.error);
      if (cidr.value === answers.address) return bad("must differ from this node's external address");
      return cidr;
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
      const parsed = parseAddress(text, answers.address, "this node's address");
      if (!parsed.ok) return parsed;
      if (parsed.value === answers.address?.split('/')[0]) return bad("must differ from this node's own address");
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
    parse: (text, answers) => {
      const parsed = parseAddress(text, answers.vip, 'the VIP');
      if (!parsed.ok) return parsed;
      if (parsed.value === answers.vip) return bad('must differ from the VIP');
      return parsed;
    },
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

/** The answers applied to the current configuration: what the wizard commits. */
export function buildConfig(current: ApplianceConfig, answers: WizardAnswers): ApplianceConfigInput {
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
  setAddress(answers.interface, answers.address);
  if (answers.mode === 'nat') setAddress(answers.internalInterface, answers.internalAddress);
  if (answers.gateway !== '') {
    config.network.defaultGateway = {
      ...config.network.defaultGateway,
      [isIPv4(answers.gateway) ? 'ipv4' : 'ipv6']: answers.gateway,
    };
  }
  if (answers.mode === 'snat') {
    config.layer7 = config.layer7.filter((s) => s.label !== answers.label);
    config.layer7.push({
      label: answers.label,
      vip: answers.vip,
      ports: [answers.port],
      mode: 'http',
      persistence: { type: 'none' },
      urlRules: [],
      xForwardedFor: true,
      tproxy: false,
      realServers: [
        {
          label: answers.serverLabel,
          address: answers.serverAddress,
          port: answers.serverPort,
          weight: 1,
          maxConnections: 0,
        },
      ],
    });
  } else {
    config.layer4 = config.layer4.filter((s) => s.label !== answers.label);
    config.layer4.push({
      label: answers.label,
      vip: answers.vip,
      ports: [answers.port],
      protocol: 'tcp',
      forwarding: answers.mode,
      scheduler: 'wlc',
      realServers: [
        {
          label: answers.serverLabel,
          address: answers.serverAddress,
          ...(answers.mode === 'nat' ? { port: answers.serverPort } : {}),
          weight: 1,
          minConnections: 0,
          maxConnections: 0,
        },
      ],
    });
  }
  return config;
}

/** The service label must be new unless --replace: the wizard does not silently overwrite a farm. */
export function labelTaken(current: ApplianceConfig, label: string): boolean {
  return current.layer4.some((s) => s.label === label) || current.layer7.some((s) => s.label === label);
}
