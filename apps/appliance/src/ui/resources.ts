import { EXPIRY_WARNING_DAYS, type TerminationCertificateStatus } from '../model/certificate.js';
import { ANNOUNCEMENT_BOUNDS, type Bounds, REFRESH_MIN_MS, TIMER_BOUNDS } from '../model/heartbeat-timing.js';
import { DEFAULT_COOKIES, defaultCookie } from '../model/persistence-cookies.js';
import { SCHEDULERS } from '../model/schedulers.js';
import type { ApplianceConfig } from '../model/schema.js';
import { expiryText } from './certificate-status.js';
import { type FieldSpec, formatPorts, getPath } from './forms.js';
import { routeTo } from './nav.js';
import { newPasswordField } from './password-field.js';
import { makeSelfSigned, placeSelfSigned, SELF_SIGNED } from './self-signed.js';

type Item = Record<string, unknown>;

/** One kind of object the Edit Configuration pages manage, and where the API keeps it. */
export interface ResourceKind {
  id: string;
  title: string;
  /** Singular, for buttons ("Add virtual service"). */
  noun: string;
  /** Where the objects live in the configuration document. */
  configKey: 'layer4' | 'layer7' | 'ssl' | 'certificates' | 'healthChecks' | 'floatingIps';
  apiPath: string;
  keyOf: (item: Item) => string;
  columns: readonly [string, (item: Item) => string][];
  fields: (config: ApplianceConfig) => FieldSpec[];
  newItem: () => Item;
  intro?: string;
  children?: ChildKind;
  /** The edited object as live validation places it in the candidate configuration (which it may add to). */
  place?: (candidate: Item, value: Item) => Item;
  /** Work before the write (making a certificate): the object to write and the version to base it on. */
  prepare?: (config: ApplianceConfig, value: Item, version: number) => Promise<{ item: Item; version: number }>;
}

