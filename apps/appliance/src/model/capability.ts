// What this host lets the appliance do, as `serve` prints it and `GET /api/v1/health` answers it.

export interface Capability {
  /** Which part of the appliance it is about: the kernel changes (root), IPVS, HAProxy. */
  part: 'root' | 'layer4' | 'layer7';
  /** What the appliance can or cannot do because of this. */
  feature: string;
  available: boolean;
  /** What was found (a version) or why not. */
  detail: string;
  /** How to make it available, when it is not. */
  fix?: string;
}

/** "why; fix: how", as `serve` prints a capability the host lacks. */
export const reasonOf = (c: Pick<Capability, 'detail' | 'fix'>): string =>
  `${c.detail}${c.fix ? `; fix: ${c.fix}` : ''}`;

/**
 * "Layer 4 is unavailable on this host, because ..." when it is (IPVS missing, or no root to
 * program it), with the capability's reason; undefined when Layer 4 can run here.
 */
export function layer4Unavailable(capabilities: readonly Pick<Capability, 'part' | 'available' | 'detail' | 'fix'>[]) {
  const missing = ['layer4', 'root'].map((part) => capabilities.find((c) => c.part === part && !c.available));
  const first = missing.find((c) => c !== undefined);
  return first === undefined ? undefined : `Layer 4 is unavailable on this host, because ${reasonOf(first)}.`;
}
