import type { HeartbeatPacket, Role } from './packet.js';

/** How many sequence numbers behind the highest seen are still accepted (once each). */
export const REPLAY_WINDOW = 64;

/**
 * Anti-replay for one peer, IPsec-style: the peer's epoch only moves forward (a new epoch
 * means the peer restarted), and within an epoch each sequence number is accepted once,
 * within a window below the highest seen. Every datagram has its own sequence number, so
 * the same heartbeat sent on two links is two numbers and both count; links may reorder
 * against each other by up to the window.
 */
export class ReplayWindow {
  private epoch = -1;
  private highest = -1;
  /** Bit i set: sequence `highest - i` was seen. */
  private seen = 0n;

  /** Whether (epoch, sequence) is fresh; does not record it. */
  check(epoch: number, sequence: number): 'ok' | 'stale-epoch' | 'replay' {
    if (epoch < this.epoch) return 'stale-epoch';
    if (epoch > this.epoch) return 'ok';
    if (sequence > this.highest) return 'ok';
    const offset = this.highest - sequence;
    if (offset >= REPLAY_WINDOW) return 'replay';
    return (this.seen >> BigInt(offset)) & 1n ? 'replay' : 'ok';
  }

  /** Records an authenticated, fresh (epoch, sequence). */
  accept(epoch: number, sequence: number): void {
    if (epoch > this.epoch) {
      this.epoch = epoch;
      this.highest = sequence;
      this.seen = 1n;
      return;
    }
    if (sequence > this.highest) {
      const shift = sequence - this.highest;
      this.seen = shift >= REPLAY_WINDOW ? 1n : ((this.seen << BigInt(shift)) | 1n) & ((1n << 64n) - 1n);
      this.highest = sequence;
      return;
    }
    this.seen |= 1n << BigInt(this.highest - sequence);
  }
}

export interface PeerIdentity {
  /** This node: packets carrying its id are its own, looped back by broadcast or multicast. */
  nodeId: string;
  role: Role;
  /** The only node whose packets are acted on. */
  peerId: string;
}

/**
 * Decides whether an authenticated packet comes from our configured peer and is fresh,
 * and records it if so. The order of checks gives each rejection one distinct reason.
 */
export class PeerFilter {
  private readonly window = new ReplayWindow();
  private readonly identity: PeerIdentity;

  constructor(identity: PeerIdentity) {
    this.identity = identity;
  }

  admit(packet: HeartbeatPacket): 'ok' | 'own-packet' | 'unknown-node' | 'role-conflict' | 'stale-epoch' | 'replay' {
    if (packet.nodeId === this.identity.nodeId) return 'own-packet';
    if (packet.nodeId !== this.identity.peerId) return 'unknown-node';
    const fresh = this.window.check(packet.epoch, packet.sequence);
    if (fresh !== 'ok') return fresh;
    // After the freshness check, so a replayed old packet cannot pose as a misconfiguration.
    if (packet.role === this.identity.role) return 'role-conflict';
    this.window.accept(packet.epoch, packet.sequence);
    return 'ok';
  }
}
