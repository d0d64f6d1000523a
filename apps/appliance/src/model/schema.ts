import { z } from 'zod';
import { ANNOUNCEMENT_BOUNDS, type Bounds, REFRESH_MIN_MS, TIMER_BOUNDS, timerFaults } from './heartbeat-timing.js';
import {
  address,
  cidr,
  cookieName,
  filePath,
  fwmark,
  HOST_VALUE,
  hostName,
  interfaceName,
  ipv4,
  ipv6,
  label,
  passwordHash,
  port,
  portSpec,
  text,
} from './primitives.js';
import { SCHEDULERS } from './schedulers.js';

/** The IPVS schedulers, as the ipvs package knows them (which ones a kernel has is its `capabilities()`). */
export const schedulers = SCHEDULERS;

const description = text(256).optional();

/** A server that takes the traffic when every real server is down (ldirectord's `fallback`). */
const fallbackServer = z.strictObject({ address, port: port.optional() });

export const healthCheckSchema = z.strictObject({
  label,
  description,
  /** connect: TCP connect; http/https: a request whose status must match; ping: ICMP echo. */
  type: z.enum(['connect', 'http', 'https', 'ping']),
  intervalSeconds: z.int().min(1).max(3600).default(10),
  timeoutSeconds: z.int().min(1).max(3600).default(5),
  /** Consecutive successes before a failed server is back (HAProxy's `rise`). */
  rise: z.int().min(1).max(100).default(2),
  /** Consecutive failures before a server is failed (HAProxy's `fall`). */
  fall: z.int().min(1).max(100).default(3),
  /** The port to check; absent: the real server's port. */
  port: port.optional(),
  /** For http/https: the request path and the expected status. */
  path: text(1024)
    .regex(/^\/[^\s]*$/, { message: 'must start with "/" and contain no spaces' })
    .optional(),
  host: text(253)
    .regex(/^[A-Za-z0-9.:[\]-]+$/, { message: 'must be a host name or address' })
    .optional(),
  expectStatus: z.int().min(100).max(599).optional(),
});

export const certificateSchema = z.strictObject({
  label,
  description,
  /** A PEM file holding the certificate chain and its key, as HAProxy's `crt` takes it. */
  file: filePath,
});

export const layer4RealServerSchema = z.strictObject({
  label,
  address,
  /** Absent: the virtual port (the only choice for DR and TUN, which cannot translate ports). */
  port: port.optional(),
  /** 0 takes no new connections (drain); the IPVS range is 0..65535. */
  weight: z.int().min(0).max(65535).default(1),
  /** IPVS lower threshold (0 = none). */
  minConnections: z.int().min(0).max(4294967295).default(0),
  /** IPVS upper threshold (0 = unlimited). */
  maxConnections: z.int().min(0).max(4294967295).default(0),
});

export const layer4ServiceSchema = z.strictObject({
  label,
  description,
  vip: address,
  /** Ports and port ranges; empty for a firewall-mark service. */
  ports: z.array(portSpec).max(1024).default([]),
  protocol: z.enum(['tcp', 'udp', 'both', 'fwmark']).default('tcp'),
  /** For protocol `fwmark`: the mark that selects the traffic. */
  fwmark: fwmark.optional(),
  forwarding: z.enum(['dr', 'nat', 'tun']).default('dr'),
  scheduler: z.enum(schedulers).default('wlc'),
  /**
   * For `sh` and `mh`: `fallback` skips a real server of weight 0 or over its threshold
   * (the flows it had move, no others); `port` hashes the source port too, so one client's
   * connections spread. Absent in an ECMP cluster: both, or `fallback` only with persistence.
   */
  schedulerFlags: z.strictObject({ fallback: z.boolean().optional(), port: z.boolean().optional() }).optional(),
  /** Sticky connections: the same client goes to the same real server for `timeoutSeconds`. */
  persistence: z
    .strictObject({
      timeoutSeconds: z.int().min(1).max(31536000),
      /** Clients are grouped by this prefix length (IPVS's persistence netmask); absent: one address. */
      granularity: z.int().min(0).max(128).optional(),
    })
    .optional(),
  healthCheck: label.optional(),
  fallback: fallbackServer.optional(),
  realServers: z.array(layer4RealServerSchema).max(10000).default([]),
});