export interface ChildKind {
  key: 'realServers';
  title: string;
  noun: string;
  apiSuffix: string;
  columns: readonly [string, (item: Item) => string][];
  fields: FieldSpec[];
  newItem: () => Item;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const labelField = (help: string): FieldSpec => ({ name: 'label', label: 'Label', type: 'text', help });
const description: FieldSpec = { name: 'description', label: 'Description', type: 'text' };
const healthChecksOf = (c: ApplianceConfig) => c.healthChecks.map((x) => x.label);
const statusOf = (s: Item) => s.status as TerminationCertificateStatus | undefined;

const layer4RealServerFields: FieldSpec[] = [
  labelField('A name for the server, e.g. alpha_server.'),
  { name: 'address', label: 'Real server IP address', type: 'text', placeholder: '192.0.2.21' },
  { name: 'port', label: 'Port', type: 'number', help: 'Empty: the virtual port (the only choice for DR and TUN).' },
  { name: 'weight', label: 'Weight', type: 'number', help: '0 takes no new connections. Default 1.' },
  {
    name: 'minConnections',
    label: 'Minimum connections',
    type: 'number',
    help: '0 = none. Needs a maximum at least as large: IPVS takes no lower threshold alone.',
  },
  { name: 'maxConnections', label: 'Maximum connections', type: 'number', help: '0 = unlimited.' },
];

const layer7RealServerFields: FieldSpec[] = [
  labelField('A name for the server, e.g. bravo_server.'),
  { name: 'address', label: 'Real server IP address', type: 'text', placeholder: '198.51.100.21' },
  { name: 'port', label: 'Port', type: 'number', help: 'Empty: the port the client connected to.' },
  { name: 'weight', label: 'Weight', type: 'number', help: '0–256. Default 1.' },
  { name: 'maxConnections', label: 'Maximum connections', type: 'number', help: '0 = unlimited.' },
];

const realServerColumns: ChildKind['columns'] = [
  ['Label', (r) => str(r.label)],
  ['Address', (r) => str(r.address)],
  ['Port', (r) => str(r.port ?? '(virtual)')],
  ['Weight', (r) => str(r.weight ?? 1)],
];

const fallbackFields: FieldSpec[] = [
  {
    name: 'fallback.address',
    label: 'Fallback server address',
    type: 'text',
    help: 'Takes the traffic when every real server is down.',
  },
  { name: 'fallback.port', label: 'Fallback server port', type: 'number' },
];

/** Persistence as a Loadbalancer.org user knows it (the configuration keeps the short names). */
const PERSISTENCE_TEXT: Record<string, string> = {
  none: 'None',
  'cookie-insert': 'HTTP cookie (inserted by the balancer)',
  'passive-cookie': "Application cookie (the application's own)",
  'source-ip': 'Source IP',
  'rdp-cookie': 'RDP client cookie',
};

const HEALTH_HELP =
  'A new service gets "connect" (a TCP connect to each real server) with its first real server; "(none)": its servers are not checked (grey).';

export const RESOURCES: readonly ResourceKind[] = [
  {
    id: 'layer4',
    title: 'Layer 4 virtual services',
    noun: 'virtual service',
    configKey: 'layer4',
    apiPath: '/layer4/services',
    keyOf: (s) => str(s.label),
    intro: 'IPVS services: Direct Routing (one-arm), NAT (two-arm) or tunnelling.',
    columns: [
      ['Label', (s) => str(s.label)],
      ['VIP', (s) => str(s.vip)],
      ['Ports', (s) => formatPorts(s.ports)],
      ['Protocol', (s) => str(s.protocol ?? 'tcp')],
      ['Forwarding', (s) => str(s.forwarding ?? 'dr').toUpperCase()],
      ['Real servers', (s) => str((s.realServers as unknown[] | undefined)?.length ?? 0)],
    ],
    fields: (c) => [
      labelField('A name for the service, e.g. web.'),
      description,
      { name: 'vip', label: 'Virtual service IP address', type: 'text', placeholder: '192.0.2.10' },
      {
        name: 'ports',
        label: 'Ports',
        type: 'ports',
        placeholder: '80, 443, 8000-8100',
        help: 'Ports and ranges; empty for a firewall-mark service.',
      },
      { name: 'protocol', label: 'Protocol', type: 'select', options: ['tcp', 'udp', 'both', 'fwmark'] },
      { name: 'fwmark', label: 'Firewall mark', type: 'number', help: 'For protocol fwmark only.' },
      {
        name: 'forwarding',
        label: 'Forwarding method',
        type: 'select',
        options: ['dr', 'nat', 'tun'],
        help: 'DR: real servers answer clients directly (they need the ARP fix: see Real server set-up). NAT: real servers route through this balancer.',
      },
      {
        name: 'scheduler',
        label: 'Scheduler',
        type: 'select',
        options: SCHEDULERS,
      },
      {
        name: 'persistence.timeoutSeconds',
        label: 'Persistence timeout (seconds)',
        type: 'number',
        help: 'Empty: no persistence.',
      },
      { name: 'persistence.granularity', label: 'Persistence granularity (prefix length)', type: 'number' },
      { name: 'healthCheck', label: 'Health check', type: 'select', options: healthChecksOf(c), help: HEALTH_HELP },
      ...fallbackFields,
    ],
    newItem: () => ({ protocol: 'tcp', forwarding: 'dr', scheduler: 'wlc' }),
    children: {
      key: 'realServers',
      title: 'Real servers',
      noun: 'real server',
      apiSuffix: '/real-servers',
      columns: realServerColumns,
      fields: layer4RealServerFields,
      newItem: () => ({}),
    },
  },
  {
    id: 'layer7',
    title: 'Layer 7 virtual services',
    noun: 'virtual service',
    configKey: 'layer7',
    apiPath: '/layer7/services',
    keyOf: (s) => str(s.label),
    intro: 'HAProxy services (SNAT): persistence, URL switching, X-Forwarded-For, TPROXY.',
    columns: [
      ['Label', (s) => str(s.label)],
      ['VIP', (s) => str(s.vip)],
      ['Ports', (s) => formatPorts(s.ports)],
      ['Mode', (s) => str(s.mode ?? 'http')],
      ['Persistence', (s) => str((s.persistence as Item | undefined)?.type ?? 'none')],
      ['Real servers', (s) => str((s.realServers as unknown[] | undefined)?.length ?? 0)],
    ],
    fields: (c) => [
      labelField('A name for the service, e.g. web-l7.'),
      description,
      { name: 'vip', label: 'Virtual service IP address', type: 'text', placeholder: '198.51.100.10' },
      { name: 'ports', label: 'Ports', type: 'ports', placeholder: '80' },
      { name: 'mode', label: 'Mode', type: 'select', options: ['http', 'tcp'] },
      {
        name: 'persistence.type',
        label: 'Persistence',
        type: 'select',
        // "None" is the model's own choice (its default): no second, empty "(none)" beside it.
        noEmptyChoice: true,
        options: ['none', 'cookie-insert', 'passive-cookie', 'source-ip', 'rdp-cookie'],
        optionText: PERSISTENCE_TEXT,
      },
      {
        name: 'persistence.cookieName',
        label: 'Cookie name',
        type: 'text',
        help: `For cookie persistence. Empty: ${DEFAULT_COOKIES['cookie-insert']} for an HTTP cookie, ${DEFAULT_COOKIES['passive-cookie']} for an application cookie.`,
        placeholderFrom: (s) => defaultCookie(getPath(s, 'persistence.type')),
      },
      { name: 'persistence.timeoutSeconds', label: 'Persistence timeout (seconds)', type: 'number' },
      {
        name: 'urlRules',
        label: 'URL switching rules',
        type: 'lines',
        help: 'One a line: path-prefix|path-suffix|host VALUE SERVICE, e.g. "path-prefix /static/ static-l7".',
        parseLine: ([match, value, service]) => ({ match, value, service }),
        formatLine: (r) => {
          const rule = r as { match: string; value: string; service: string };
          return `${rule.match} ${rule.value} ${rule.service}`;
        },
      },
      { name: 'xForwardedFor', label: 'Add X-Forwarded-For', type: 'checkbox' },
      {
        name: 'tproxy',
        label: 'Transparent proxy (TPROXY)',
        type: 'checkbox',
        help: 'Real servers see the client address; they must route through the balancer.',
      },
      { name: 'healthCheck', label: 'Health check', type: 'select', options: healthChecksOf(c), help: HEALTH_HELP },
      ...fallbackFields,
    ],
    newItem: () => ({ mode: 'http', xForwardedFor: true, tproxy: false }),
    children: {
      key: 'realServers',
      title: 'Real servers',
      noun: 'real server',
      apiSuffix: '/real-servers',
      columns: realServerColumns,
      fields: layer7RealServerFields,
      newItem: () => ({}),
    },
  },
  {
    id: 'ssl',
    title: 'SSL termination',
    noun: 'SSL termination',
    configKey: 'ssl',
    apiPath: '/ssl',
    keyOf: (s) => str(s.label),
    intro: 'Decrypt HTTPS on a VIP and pass the requests to a Layer 7 service.',
    columns: [
      ['Label', (s) => str(s.label)],
      ['VIP', (s) => `${str(s.vip)}:${str(s.port ?? 443)}`],
      ['Certificate', (s) => str(s.certificate)],
      ['Layer 7 service', (s) => str(s.service)],
    ],
    fields: (c) => [
      labelField('A name, e.g. web-https.'),
      description,
      {
        name: 'certificate',
        label: 'Certificate',
        type: 'select',
        options: [...c.certificates.map((x) => x.label), SELF_SIGNED],
        optionText: { [SELF_SIGNED]: 'Self-signed, made now for this VIP' },
        help: 'An uploaded certificate, or a self-signed one made for the VIP when this is saved (browsers warn about it until a CA-signed certificate is uploaded under its label).',
        helpLink: { href: routeTo('config', 'certificates'), text: 'Certificates: upload or check expiry' },
      },
      { name: 'vip', label: 'Listening IP address', type: 'text' },
      { name: 'port', label: 'Port', type: 'number', help: 'Default 443.' },
      { name: 'service', label: 'Layer 7 service', type: 'select', options: c.layer7.map((x) => x.label) },
    ],
    newItem: () => ({}),
    place: placeSelfSigned,
    prepare: makeSelfSigned,
  },
  {
    id: 'certificates',
    title: 'Certificates',
    noun: 'certificate',
    configKey: 'certificates',
    apiPath: '/certificates',
    keyOf: (s) => str(s.label),
    intro: `Certificates for SSL termination: a PEM file on this node holding the chain and its key. One expiring within ${EXPIRY_WARNING_DAYS} days is flagged.`,
    // `status`: what this node's file holds (GET /certificate-status), added by the list page.
    columns: [
      ['Label', (s) => str(s.label)],
      ['Subject', (s) => statusOf(s)?.info?.subject ?? statusOf(s)?.problem ?? ''],
      ['Names', (s) => statusOf(s)?.info?.altNames.join(', ') ?? ''],
      ['Expires', (s) => expiryText(statusOf(s))],
      ['File', (s) => str(s.file)],
    ],
    fields: () => [
      labelField('A name, e.g. site.'),
      description,
      { name: 'file', label: 'PEM file', type: 'text', placeholder: '/etc/sluice/certs/site.pem' },
    ],
    newItem: () => ({}),
  },
  {
    id: 'health-checks',
    title: 'Health checks',
    noun: 'health check',
    configKey: 'healthChecks',
    apiPath: '/health-checks',
    keyOf: (s) => str(s.label),
    columns: [
      ['Label', (s) => str(s.label)],
      ['Type', (s) => str(s.type)],
      ['Every', (s) => `${str(s.intervalSeconds ?? 10)} s`],
      ['Path', (s) => str(s.path)],
    ],
    fields: () => [
      labelField('A name, e.g. web-check.'),
      description,
      { name: 'type', label: 'Type', type: 'select', options: ['connect', 'http', 'https', 'ping'] },
      { name: 'intervalSeconds', label: 'Interval (seconds)', type: 'number' },
      { name: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number' },
      { name: 'rise', label: 'Successes before up (rise)', type: 'number' },
      { name: 'fall', label: 'Failures before down (fall)', type: 'number' },
      { name: 'port', label: 'Port', type: 'number', help: "Empty: the real server's port." },
      { name: 'path', label: 'Request path', type: 'text', placeholder: '/health' },
      { name: 'host', label: 'Host header', type: 'text' },
      { name: 'expectStatus', label: 'Expected status', type: 'number', placeholder: '200' },
    ],
    newItem: () => ({ type: 'connect' }),
  },
  {
    id: 'floating-ips',
    title: 'Floating IPs',
    noun: 'floating IP',
    configKey: 'floatingIps',
    apiPath: '/floating-ips',
    keyOf: (s) => str(s.address),
    intro: 'Addresses the active node of a pair holds (VIPs, the NAT gateway address).',
    columns: [
      ['Address', (s) => str(s.address)],
      ['Interface', (s) => str(s.interface ?? '(by network)')],
    ],
    fields: () => [
      { name: 'address', label: 'Address with prefix length', type: 'text', placeholder: '192.0.2.10/24' },
      { name: 'interface', label: 'Interface', type: 'text', placeholder: 'eth0' },
    ],
    newItem: () => ({}),
  },
];

export const resourceById = (id: string): ResourceKind | undefined => RESOURCES.find((r) => r.id === id);

/** A number field with the model's bounds as its range, its default as the placeholder and in the help. */
function bounded(name: string, label: string, bounds: Bounds, help: string, unit = ' ms'): FieldSpec {
  const n = (value: number) => value.toLocaleString('en');
  return {
    name,
    label,
    type: 'number',
    min: bounds.min,
    max: bounds.max,
    placeholder: String(bounds.default),
    help: `${help} ${n(bounds.min)}–${n(bounds.max)}${unit}. Default ${n(bounds.default)}${unit}.`,
  };
}

const timerFields: FieldSpec[] = [
  {
    ...bounded(
      'timing.keepaliveMs',
      'Keepalive (ms)',
      TIMER_BOUNDS.keepaliveMs,
      'A heartbeat this often on every link.',
    ),
    heading: 'Timers',
  },
  bounded(
    'timing.warntimeMs',
    'Warntime (ms)',
    TIMER_BOUNDS.warntimeMs,
    'The peer is late (a warning) after this long without a heartbeat; at least the keepalive.',
  ),
  bounded(
    'timing.deadtimeMs',
    'Deadtime (ms)',
    TIMER_BOUNDS.deadtimeMs,
    'The peer is dead, and this node takes over, after this long without a heartbeat on any link; at least twice the keepalive and at least the warntime.',
  ),
  bounded(
    'timing.initdeadMs',
    'Initial deadtime (ms)',
    TIMER_BOUNDS.initdeadMs,
    'At start, how long the peer has to show up before this node assumes it is alone; at least the deadtime.',
  ),
];

const announcementFields: FieldSpec[] = [
  {
    ...bounded(
      'announcements.count',
      'Announcements per burst',
      ANNOUNCEMENT_BOUNDS.count,
      'Gratuitous ARPs / unsolicited neighbour advertisements at each takeover, so one lost frame does not leave clients on the old MAC.',
      '',
    ),
    heading: 'Announcements',
  },
  bounded(
    'announcements.intervalMs',
    'Announcement interval (ms)',
    ANNOUNCEMENT_BOUNDS.intervalMs,
    'Between the frames of a burst.',
  ),
  bounded(
    'announcements.delayMs',
    'Second burst after (ms)',
    ANNOUNCEMENT_BOUNDS.delayMs,
    'A second burst this long after the first; 0: none.',
  ),
  bounded(
    'announcements.refreshMs',
    'Announcement refresh (ms)',
    ANNOUNCEMENT_BOUNDS.refreshMs,
    `While active, one frame this often; 0: off, else at least ${REFRESH_MIN_MS}.`,
  ),
];

const connectionSyncFields: FieldSpec[] = [
  {
    name: 'connectionSync.enabled',
    label: 'Connection sync enabled',
    type: 'checkbox',
    absentWhenAlone: true,
    heading: 'Connection sync',
    help: "Stateful failover: the active node's kernel sends its Layer 4 connections to the passive one's, so established connections survive a takeover.",
  },
  {
    name: 'connectionSync.interface',
    label: 'Sync interface',
    type: 'text',
    placeholder: 'eth1',
    help: "The interface the connections are multicast on (a dedicated link, or the heartbeat's).",
  },
  {
    name: 'connectionSync.syncId',
    label: 'Sync ID',
    type: 'number',
    placeholder: '0',
    help: 'Tells pairs on the same link apart; both nodes the same. 0–255. Default 0.',
  },
  {
    name: 'connectionSync.group',
    label: 'Sync multicast group',
    type: 'text',
    placeholder: '224.0.0.81',
    help: 'Empty: the kernel default, 224.0.0.81. An IPv6 group syncs over IPv6.',
  },
  { name: 'connectionSync.port', label: 'Sync port', type: 'number', placeholder: '8848', help: 'Empty: 8848.' },
  { name: 'connectionSync.ttl', label: 'Sync TTL', type: 'number', placeholder: '1', help: '1–255. Empty: 1.' },
  {
    name: 'connectionSync.maxPacketLength',
    label: 'Largest sync message (bytes)',
    type: 'number',
    help: "Empty: from the interface's MTU.",
  },
];

export const heartbeatFields: FieldSpec[] = [
  { name: 'enabled', label: 'Heartbeat enabled', type: 'checkbox' },
  { name: 'peer.name', label: 'Peer node name', type: 'text', placeholder: 'lbslave' },
  { name: 'peer.address', label: 'Peer address', type: 'text', placeholder: '203.0.113.2' },
  {
    name: 'links',
    label: 'Links',
    type: 'lines',
    help: 'One a line: INTERFACE [PEER-ADDRESS], e.g. "eth0".',
    parseLine: ([iface, peerAddress]) => ({ interface: iface, ...(peerAddress ? { peerAddress } : {}) }),
    formatLine: (l) => {
      const link = l as { interface: string; peerAddress?: string };
      return [link.interface, link.peerAddress].filter(Boolean).join(' ');
    },
  },
  {
    name: 'key',
    label: 'Shared key',
    type: 'password',
    autocomplete: 'new-password',
    help: 'At least 16 characters; both nodes hold the same. Left empty: unchanged.',
  },
  {
    name: 'pingNodes',
    label: 'Ping nodes',
    type: 'list',
    help: 'Addresses both nodes ping to tell a dead peer from a dead network.',
  },
  { name: 'autoFailback', label: 'Automatic failback to the master', type: 'checkbox' },
  ...timerFields,
  ...announcementFields,
  ...connectionSyncFields,
];

/** `198.51.100.0/24 via 192.0.2.254 dev eth1 metric 10`; what is not that is left for the schema to name. */
function parseRoute([destination, via, gateway, ...rest]: string[]): unknown {
  const route: Record<string, unknown> = { destination, gateway: via === 'via' ? gateway : via };
  for (let i = 0; i < rest.length; i += 2) {
    const [key, value] = [rest[i], rest[i + 1]];
    if (key === 'dev') route.interface = value;
    else if (key === 'metric') route.metric = Number(value);
    else route[String(key)] = value;
  }
  return route;
}

export const networkFields: FieldSpec[] = [
  {
    name: 'interfaces',
    label: 'Interface addresses',
    type: 'lines',
    help: 'One interface a line: NAME ADDRESS/PREFIX ..., e.g. "eth0 203.0.113.1/24".',
    parseLine: ([name, ...addresses]) => ({ name, addresses }),
    formatLine: (i) => {
      const iface = i as { name: string; addresses: string[] };
      return [iface.name, ...iface.addresses].join(' ');
    },
  },
  {
    name: 'defaultGateway.ipv4',
    label: 'Default gateway (IPv4)',
    type: 'text',
    help: "Where traffic to other networks goes; it must be in an interface's network above.",
  },
  {
    name: 'defaultGateway.ipv6',
    label: 'Default gateway (IPv6)',
    type: 'text',
    help: 'As for IPv4; a link-local gateway (fe80::1) goes on the interface with IPv6 addresses.',
  },
  {
    name: 'routes',
    label: 'Static routes',
    type: 'lines',
    help: 'One route a line, as ip route writes it: DESTINATION via GATEWAY [dev INTERFACE] [metric N], e.g. "198.51.100.0/24 via 192.0.2.254". The gateway must be in an interface\'s network.',
    parseLine: parseRoute,
    formatLine: (r) => {
      const route = r as { destination: string; gateway: string; interface?: string; metric?: number };
      return [
        route.destination,
        'via',
        route.gateway,
        ...(route.interface ? ['dev', route.interface] : []),
        ...(route.metric === undefined ? [] : ['metric', String(route.metric)]),
      ].join(' ');
    },
  },
  {
    name: 'dns.servers',
    label: 'DNS servers',
    type: 'list',
    help: 'The name servers this appliance asks (health checks by name, NTP servers by name), separated by commas.',
  },
  {
    name: 'dns.searchDomains',
    label: 'DNS search domains',
    type: 'list',
    help: 'Domains a short name is tried in (web1 -> web1.example.com), separated by commas.',
  },
  {
    name: 'hostname',
    label: 'Host name',
    type: 'text',
    help: 'This appliance\'s name (letters, digits and "-", dots between labels). Empty: left as it is.',
  },
  {
    name: 'ntpServers',
    label: 'NTP servers',
    type: 'list',
    help: "Time servers by address or name, separated by commas. Empty: the system's defaults.",
  },
  {
    name: 'autonat.interface',
    label: 'Auto-NAT interface',
    type: 'text',
    help: "NAT mode: masquerade the real servers' outbound traffic through this interface. Stored, not applied yet by this version. Empty: off.",
  },
];

export const administrationFields: FieldSpec[] = [
  { name: 'httpPort', label: 'HTTP port', type: 'number', help: 'Default 9080. Read when the appliance starts.' },
  { name: 'httpsPort', label: 'HTTPS port', type: 'number', help: 'Default 9443. Read when the appliance starts.' },
];

export const userFields: FieldSpec[] = [
  { name: 'username', label: 'User name', type: 'text', autocomplete: 'off' },
  newPasswordField('password', 'Password', 'Left empty when editing: unchanged.'),
  { name: 'role', label: 'Role', type: 'select', options: ['admin', 'readonly'] },
];
