export { type Clock, systemClock } from './clock.js';
export {
  DEFAULT_TIMING,
  type KeyInput,
  type NodeConfig,
  type NodeConfigInput,
  resolveNodeConfig,
  type Timing,
} from './config.js';
export { type Candidate, type Election, type ElectionRule, elect } from './election.js';
export { HeartbeatError, type HeartbeatErrorCode } from './errors.js';
export type {
  HeartbeatEvent,
  HeartbeatEventRecord,
  HeartbeatStatus,
  LinkStatus,
  PeerView,
  TransitionReason,
} from './events.js';
export type { Link, PingMonitor } from './link.js';
export { HeartbeatNode, type HeartbeatNodeOptions } from './node.js';
export {
  type DecodeResult,
  decodePacket,
  encodePacket,
  type HeartbeatPacket,
  type LiveState,
  PACKET_VERSION,
  type PacketKey,
  type Preference,
  type RejectReason,
  type Role,
} from './packet.js';
export { PeerFilter, type PeerIdentity, REPLAY_WINDOW, ReplayWindow } from './replay.js';
export { type AnnounceReason, type ReleaseReport, type Resource, ResourceGroup } from './resources.js';
