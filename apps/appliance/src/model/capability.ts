/**
 * What the host lets the appliance do (src/capabilities.ts finds it out), as `serve` prints
 * it and `GET /api/v1/health` answers it. Here, apart from the probing, because the web UI
 * shows it too: this module is bundled into the page.
 */
export type CapabilityId = 'root' | 'ipvs' | 'haproxy';

export interface Capability {
  /** Stable name a program asks for (the wizard: can this host run Layer 4?). */
  id: CapabilityId;
  /** Which part of the appliance it is about: the kernel changes (root), Layer 4 (IPVS), Layer 7 (HAProxy). */
  part: 'root' | 'layer4' | 'layer7';
  /** What the appliance can or cannot do because of this. */
  feature: string;
  available: boolean;
  /** What was found (a version) or why not. */
  detail: string;
  /** How to make it available, when it is not. */
  fix?: string;
}

/** Why a missing capability is missing and how to fix it ("why; fix: how"), worded as `serve` and `capabilities` print it. */
export function capabilityReason(capability: Pick<Capability, 'detail' | 'fix'>): string {
  return `${capability.detail}${capability.fix ? `; fix: ${capability.fix}` : ''}`;
}

export function describeCapabilities(capabilities: readonly Capability[]): string {
  return capabilities
    .map((c) =>
      c.available ? `  can:    ${c.feature} (${c.detail})` : `  cannot: ${c.feature}: ${capabilityReason(c)}`,
    )
    .join('\n');
}

/**
 * "Layer 4 is unavailable on this host, because ..." when it is (IPVS missing, or no root to
 * program it), with the capability's reason; undefined when Layer 4 can run here.
 */
export function layer4Unavailable(capabilities: readonly Pick<Capability, 'part' | 'available' | 'detail' | 'fix'>[]) {
  const missing = ['layer4', 'root'].map((part) => capabilities.find((c) => c.part === part && !c.available));
  const first = missing.find((c) => c !== undefined);
  return first === undefined ? undefined : `Layer 4 is unavailable on this host, because ${capabilityReason(first)}.`;
}
