import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import type { Capability } from './model/capability.js';

export { type Capability, describeCapabilities } from './model/capability.js';

/** What the appliance asks of the host; a test passes a fake. */
export interface HostProbe {
  isRoot(): boolean;
  kernelRelease(): string;
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  /** Runs a program (no shell) and returns its output, or undefined if it cannot run. */
  run(file: string, args: readonly string[]): Promise<string | undefined>;
}

export const systemProbe: HostProbe = {
  isRoot: () => process.getuid?.() === 0,
  kernelRelease: () => release(),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: (path) => existsSync(path),
  run: (file, args) =>
    new Promise((resolve) => {
      execFile(file, args, { timeout: 5_000, encoding: 'utf8' }, (error, stdout, stderr) => {
        resolve(error ? undefined : `${stdout}${stderr}`);
      });
    }),
};

function ipvs(probe: HostProbe): Capability {
  const feature = 'Layer 4 virtual services (IPVS: DR, NAT, TUN)';
  const id = 'ipvs';
  const part = 'layer4';
  const info = probe.readFile('/proc/net/ip_vs');
  if (info !== undefined) {
    return { id, part, feature, available: true, detail: info.split('\n')[0]?.trim() ?? 'IPVS' };
  }
  const modulesDep = probe.readFile(`/lib/modules/${probe.kernelRelease()}/modules.dep`) ?? '';
  if (/\/ip_vs\.ko/.test(modulesDep)) {
    return { id, part, feature, available: false, detail: 'the ip_vs module is not loaded', fix: 'modprobe ip_vs' };
  }
  return {
    id,
    part,
    feature,
    available: false,
    detail: `kernel ${probe.kernelRelease()} has no IPVS (CONFIG_IP_VS unset)`,
    fix: 'run on a kernel built with CONFIG_IP_VS (Debian and most distributions ship it as a module)',
  };
}

async function haproxy(probe: HostProbe): Promise<Capability> {
  const feature = 'Layer 7 virtual services and SSL termination (HAProxy)';
  const id = 'haproxy';
  const part = 'layer7';
  const out = await probe.run('haproxy', ['-v']);
  const version = out?.match(/HAProxy version (\S+)/)?.[1];
  return version
    ? { id, part, feature, available: true, detail: `HAProxy ${version}` }
    : { id, part, feature, available: false, detail: 'haproxy is not installed', fix: 'apt-get install haproxy' };
}

function root(probe: HostProbe): Capability {
  const feature = 'Kernel changes: IPVS tables, floating IPs, sysctls, gratuitous ARP';
  const id = 'root';
  const part = 'root';
  return probe.isRoot()
    ? { id, part, feature, available: true, detail: 'running as root' }
    : {
        id,
        part,
        feature,
        available: false,
        detail: 'not running as root',
        fix: 'run the appliance as root (or with CAP_NET_ADMIN and CAP_NET_RAW)',
      };
}

/**
 * What this host lets the appliance do. The appliance starts either way: configuration is
 * stored and served; parts that cannot be applied here are reported with the reason.
 */
export async function detectCapabilities(probe: HostProbe = systemProbe): Promise<Capability[]> {
  return [root(probe), ipvs(probe), await haproxy(probe)];
}
