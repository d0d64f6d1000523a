import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamespaceProcess } from '../netns/process.js';
import { FailoverLab, type PairLabel, type PairNode } from './lab.js';
import type { PairImplementation } from './trials.js';

/**
 * `sluice-heartbeat run` on the pair with its defaults: lba the master, two unicast links
 * (the LAN and the direct cable), the floating IP on the LAN. `cli` is the package's
 * built dist/cli.js; `extra` adds to each node's configuration (`{ niceness: 0 }`).
 */
export function heartbeatDaemon(
  dir: string,
  options: { cli: string; name?: string; extra?: Record<string, unknown> },
): PairImplementation {
  const procs: Partial<Record<PairLabel, NamespaceProcess>> = {};
  const name = options.name ?? 'sluice';
  const config = (node: PairNode, peer: PairNode) => ({
    nodeId: node.label,
    peerId: node.peer,
    role: node.label === 'lba' ? 'master' : 'slave',
    keys: [{ id: 1, secret: 'be'.repeat(32) }],
    links: [
      { name: 'lan', type: 'unicast', local: node.lanAddress, peer: peer.lanAddress },
      { name: 'cable', type: 'unicast', local: node.cableAddress, peer: peer.cableAddress },
    ],
    floatingIps: [{ address: FailoverLab.VIP_CIDR, interface: node.lan }],
    ...options.extra,
  });
  return {
    name,
    async start(node, lab) {
      const file = join(dir, `${name}-${node.label}.conf`);
      writeFileSync(file, JSON.stringify(config(node, lab.peerOf(node))));
      procs[node.label] = node.host.spawn(process.execPath, [options.cli, 'run', '--config', file]);
    },
    log: (node) => procs[node.label]?.log ?? '',
  };
}