export const layer7RealServerSchema = z.strictObject({
  label,
  address,
  /** Absent: the port the client connected to. */
  port: port.optional(),
  weight: z.int().min(0).max(256).default(1),
  /** HAProxy `maxconn` (0 = unlimited). */
  maxConnections: z.int().min(0).max(4294967295).default(0),
});

/**
 * URL switching: requests that match go to another Layer 7 service's real servers. The
 * value is checked as what it matches: a path prefix starts with "/" (as every request path
 * does), a suffix does not start with "-" (HAProxy would read it as a flag), a host is a
 * host name or IPv4 address with an optional port, as HAProxy's host match takes it.
 */
export const urlRuleSchema = z
  .strictObject({
    match: z.enum(['path-prefix', 'path-suffix', 'host']),
    value: text(1024)
      .min(1)
      .regex(/^[^\s]+$/, { message: 'must contain no spaces' }),
    /** The label of the Layer 7 service whose real servers take the matching requests. */
    service: label,
  })
  .superRefine((rule, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', path: ['value'], message });
    if (rule.match === 'path-prefix' && !rule.value.startsWith('/')) fail('a path prefix must start with "/"');
    if (rule.match === 'path-suffix' && rule.value.startsWith('-')) fail('a path suffix must not start with "-"');
    if (rule.match === 'host' && !HOST_VALUE.test(rule.value)) {
      fail('must be a host name or IPv4 address, with an optional port (no wildcards)');
    }
  });

export const layer7ServiceSchema = z.strictObject({
  label,
  description,
  vip: address,
  ports: z.array(portSpec).min(1).max(1024),
  mode: z.enum(['http', 'tcp']).default('http'),
  persistence: z
    .strictObject({
      type: z.enum(['cookie-insert', 'passive-cookie', 'source-ip', 'rdp-cookie', 'none']),
      /** For cookie persistence: the cookie's name. */
      cookieName: cookieName.optional(),
      timeoutSeconds: z.int().min(1).max(31536000).optional(),
    })
    .default({ type: 'none' }),
  urlRules: z.array(urlRuleSchema).max(1000).default([]),
  /** Add X-Forwarded-For (HTTP mode only). */
  xForwardedFor: z.boolean().default(true),
  /** Transparent proxy: real servers see the client's address (they must route through the balancer). */
  tproxy: z.boolean().default(false),
  healthCheck: label.optional(),
  fallback: fallbackServer.optional(),
  realServers: z.array(layer7RealServerSchema).max(10000).default([]),
});

export const sslTerminationSchema = z.strictObject({
  label,
  description,
  certificate: label,
  vip: address,
  port: port.default(443),
  /** The label of the Layer 7 service that takes the decrypted traffic. */
  service: label,
});

export const floatingIpSchema = z.strictObject({
  /** The address with its prefix length (`192.0.2.10/24`). */
  address: cidr,
  /** Absent: the interface whose network holds the address. */
  interface: interfaceName.optional(),
});

/** A multicast group for the connection sync: 224.0.0.0/4 or ff00::/8. */
const multicastGroup = address.refine((ip) => (ip.includes(':') ? /^ff/i.test(ip) : /^2(2[4-9]|3\d)\./.test(ip)), {
  message: 'must be a multicast address (224.0.0.0/4 or ff00::/8)',
});

/**
 * IPVS connection synchronisation (keepalived's `lvs_sync_daemon`): the active node's
 * kernel multicasts its Layer 4 connection entries (persistence templates too), the
 * passive node's kernel keeps them, so established connections survive a failover.
 * The group, port, TTL and packet length are the kernel's sync v2 options (4.3 and later);
 * absent, the kernel's defaults (224.0.0.81, port 8848, TTL 1, from the interface's MTU).
 * An IPv6 group makes the kernel sync over IPv6 multicast.
 */
export const connectionSyncSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The interface the entries are multicast on (a dedicated link, or the heartbeat's). */
  interface: interfaceName,
  /** Tells pairs on the same link apart: both nodes of a pair use the same (0-255). */
  syncId: z.int().min(0).max(255).default(0),
  group: multicastGroup.optional(),
  port: port.optional(),
  ttl: z.int().min(1).max(255).optional(),
  /** The largest sync message (bytes); absent: from the interface's MTU. */
  maxPacketLength: z.int().min(1).max(65535).optional(),
});

/** An integer within its bounds, its default when left out. */
const bounded = (b: Bounds) => z.int().min(b.min).max(b.max).default(b.default);

