import type { LiveState, Preference, Role } from './packet.js';

/** What the election needs to know about one node of the pair. */
export interface Candidate {
  nodeId: string;
  role: Role;
  priority: number;
  state: LiveState;
  healthy: boolean;
  pingOk: boolean;
  /** No ping result yet: the ping rule is skipped until both nodes have one. */
  pingPending: boolean;
  preference: Preference;
}

/** The rule that decided, in the order they are tried. */
export type ElectionRule = 'health' | 'ping' | 'preference' | 'incumbent' | 'role' | 'priority' | 'node-id';

export interface Election {
  /** True when `self` should hold the resources. */
  selfWins: boolean;
  rule: ElectionRule;
}

const holds = (c: Candidate) => c.state === 'active' || c.state === 'acquiring';
const PREFERENCE_RANK: Record<Preference, number> = { passive: 0, none: 1, active: 2 };

/**
 * Which of two live nodes should be active. Both nodes run it on the same facts (their own
 * and the peer's last heartbeat), so they agree within one keepalive; the rules are tried
 * in order and the first that tells them apart decides:
 * 1. health: an unhealthy node loses to a healthy one (so a sick master hands over);
 * 2. ping: a node that cannot reach its ping nodes loses to one that can (once both
 *    have a result: a node still waiting for its first does not lose for it);
 * 3. preference: an operator's takeover beats none beats standby;
 * 4. incumbent: without auto-failback, the node holding the resources keeps them (unless
 *    both hold them: a healed partition goes on to the next rules);
 * 5. role: the configured master wins; 6. priority: higher wins; 7. node id: lower wins.
 */
export function elect(self: Candidate, peer: Candidate, autoFailback: boolean): Election {
  if (self.healthy !== peer.healthy) return { selfWins: self.healthy, rule: 'health' };
  if (!self.pingPending && !peer.pingPending && self.pingOk !== peer.pingOk) {
    return { selfWins: self.pingOk, rule: 'ping' };
  }
  if (self.preference !== peer.preference) {
    return { selfWins: PREFERENCE_RANK[self.preference] > PREFERENCE_RANK[peer.preference], rule: 'preference' };
  }
  if (!autoFailback && holds(self) !== holds(peer)) return { selfWins: holds(self), rule: 'incumbent' };
  if (self.role !== peer.role) return { selfWins: self.role === 'master', rule: 'role' };
  if (self.priority !== peer.priority) return { selfWins: self.priority > peer.priority, rule: 'priority' };
  return { selfWins: self.nodeId < peer.nodeId, rule: 'node-id' };
}
