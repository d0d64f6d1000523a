import { ArpFixError } from './errors.js';
import type { RealServerSystem } from './system.js';
import { checkIfName, parseVip } from './validate.js';

export interface ProbeOptions {
  vip: string;
  /** The interface on the VIP's segment to ask from. */
  interface: string;
  /** How long to listen for answers, in seconds (default 2). */
  seconds?: number;
  /** Known MACs, to name who answered (`director`, `rs1`, ...); lowercase or uppercase. */
  known?: Readonly<Record<string, string>>;
  /** Names among `known` that are real servers: their answer is the ARP problem itself. */
  realServers?: readonly string[];
}

export interface ProbeAnswer {
  mac: string;
  /** The name given in `known`, when the MAC is there. */
  name?: string;
  realServer: boolean;
}

export interface ProbeResult {
  vip: string;
  family: 4 | 6;
  /** The Debian program asked: iputils `arping` for IPv4, ndisc6's `ndisc6` for IPv6. */
  tool: 'arping' | 'ndisc6';
  answers: ProbeAnswer[];
  verdict: 'ok' | 'no-answer' | 'problem';
  message: string;
}

const MAC = /([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})/;

/** MACs in iputils arping output ("Unicast reply from 192.0.2.10 [AA:BB:...]  0.6ms"). */
export function parseArping(stdout: string): string[] {
  const macs = [...stdout.matchAll(new RegExp(`reply from \\S+ \\[${MAC.source}\\]`, 'g'))].map((m) =>
    (m[1] ?? '').toLowerCase(),
  );
  return [...new Set(macs)];
}

/** MACs in `ndisc6 -m` output ("Target link-layer address: AA:BB:..."). */
export function parseNdisc6(stdout: string): string[] {
  const macs = [...stdout.matchAll(new RegExp(`Target link-layer address: ${MAC.source}`, 'g'))].map((m) =>
    (m[1] ?? '').toLowerCase(),
  );
  return [...new Set(macs)];
}

/**
 * Asks the segment who has the VIP and lists every MAC that answers. Node has no raw
 * sockets, so this runs iputils `arping` (IPv4) or `ndisc6 -m` (IPv6, every answer) with
 * argument arrays. Exactly one answer, from a host that is not a real server, is healthy.
 */
export async function probe(system: Pick<RealServerSystem, 'tryRun'>, options: ProbeOptions): Promise<ProbeResult> {
  const vip = parseVip(options.vip, 'vip');
  const ifname = checkIfName(options.interface, 'interface');
  const seconds = options.seconds ?? 2;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    throw new ArpFixError('ARPFIX_INVALID_FIELD', 'seconds: an integer from 1 to 60', { field: 'seconds' });
  }
  const known = new Map<string, string>();
  for (const [name, mac] of Object.entries(options.known ?? {})) {
    if (!MAC.test(mac) || mac.length !== 17) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `known.${name}: ${JSON.stringify(mac)} is not a MAC address`, {
        field: `known.${name}`,
      });
    }
    known.set(mac.toLowerCase(), name);
  }
  const realServers = new Set(options.realServers ?? []);

  const tool = vip.family === 4 ? 'arping' : 'ndisc6';
  // arping without -c keeps asking once a second until the deadline and prints every reply;
  // with -c it would stop at the first. ndisc6 -m waits for all answers to each solicitation.
  const args =
    vip.family === 4
      ? ['-w', String(seconds), '-I', ifname, vip.address]
      : ['-m', '-n', '-r', String(seconds), '-w', '1000', vip.address, ifname];
  const result = await system.tryRun(tool, args);
  // Both exit non-zero when nobody answers; anything on stderr without output is a real failure.
  if (result.exitCode !== 0 && result.stdout.trim() === '' && result.stderr.trim() !== '') {
    throw new ArpFixError('ARPFIX_COMMAND_FAILED', `${tool} ${args.join(' ')}: ${result.stderr.trim()}`);
  }
  const macs = vip.family === 4 ? parseArping(result.stdout) : parseNdisc6(result.stdout);
  const answers = macs.map((mac): ProbeAnswer => {
    const name = known.get(mac);
    return { mac, ...(name === undefined ? {} : { name }), realServer: name !== undefined && realServers.has(name) };
  });
  const label = (a: ProbeAnswer) => (a.name ? `${a.mac} (${a.name})` : a.mac);
  let verdict: ProbeResult['verdict'] = 'ok';
  let message = `only ${answers[0] ? label(answers[0]) : ''} answers for ${vip.address}`;
  if (answers.length === 0) {
    verdict = 'no-answer';
    message = `nobody answers for ${vip.address} on ${ifname}: is the VIP up on the director?`;
  } else if (answers.length > 1 || answers.some((a) => a.realServer)) {
    verdict = 'problem';
    const rs = answers.filter((a) => a.realServer);
    message = `${answers.length} hosts answer for ${vip.address}: ${answers.map(label).join(', ')}${
      rs.length > 0 ? `; real server${rs.length > 1 ? 's' : ''} ${rs.map(label).join(', ')} must not` : ''
    }: the segment's router may send clients straight to a real server`;
  }
  return { vip: vip.address, family: vip.family, tool, answers, verdict, message };
}
