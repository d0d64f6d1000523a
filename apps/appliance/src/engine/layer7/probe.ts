import { readFile } from 'node:fs/promises';
import { HaproxyConfigError, type ProcessRunner } from '@sluice/haproxy-config';
import type { ProbeResult } from '../driver.js';

/** CAP_NET_BIND_SERVICE: ports below 1024. */
const CAP_NET_BIND_SERVICE = 10n;
/** CAP_NET_ADMIN: transparent binds on VIPs this node does not hold, and TPROXY. */
const CAP_NET_ADMIN = 12n;
/** sockaddr_un.sun_path holds 108 bytes with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** The effective capability set of this process (Linux `/proc/self/status`), or undefined elsewhere. */
export async function effectiveCapabilities(): Promise<bigint | undefined> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  } catch {
    return undefined;
  }
}

export interface ProbeOptions {
  binary: string;
  runner: ProcessRunner;
  capabilities: () => Promise<bigint | undefined>;
  socketPaths: readonly string[];
}

const unavailable = (detail: string): ProbeResult => ({ available: false, detail });

/** Whether this host can run the Layer 7 part: HAProxy 2.6+ installed, and the rights its binds need. */
export async function probeLayer7(options: ProbeOptions): Promise<ProbeResult> {
  for (const path of options.socketPaths) {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      return unavailable(
        `the socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes (a Unix socket limit): use a shorter data directory`,
      );
    }
  }
  let output: string;
  try {
    const result = await options.runner(options.binary, ['-v'], { timeoutMs: 10_000 });
    output = `${result.stdout}${result.stderr}`;
    if (result.code !== 0) {
      return unavailable(`${options.binary} -v failed (exit ${result.code}): ${output.trim().slice(0, 200)}`);
    }
  } catch (error) {
    if (error instanceof HaproxyConfigError && error.code === 'HAPROXY_BINARY_MISSING') {
      return unavailable(
        `HAProxy is not installed (${options.binary} not found), so Layer 7 services and SSL terminations cannot run: apt-get install haproxy`,
      );
    }
    return unavailable(`${options.binary} -v could not run: ${error instanceof Error ? error.message : String(error)}`);
  }
  const version = /version (\d+)\.(\d+)/i.exec(output);
  if (version === null)
    return unavailable(`${options.binary} -v did not say its version: ${output.trim().slice(0, 200)}`);
  const [major, minor] = [Number(version[1]), Number(version[2])];
  if (major < 2 || (major === 2 && minor < 6)) {
    return unavailable(
      `HAProxy ${major}.${minor} is too old: 2.6 or later is needed (Debian 12: apt-get install haproxy)`,
    );
  }
  const caps = await options.capabilities();
  if (caps !== undefined) {
    const missing = [
      ...((caps >> CAP_NET_ADMIN) & 1n ? [] : ['CAP_NET_ADMIN (binding VIPs this node does not hold yet, TPROXY)']),
      ...((caps >> CAP_NET_BIND_SERVICE) & 1n ? [] : ['CAP_NET_BIND_SERVICE (ports below 1024)']),
    ];
    if (missing.length > 0) {
      return unavailable(
        `HAProxy cannot bind the virtual services without ${missing.join(' and ')}: run the appliance as root`,
      );
    }
  }
  return { available: true };
}
