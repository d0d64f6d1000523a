import type { HeartbeatStatus } from '@sluice/heartbeat';
import type { HeadInfo } from './replica-message.js';

export interface WarningFacts {
  startFailure: string | undefined;
  heartbeat: HeartbeatStatus | undefined;
  peerName: string;
  ownHead: HeadInfo;
  peerHead: HeadInfo | undefined;
  replicationError: string | undefined;
}

/** The status bar's warnings, in the order an operator should read them. */
export function haWarnings(facts: WarningFacts): string[] {
  const out: string[] = [];
  const { heartbeat: hb, peerName, ownHead, peerHead } = facts;
  if (facts.startFailure !== undefined) {
    out.push(`HA could not start: ${facts.startFailure}. This node holds no floating IPs; fix the heartbeat settings.`);
  }
  if (hb !== undefined) {
    if (hb.link === 'down') {
      out.push(`no heartbeat from ${peerName}: it is down or every heartbeat link is cut`);
    } else {
      for (const link of hb.links) if (link.state === 'down') out.push(`heartbeat link ${link.name} is down`);
    }
    if (hb.state === 'active' && hb.peer.state === 'active') {
      out.push(`both nodes are active (split brain): the election makes one of them passive`);
    }
    if (!hb.pingOk && !hb.pingPending) out.push('this node cannot reach its ping nodes: it will not take over');
  }
  if (peerHead !== undefined) {
    if (peerHead.version < ownHead.version) {
      out.push(`${peerName}'s configuration is behind: version ${peerHead.version}, this node has ${ownHead.version}`);
    } else if (peerHead.version > ownHead.version) {
      out.push(`${peerName}'s configuration is ahead: version ${peerHead.version}, this node has ${ownHead.version}`);
    } else if (peerHead.time !== ownHead.time) {
      out.push(
        `${peerName} holds a different version ${peerHead.version} (the pair diverged while apart): commit a change on the active node to replace it`,
      );
    }
  }
  if (facts.replicationError !== undefined) out.push(`replication to ${peerName} failed: ${facts.replicationError}`);
  return out;
}
