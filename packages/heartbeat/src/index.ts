export { type AddressControl, type Cidr, type InterfaceInfo, parseCidr, RtnetlinkAddresses } from './addresses.js';
export { type Clock, systemClock } from './clock.js';
export {
  DEFAULT_TIMING,
  type KeyInput,
  type NodeConfig,
  type NodeConfigInput,
  resolveNodeConfig,
  type Timing,
} from './config.js';
export { type Daemon, type DaemonConfig, startDaemon } from './daemon.js';
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
export { FloatingIp, type FloatingIpConfig } from './floating-ip.js';
export { type FrameSender, PacketSocketSender, type PacketSocketSenderOptions } from './frame-sender.js';
export { gratuitousArp, parseMac, unsolicitedNeighbourAdvertisement } from './frames.js';
export { LATENESS_BUCKETS_MS, type LatenessSnapshot } from './lateness.js';
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
export {
  icmpProbe,
  PingNodes,
  type PingNodesOptions,
  type PingTarget,
  type Probe,
  parsePingTarget,
  tcpProbe,
} from './ping.js';
export { PeerFilter, type PeerIdentity, REPLAY_WINDOW, ReplayWindow } from './replay.js';
export { type AnnounceReason, type ReleaseReport, type Resource, ResourceGroup } from './resources.js';
export { checkLinkPorts, DEFAULT_PORT, UdpLink, type UdpLinkConfig } from './udp-link.js';