/** The heartbeat's timers with the package's own rules between them, reported at the field at fault. */
export const timingSchema = z
  .strictObject({
    keepaliveMs: bounded(TIMER_BOUNDS.keepaliveMs),
    warntimeMs: bounded(TIMER_BOUNDS.warntimeMs),
    deadtimeMs: bounded(TIMER_BOUNDS.deadtimeMs),
    initdeadMs: bounded(TIMER_BOUNDS.initdeadMs),
  })
  .superRefine((timers, ctx) => {
    for (const { field, message } of timerFaults(timers)) ctx.addIssue({ code: 'custom', path: [field], message });
  });

export const heartbeatSchema = z.strictObject({
  enabled: z.boolean().default(false),
  peer: z.strictObject({ name: label, address }),
  /** The links heartbeats travel on; absent address: the peer's. */
  links: z
    .array(z.strictObject({ interface: interfaceName, peerAddress: address.optional() }))
    .min(1)
    .max(8),
  /** The pre-shared key that authenticates heartbeats (both nodes hold the same). */
  key: text(256).min(16),
  /** Addresses both nodes ping to tell "my peer is dead" from "my network is down". */
  pingNodes: z.array(address).max(16).default([]),
  /** Give the floating IPs back to the preferred master when it returns. */
  autoFailback: z.boolean().default(true),
  /**
   * The gratuitous ARPs / unsolicited neighbour advertisements after a takeover or a
   * re-announcement (keepalived's garp_master_repeat, garp_master_delay and
   * garp_master_refresh): one lost frame must not leave clients on the old node's MAC.
   */
  announcements: z
    .strictObject({
      /** Frames per burst. */
      count: bounded(ANNOUNCEMENT_BOUNDS.count),
      /** Between the frames of a burst (past the neighbour locktime, 1 s on Linux). */
      intervalMs: bounded(ANNOUNCEMENT_BOUNDS.intervalMs),
      /** A second burst this long after the first; 0: none. */
      delayMs: bounded(ANNOUNCEMENT_BOUNDS.delayMs),
      /** While active, one frame this often; 0: off. */
      refreshMs: z
        .union([z.literal(0), z.int().min(REFRESH_MIN_MS).max(ANNOUNCEMENT_BOUNDS.refreshMs.max)])
        .default(ANNOUNCEMENT_BOUNDS.refreshMs.default),
    })
    .optional(),
  /**
   * The timers (ms); absent: the heartbeat package's defaults, failover in about 150-200 ms.
   * Raise them over lossy or slow links. Both nodes take them from the replicated
   * configuration, so both use the same.
   */
  timing: timingSchema.optional(),
  /** Stateful failover: the kernel's connection synchronisation follows the roles; absent: off. */
  connectionSync: connectionSyncSchema.optional(),
});

/** The cluster's shape: a master/slave pair (the heartbeat), or N active nodes behind ECMP. */
export const CLUSTER_MODES = ['pair', 'ecmp'] as const;

/**
 * What the history shows instead of a secret (api/secrets.ts). A secret field whose rules
 * would take this text refuses it, so a version read back is never stored with it.
 */
export const REDACTED_SECRET = '(redacted)';

/** An autonomous system number (RFC 6793: 4 octets). */
const asn = z.int().min(1).max(4294967295);

/** A BGP neighbour each ECMP node announces its VIPs to (the upstream router). */
export const bgpPeerSchema = z.strictObject({
  address,
  asn,
  /** TCP-MD5 (RFC 2385) key; the router must have the same. Printable ASCII without `"` and a backslash. */
  password: z
    .string()
    .regex(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,80}$/, {
      message: 'must be 1 to 80 printable ASCII characters without " or \\',
    })
    .refine((value) => value !== REDACTED_SECRET, { message: 'is the placeholder the history shows, not a password' })
    .optional(),
  /** Seconds without a message before the router drops this node's routes (RFC 4271: at least 3). */
  holdTimeSeconds: z.int().min(3).max(65535).optional(),
  /** Bidirectional forwarding detection: a dead node is noticed in interval x multiplier. */
  bfd: z
    .strictObject({
      intervalMs: z.int().min(10).max(60000).default(300),
      multiplier: z.int().min(1).max(255).default(3),
    })
    .optional(),
});

