import type { ApplianceConfig, Layer4RealServer } from './schema.js';
import type { ConfigWarning } from './validate.js';

/** A real server as IPVS knows it: the kernel has no labels, only address and port. */
const destination = (server: Layer4RealServer): string => `${server.address} ${server.port ?? ''}`;

/**
 * In an ECMP cluster every node must build the same `mh` table for a service, and IPVS
 * fills it in the order its real servers were added. A running node keeps the ones it has
 * and adds new ones at the end of its list; a node that boots later adds them in the
 * configuration's order. The two agree only when a version keeps the order of the real
 * servers it keeps and puts the new ones last; otherwise a few flows would go to another
 * real server on each kind of node. Said to the write (a warning: the order a user wants
 * may be worth it), since only the write knows the version before.
 */
export function mhOrderWarnings(before: ApplianceConfig, after: ApplianceConfig): ConfigWarning[] {
  if (after.cluster?.mode !== 'ecmp') return [];
  const warnings: ConfigWarning[] = [];
  let previous: Map<string, Layer4RealServer[]> | undefined;
  after.layer4.forEach((service, index) => {
    // An unchanged service is the same object (the store shares what a write left alone).
    if (service.scheduler !== 'mh' || before.layer4[index] === service) return;
    previous ??= new Map(before.layer4.map((s) => [s.label, s.realServers]));
    const old = previous.get(service.label);
    if (old === undefined) return;
    const now = service.realServers.map(destination);
    const present = new Set(now);
    const kept = old.map(destination).filter((d) => present.has(d));
    const keptSet = new Set(kept);
    const running = [...kept, ...now.filter((d) => !keptSet.has(d))];
    if (running.every((d, i) => d === now[i])) return;
    const field = `layer4[${index}].realServers`;
    warnings.push({
      code: 'CONFIG_MH_ORDER',
      field,
      message: `${field}: a real server was moved or added before another; running nodes add new real servers at the end of their list, so until they reboot a few flows reach another real server on them than on a node started later: keep the order and add real servers at the end (docs/cluster.md, "The order of real servers")`,
    });
  });
  return warnings;
}
