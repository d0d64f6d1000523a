/**
 * The seams between the daemon's parts. The REST API (and the web UI through it) sees the
 * engine, the log book, the HA node and the admin states only through these interfaces,
 * so that each part is tested with a fake of the others and the daemon composes the real
 * ones (Seesaw's engine/ecu/ha split).
 */
import type { ApplianceConfig } from '../model/schema.js';
import type { StoredVersion } from '../store/store.js';

/** What an administrator asked of a real server (or of every server of a VIP). */
export type AdminState = 'online' | 'drain' | 'offline';
export type Layer = 'layer4' | 'layer7';

/** A real server by labels: `{ layer: 'layer4', service: 'web', server: 'alpha' }`. */
export interface RealServerRef {
  layer: Layer;
  service: string;
  server: string;
}

export interface AdminStateEntry extends RealServerRef {
  state: AdminState;
  author: string;
  /** ISO 8601, UTC. */
  time: string;
}

/**
 * Admin states are runtime actions, not configuration: they are not versioned, but they
 * are stored in the data directory and survive restarts, reloads and failover (the peer
 * receives them with the configuration). A server absent from the store is `online`.
 */
export interface AdminStates {
  get(ref: RealServerRef): AdminState;
  list(): readonly AdminStateEntry[];
  /** Stored durably before it resolves; the engine applies it through its listener. */
  set(ref: RealServerRef, state: AdminState, author: string): Promise<AdminStateEntry>;
  /** Replace every entry (restore, replication, factory reset). */
  replaceAll(entries: readonly AdminStateEntry[]): Promise<void>;
  onChange(listener: (entry: AdminStateEntry) => void): () => void;
}

/**
 * The appliance's colours: green healthy; yellow needs attention (some real servers down,
 * or a part could not be applied); red down (no real server can take traffic); blue
 * deliberately offline (admin state offline or drain).
 */
export type Colour = 'green' | 'yellow' | 'red' | 'blue';
/** `unchecked`: no health check configured (the server counts as up). */
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
export type EnginePart = 'layer4' | 'layer7' | 'addresses' | 'health';

export interface PartStatus {
  part: EnginePart;
  state: 'applied' | 'pending' | 'unavailable' | 'failed';
  /** Why it is unavailable or failed, and what fixes it. */
  detail?: string;
  /** ISO 8601 of the last successful apply of this part. */
  appliedAt?: string;
}

export interface EngineStatus {
  /** The configuration version the engine was last asked to apply (null before the first). */
  version: number | null;
  parts: PartStatus[];
  services: VirtualServiceStatus[];
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

/**
 * The engine: desired configuration + admin states + health -> IPVS, HAProxy, floating IPs.
 * Every part that this host cannot run is `unavailable` with the reason; the rest applies.
 */
export interface Engine {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Apply a committed version (commit, rollback, replication, restore). Resolves once the kernel and HAProxy reflect it. */
  apply(version: StoredVersion): Promise<ApplyReport>;
  /** HA: the active node holds the floating IPs; both nodes keep IPVS and HAProxy programmed. */
  setActive(active: boolean): Promise<void>;
  status(): EngineStatus;
  /**
   * Called when the status changes (health transition, admin state, apply, new counters);
   * for live views, which read status() when they need it (building it costs a pass over
   * every real server, so it is not built for listeners that only invalidate a cache).
   */
  onStatus(listener: () => void): () => void;
  connections(): Promise<Layer4Connection[]>;
  layer7Stats(): Promise<Layer7StatRow[]>;
}

export type LogChannel = 'heartbeat' | 'layer4' | 'layer7' | 'health' | 'audit' | 'system';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  /** Increasing within a log book; `follow` resumes after a seq. */
  seq: number;
  /** ISO 8601, UTC. */
  time: string;
  channel: LogChannel;
  level: LogLevel;
  message: string;
  fields?: Record<string, string | number | boolean | null>;
}

export interface LogQuery {
  channels?: readonly LogChannel[];
  /** The least severe level returned. */
  level?: LogLevel;
  /** Substring of the message (case-insensitive). */
  text?: string;
  afterSeq?: number;
  /** ISO 8601. */
  since?: string;
  limit?: number;
}

export interface LogBook {
  write(channel: LogChannel, level: LogLevel, message: string, fields?: LogRecord['fields']): LogRecord;
  query(query: LogQuery): LogRecord[];
  /** Every new record that matches, until the returned function is called. */
  follow(query: LogQuery, listener: (record: LogRecord) => void): () => void;
}

export interface HaStatus {
  /** false: a single node (standalone), always active and editable. */
  enabled: boolean;
  /** The configured preference: `master` is the preferred active node. */
  role: 'master' | 'slave' | 'standalone';
  state: 'active' | 'passive';
  /** Heartbeats arrive from the peer. */
  link: 'up' | 'down' | 'unknown';
  peer?: { name: string; address: string; configVersion?: number };
  /** The warnings the manual shows in the status bar (link down, both active, config behind). */
  warnings: string[];
}

export interface HaControl {
  status(): HaStatus;
  /** Edits are taken only on the active node; the passive one refuses with HA_PASSIVE. */
  isEditable(): boolean;
  /** Make this node active now (hb_takeover). */
  takeover(): Promise<HaStatus>;
  /** Hand the active role to the peer (hb_standby). */
  standby(): Promise<HaStatus>;
  /** A committed version, to replicate to the peer (no-op when HA is off). */
  replicate(version: StoredVersion, adminStates: readonly AdminStateEntry[]): Promise<void>;
  onStatus(listener: (status: HaStatus) => void): () => void;
}

/** What the configuration holds, for parts that only need to read it. */
export type ConfigView = () => ApplianceConfig;
