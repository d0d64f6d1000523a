export { HeartbeatError, type HeartbeatErrorCode } from './errors.js';
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