/** One balancer of an ECMP cluster. */
export const clusterNodeSchema = z.strictObject({
  /** The node's name: the same as its `SLUICE_NODE_NAME` (default: its host name). */
  name: label,
  /** Where the configuring node reaches its admin port to send it versions. */
  address,
  /** The node's BGP router id; absent: `address` when it is IPv4. */
  routerId: ipv4.optional(),
});

/**
 * `pair` (the default): the heartbeat section decides which of two nodes is active. `ecmp`:
 * every listed node is active, announces the VIPs it can serve over BGP (BIRD 2), and the
 * router spreads flows across them; Layer 4 services use `mh` so that every node picks the
 * same real server for a flow. The first node is where the configuration is edited; the
 * others follow it.
 */
export const clusterSchema = z.strictObject({
  mode: z.enum(CLUSTER_MODES).default('pair'),
  /** ECMP: every node, the configuring one first. */
  nodes: z.array(clusterNodeSchema).max(64).default([]),
  /**
   * ECMP: the pre-shared key that signs and seals the versions the configuring node sends
   * its followers (the pair's heartbeat key does this in a pair); every node holds the same.
   */
  key: text(256)
    // The placeholder is shorter than a key: said once, as too short.
    .min(16, { abort: true })
    .refine((value) => value !== REDACTED_SECRET, { message: 'is the placeholder the history shows, not a key' })
    .optional(),
  bgp: z
    .strictObject({
      localAsn: asn,
      peers: z.array(bgpPeerSchema).min(1).max(16),
    })
    .optional(),
  /**
   * ECMP: IPVS connection sync between the nodes (absent: off). Every node runs both sync
   * daemons: the master multicasts its connection entries, the backup keeps the others'.
   * `mh` needs none of it; it carries Layer 4 persistence entries (a `granularity`'s) and
   * the connections of a node that leaves across to the node that takes its flows.
   */
  connectionSync: connectionSyncSchema.optional(),
  /**
   * ECMP: seconds a drained node keeps announcing its VIPs with the GRACEFUL_SHUTDOWN
   * community (routers that honour it move new flows away first) before it withdraws them.
   */
  drainSeconds: z.int().min(0).max(3600).default(10),
  /**
   * ECMP: seconds a follower may run an older version than the configuring node's before it
   * withdraws its VIPs rather than serve stale rules.
   */
  maxLagSeconds: z.int().min(1).max(3600).default(30),
});

/** A route to a network through a gateway (systemd-networkd's [Route]). */
export const staticRouteSchema = z.strictObject({
  /** The network reached (`198.51.100.0/24`; `0.0.0.0/0` is the default gateway's). */
  destination: cidr,
  /** The next hop: an address in a configured interface's network. */
  gateway: address,
  /** Absent: the interface whose network holds the gateway. */
  interface: interfaceName.optional(),
  /** The route's priority (lower wins); absent: the kernel's default. */
  metric: z.int().min(0).max(4294967295).optional(),
});

/**
 * The appliance's own network (the manual's "local configuration"). Node-local: applied to
 * the host (systemd-networkd, resolved, timesyncd, the host name) only where the settings
 * file says `SLUICE_HOST_NETWORK=manage`; elsewhere it is validated and stored only.
 * The fields after `defaultGateway` are optional, so that a configuration written before
 * them is stored unchanged.
 */
export const networkSchema = z.strictObject({
  interfaces: z
    .array(z.strictObject({ name: interfaceName, addresses: z.array(cidr).max(256) }))
    .max(64)
    .default([]),
  defaultGateway: z.strictObject({ ipv4: ipv4.optional(), ipv6: ipv6.optional() }).default({}),
  /** Routes to other networks; the gateway of each must be in a configured interface's network. */
  routes: z.array(staticRouteSchema).max(1024).optional(),
  /** The name servers the host asks (systemd-resolved), and the domains short names are tried in. */
  dns: z
    .strictObject({
      servers: z.array(address).max(16).default([]),
      searchDomains: z.array(hostName).max(32).default([]),
    })
    .optional(),
  /** The host's name (RFC 1123); absent: left as it is. */
  hostname: hostName.optional(),
  /** Time servers (systemd-timesyncd), by address or name; absent: the system's defaults. */
  ntpServers: z
    .array(z.union([address, hostName], { error: 'must be an address or a host name' }))
    .max(16)
    .optional(),
  /** Masquerade the real servers' outbound traffic through this interface (NAT mode); absent: off. */
  autonat: z.strictObject({ interface: interfaceName }).optional(),
});

