import type { AdminState, Layer } from './admin-state.js';

// The engine's status as the API answers with it and the UI and the CLI show it.

/**
 * The appliance's colours: green healthy (a health check says so); yellow needs attention
 * (some real servers down, or a part could not be applied); red down (no real server can
 * take traffic); blue deliberately offline (admin state offline or drain); grey not
 * checked (no health check: the server takes traffic, but nothing tells whether it
 * answers, so it is never shown as healthy).
 */
export type Colour = 'green' | 'yellow' | 'red' | 'blue' | 'grey';
/** `unchecked`: no health check configured (the server takes traffic as if up). */
export type HealthState = 'up' | 'down' | 'unknown' | 'unchecked';

export interface RealServerStatus {
  label: string;
  address: string;
  /** null: the virtual port (or the client's port for Layer 7). */
  port: number | null;
  admin: AdminState;
  health: HealthState;
  /** The health check's failure reason (`timeout`, `refused`, `status 503`, ...) while down. */
  healthReason?: string;
  colour: Colour;
  /** The configured weight. */
  weight: number;
  /** The weight the kernel or HAProxy has now (0 while drained, failed or offline). */
  effectiveWeight: number;
  activeConnections: number;
  inactiveConnections: number;
  bytesIn: number;
  bytesOut: number;
}

export interface VirtualServiceStatus {
  layer: Layer;
  label: string;
  vip: string;
  /** `80`, `8000-8100`, or `fwmark 7`. */
  ports: string[];
  protocol: string;
  colour: Colour;
  /** Every real server is down or offline and the fallback server takes the traffic. */
  fallbackActive: boolean;
  realServers: RealServerStatus[];
  connections: number;
  bytesIn: number;
  bytesOut: number;
}

/** One part of applying a configuration: each can be unavailable on a host and the others still apply. */
export type EnginePart = 'layer4' | 'layer7' | 'addresses' | 'health' | 'bgp';

export interface PartStatus {
  part: EnginePart;
  state: 'applied' | 'pending' | 'unavailable' | 'failed';
  /** Why it is unavailable or failed, and what fixes it. */
  detail?: string;
  /** ISO 8601 of the last successful apply of this part. */
  appliedAt?: string;
}

/**
 * Stateful failover: the kernel's IPVS connection sync daemon, as the HA role asks for it
 * (the active node the master, the passive node the backup).
 */
export interface ConnectionSyncStatus {
  /**
   * off: not configured, switched off, or a standalone node; master/backup: running;
   * both: an ECMP node runs the master and the backup; unavailable: this kernel (or host)
   * cannot run it; failed: the kernel refused it (`detail`).
   */
  state: 'off' | 'master' | 'backup' | 'both' | 'unavailable' | 'failed';
  interface?: string;
  syncId?: number;
  /** Why it is unavailable or failed. */
  detail?: string;
}

/**
 * The HTTPS listener of an SSL termination: HAProxy decrypts on `vip:port` and hands the
 * requests to a Layer 7 service, whose colour it shows (yellow while Layer 7 is not applied).
 */
export interface TerminationStatus {
  label: string;
  vip: string;
  port: number;
  certificate: string;
  /** The Layer 7 service that takes the decrypted traffic. */
  service: string;
  colour: Colour;
}

export interface EngineStatus {
  /** The configuration version the engine was last asked to apply (null before the first). */
  version: number | null;
  /**
   * The version whose whole apply has run (every part tried; a failed part says so in
   * `parts`): what the node runs. Absent before the first, and from engines that do not say.
   */
  appliedVersion?: number;
  parts: PartStatus[];
  /** Present when the engine drives IPVS (its Layer 4 part). */
  connectionSync?: ConnectionSyncStatus;
  services: VirtualServiceStatus[];
  /** The SSL terminations' HTTPS listeners (absent from an engine that reports none). */
  terminations?: TerminationStatus[];
  /** ECMP cluster: what this node announces over BGP (absent in a pair or standalone). */
  bgp?: BgpStatus;
}

/**
 * ECMP: why this node must not announce VIPs now, whatever their health. `drain`: the
 * admin drained the node (announced with GRACEFUL_SHUTDOWN, then withdrawn). `stale`: the
 * node runs an older version than the configuring node's, or cannot reach a state it trusts
 * (the reason); everything is withdrawn rather than served with stale rules.
 */
export interface NodeHold {
  drain: boolean;
  stale?: string | undefined;
}

/** One BGP session of this node, as BIRD reports it. */
export interface BgpPeerStatus {
  address: string;
  asn: number;
  /** BIRD's BGP state: `Established`, `Active`, `Connect`, `Idle`, ... */
  state: string;
  /** ISO 8601: since when the session is in this state. */
  since?: string;
  /** BIRD's last error or note for the session. */
  info?: string;
}

/** A VIP as this node announces it, and why. */
export interface BgpVipStatus {
  address: string;
  state: 'announced' | 'draining' | 'withdrawn';
  /** `healthy`, `no-healthy-real-server`, `drained`, `stale: ...`, `apply-failed: ...`, `stopped`. */
  reason: string;
}

export interface BgpStatus {
  /** `running`: BIRD runs and takes our configuration; `unavailable`: no BIRD on this host. */
  state: 'running' | 'stopped' | 'unavailable' | 'failed';
  detail?: string;
  drained: boolean;
  stale?: string;
  peers: BgpPeerStatus[];
  vips: BgpVipStatus[];
}

/**
 * A part's light: green applied; yellow applied with a warning (`detail`: an address no
 * interface's network holds) or unavailable while the configuration uses it; grey
 * unavailable with nothing to do (no Layer 4 service on a host without IPVS is no
 * warning); blue pending; red failed.
 */
export function partColour(part: PartStatus, inUse: boolean): Colour {
  switch (part.state) {
    case 'applied':
      return part.detail ? 'yellow' : 'green';
    case 'pending':
      return 'blue';
    case 'failed':
      return 'red';
    case 'unavailable':
      return inUse ? 'yellow' : 'grey';
  }
}

/** Whether the services and terminations in a status need `part` (the addresses and the health checks: any service). */
export function partInUse(part: EnginePart, status: Pick<EngineStatus, 'services' | 'terminations' | 'bgp'>): boolean {
  const terminations = status.terminations?.length ?? 0;
  switch (part) {
    case 'layer4':
      return status.services.some((s) => s.layer === 'layer4');
    case 'layer7':
      return terminations > 0 || status.services.some((s) => s.layer === 'layer7');
    case 'health':
    case 'addresses':
      return terminations > 0 || status.services.length > 0;
    case 'bgp':
      return status.bgp !== undefined;
  }
}

export interface ApplyReport {
  version: number;
  parts: PartStatus[];
  /**
   * Human-readable lines: what changed (`layer4: + TCP 192.0.2.10:80 wlc`); at most 200 per
   * part, with `changeCount` saying how many there were in all.
   */
  changes: string[];
  changeCount: number;
}

/** One row of the current Layer 4 connection table. */
export interface Layer4Connection {
  protocol: string;
  client: string;
  virtual: string;
  destination: string;
  state: string;
  expiresSeconds: number;
  /** The connection waits in SYN_RECV: on a DR service this is the ARP problem's signature. */
  synRecv: boolean;
  /** For SYN_RECV on DR/TUN: what to check on the real server (`sluice-arp-fix`). */
  hint?: string;
}

export interface Layer7StatRow {
  proxy: string;
  server: string;
  status: string;
  currentSessions: number;
  totalSessions: number;
  bytesIn: number;
  bytesOut: number;
}
