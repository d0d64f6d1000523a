/**
 * A heartbeat node as the daemon resolves it from the configuration (identity, key,
 * timers, links, ping nodes), and the node opened from it: the same in the HA engine
 * process the daemon runs and in the daemon's own loop (tests, embedders).
 */
import { HeartbeatNode, PingNodes, type Resource, type Timing, UdpLink, type UdpLinkConfig } from '@sluice/heartbeat';
import { nextEpoch } from './epoch.js';

export interface HeartbeatSpec {
  /** Changes whenever the heartbeat must restart (the section without its engine-only parts). */
  key: string;
  nodeId: string;
  peerId: string;
  role: 'master' | 'slave';
  autoFailback: boolean;
  configVersion: number;
  secret: string;
  timing: Partial<Timing>;
  links: UdpLinkConfig[];
  pingNodes: string[];
  /** Where the epoch counter lives (`<dataDir>/ha.epoch`). */
  epochFile: string;
}

export interface OpenedNode {
  node: HeartbeatNode;
  /** Stops the node (its resources released, the peer told) and closes its links. */
  close(): Promise<void>;
}

/** Opens the links and builds the node, not started (subscribe to its events first). */
export async function openNode(spec: HeartbeatSpec, resource: Resource): Promise<OpenedNode> {
  const links: UdpLink[] = [];
  try {
    for (const [i, link] of spec.links.entries()) links.push(await UdpLink.open(link, `heartbeat.links[${i}]`));
    const ping = spec.pingNodes.length
      ? new PingNodes({ targets: spec.pingNodes.map((address) => ({ type: 'icmp' as const, address })) })
      : undefined;
    const node = new HeartbeatNode({
      config: {
        nodeId: spec.nodeId,
        peerId: spec.peerId,
        role: spec.role,
        autoFailback: spec.autoFailback,
        configVersion: spec.configVersion,
        keys: [{ id: 1, secret: Buffer.from(spec.secret, 'utf8') }],
        timing: spec.timing,
      },
      links,
      resources: [resource],
      ...(ping ? { ping } : {}),
      epoch: await nextEpoch(spec.epochFile),
    });
    return {
      node,
      async close() {
        await node.stop();
        await Promise.all(links.map((link) => link.close()));
      },
    };
  } catch (error) {
    await Promise.all(links.map((link) => link.close()));
    throw error;
  }
}
