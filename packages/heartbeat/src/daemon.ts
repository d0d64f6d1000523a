import { readFile, rename, writeFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { RtnetlinkAddresses } from './addresses.js';
import { type NodeConfigInput, resolveNodeConfig } from './config.js';
import { HeartbeatError } from './errors.js';
import type { HeartbeatEventRecord } from './events.js';
import { FloatingIp, type FloatingIpConfig } from './floating-ip.js';
import { PacketSocketSender } from './frame-sender.js';
import { HeartbeatNode } from './node.js';
import { PingNodes, type PingTarget, parsePingTarget } from './ping.js';
import { checkLinkPorts, UdpLink, type UdpLinkConfig } from './udp-link.js';

/** The daemon's configuration file: the node, its links, its floating IPs and ping nodes. */
export interface DaemonConfig extends NodeConfigInput {
  links: UdpLinkConfig[];
  floatingIps?: FloatingIpConfig[];
  pingNodes?: PingTarget[];
  ping?: { intervalMs?: number; timeoutMs?: number; fall?: number };
  /** Where to keep the epoch counter, so it grows even if the wall clock goes back. */
  epochFile?: string;
  /** The Node.js that runs the frame helper sending gratuitous ARP / NA (default this process's). */
  node?: string;
  /**
   * This process's nice value (default -10; needs root or CAP_SYS_NICE, else it is left
   * as it is and `warnings` says so). Heartbeats that wait behind a busy CPU look like a
   * dead node: heartbeat and keepalived raise their scheduling priority for the same reason.
   */
  niceness?: number;
}

/** Every field the daemon's configuration may hold: another is a mistake, refused before anything starts. */
const DAEMON_FIELDS: ReadonlySet<string> = new Set<keyof DaemonConfig>([
  'nodeId',
  'peerId',
  'role',
  'priority',
  'configVersion',
  'autoFailback',
  'keys',
  'sendKeyId',
  'timing',
  'links',
  'floatingIps',
  'pingNodes',
  'ping',
  'epochFile',
  'node',
  'niceness',
]);

/** Fields earlier versions took, with what replaced them. */
const RETIRED_FIELDS: Readonly<Record<string, string>> = {
  python: 'the frame helper now runs on Node.js: name another Node.js binary with "node", or leave it out',
};

function refuseUnknownFields(config: DaemonConfig): void {
  if (typeof config !== 'object' || config === null) return;
  for (const field of Object.keys(config)) {
    if (DAEMON_FIELDS.has(field)) continue;
    const retired = RETIRED_FIELDS[field];
    throw new HeartbeatError(
      'HEARTBEAT_INVALID_CONFIG',
      retired === undefined ? `${field}: is not a field of the daemon's configuration` : `${field}: ${retired}`,
      { field },
    );
  }
}

export interface Daemon {
  node: HeartbeatNode;
  /** What could not be set up as asked but did not stop the daemon. */
  warnings: string[];
  /** Releases the resources, tells the peer, closes the links. */
  stop(): Promise<void>;
}

async function nextEpoch(file: string | undefined): Promise<number> {
  const now = Date.now();
  if (!file) return now;
  let stored = 0;
  try {
    stored = Number.parseInt((await readFile(file, 'utf8')).trim(), 10) || 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', `epochFile: cannot read ${file}`, {
        field: 'epochFile',
        cause: error,
      });
    }
  }
  const epoch = Math.max(now, stored + 1);
  await writeFile(`${file}.tmp`, `${epoch}\n`);
  await rename(`${file}.tmp`, file);
  return epoch;
}

/**
 * Opens the links, clears any floating IP left by a previous run (a node starts passive),
 * and starts the node. Everything the configuration names is validated before anything
 * is touched.
 */
export async function startDaemon(
  config: DaemonConfig,
  onEvent: (event: HeartbeatEventRecord) => void = () => {},
): Promise<Daemon> {
  refuseUnknownFields(config);
  resolveNodeConfig(config);
  const niceness = config.niceness ?? -10;
  if (!Number.isInteger(niceness) || niceness < -20 || niceness > 19) {
    throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', 'niceness: must be an integer in -20..19', {
      field: 'niceness',
    });
  }
  if (!Array.isArray(config?.links) || config.links.length === 0) {
    throw new HeartbeatError('HEARTBEAT_INVALID_CONFIG', 'links: at least one link is needed', { field: 'links' });
  }
  const addresses = new RtnetlinkAddresses();
  const sender = new PacketSocketSender(config.node === undefined ? {} : { node: config.node });
  const floatingIps = (config.floatingIps ?? []).map(
    (ip, i) => new FloatingIp(ip, { addresses, sender }, `floatingIps[${i}]`),
  );
  const targets = (config.pingNodes ?? []).map((t, i) => parsePingTarget(t, `pingNodes[${i}]`));
  const ping = targets.length ? new PingNodes({ targets, ...(config.ping ?? {}) }) : undefined;
  const links: UdpLink[] = [];
  const warnings: string[] = [];
  try {
    setPriority(0, niceness);
  } catch (error) {
    warnings.push(`could not set niceness ${niceness}: ${(error as Error).message}`);
  }
  try {
    checkLinkPorts(config.links);
    for (const [i, link] of config.links.entries()) links.push(await UdpLink.open(link, `links[${i}]`));
    for (const ip of floatingIps) await ip.release();
    if (floatingIps.length) sender.warm();
    const node = new HeartbeatNode({
      config,
      links,
      resources: floatingIps,
      ...(ping ? { ping } : {}),
      epoch: await nextEpoch(config.epochFile),
    });
    node.onEvent(onEvent);
    node.start();
    return {
      node,
      warnings,
      async stop() {
        await node.stop();
        await Promise.all(links.map((l) => l.close()));
        await sender.close();
        addresses.close();
      },
    };
  } catch (error) {
    await Promise.all(links.map((l) => l.close()));
    await sender.close();
    addresses.close();
    throw error;
  }
}