/** Which IPVS services the appliance manages; see `configSchema.ipvs`. */
export const IPVS_OWNERSHIPS = ['own', 'all'] as const;

export const ipvsSchema = z.strictObject({
  /**
   * `own`: the appliance changes, repairs and removes only the IPVS services it owns (those
   * the configuration declares, and those it created or adopted and has not deleted yet,
   * recorded in the data directory); services others added (ipvsadm, keepalived,
   * kube-proxy) are left alone. `all`: it owns the whole table, and removes every service
   * the configuration does not declare.
   */
  ownership: z.enum(IPVS_OWNERSHIPS).default('all'),
});

export const userSchema = z.strictObject({
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z_][a-z0-9_.-]*$/, { message: 'must be a user name (lower-case letters, digits, "_", ".", "-")' }),
  passwordHash,
  role: z.enum(['admin', 'readonly']).default('admin'),
});

export const administrationSchema = z.strictObject({
  httpPort: port.default(9080),
  httpsPort: port.default(9443),
  users: z.array(userSchema).max(256).default([]),
});

/** The whole appliance configuration: what the store versions and the engine applies. */
export const configSchema = z.strictObject({
  /** The configuration format; a later format migrates older stored versions. */
  format: z.literal(1).default(1),
  layer4: z.array(layer4ServiceSchema).max(10000).default([]),
  layer7: z.array(layer7ServiceSchema).max(10000).default([]),
  ssl: z.array(sslTerminationSchema).max(10000).default([]),
  healthChecks: z.array(healthCheckSchema).max(10000).default([]),
  certificates: z.array(certificateSchema).max(10000).default([]),
  floatingIps: z.array(floatingIpSchema).max(4096).default([]),
  heartbeat: heartbeatSchema.optional(),
  /** Absent: a pair (or a single node), as before the setting existed. */
  cluster: clusterSchema.optional(),
  /**
   * IPVS settings. Absent (and an absent `ownership`) means `all`: that is what every
   * configuration stored before the setting existed was applied with, and a stored version
   * must parse, and apply, unchanged. A new configuration (the first start's, a factory
   * reset's: defaultConfig()) says `own`.
   */
  ipvs: ipvsSchema.optional(),
  network: networkSchema.prefault({}),
  administration: administrationSchema.prefault({}),
});

/** A configuration as stored: every default filled in. */
export type ApplianceConfig = z.output<typeof configSchema>;
/** A configuration as written by a user: defaults may be left out. */
export type ApplianceConfigInput = z.input<typeof configSchema>;
export type Layer4Service = z.output<typeof layer4ServiceSchema>;
export type Layer4RealServer = z.output<typeof layer4RealServerSchema>;
export type Layer7Service = z.output<typeof layer7ServiceSchema>;
export type Layer7RealServer = z.output<typeof layer7RealServerSchema>;
export type SslTermination = z.output<typeof sslTerminationSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
export type ConnectionSync = z.output<typeof connectionSyncSchema>;
export type ClusterSettings = z.output<typeof clusterSchema>;
export type ClusterMode = (typeof CLUSTER_MODES)[number];
export type PortSpec = z.output<typeof portSpec>;
export type NetworkSettings = z.output<typeof networkSchema>;
export type StaticRoute = z.output<typeof staticRouteSchema>;
export type IpvsOwnership = (typeof IPVS_OWNERSHIPS)[number];

/**
 * The factory default: nothing configured, the admin ports at 9080/9443, and IPVS shared
 * with other tools (a new configuration touches only the services it declares).
 */
export function defaultConfig(): ApplianceConfig {
  return configSchema.parse({ ipvs: { ownership: 'own' } });
}

/** The IPVS ownership a configuration asks for (absent: `all`, as before the setting existed). */
export function ipvsOwnership(config: Pick<ApplianceConfig, 'ipvs'>): IpvsOwnership {
  return config.ipvs?.ownership ?? 'all';
}

/** The cluster mode a configuration asks for (absent: `pair`). */
export function clusterMode(config: Pick<ApplianceConfig, 'cluster'>): ClusterMode {
  return config.cluster?.mode ?? 'pair';
}

/** What the configuration holds, for parts that only need to read it. */
export type ConfigView = () => ApplianceConfig;
