/**
 * What the host lets the appliance do (src/capabilities.ts finds it out). Here, apart from
 * the probing, because the web UI shows it too: this module is bundled into the page.
 */
export type CapabilityId = 'root' | 'ipvs' | 'haproxy';

export interface Capability {
  /** Stable name a program asks for (the wizard: can this host run Layer 4?). */
  id: CapabilityId;
  /** What the appliance can or cannot do because of this. */
  feature: string;
  available: boolean;
  /** What was found (a version) or why not. */
  detail: string;
  /** How to make it available, when it is not. */
  fix?: string;
}

/** Why a missing capability is missing and how to fix it, worded as `serve` and `capabilities` print it. */
export function capabilityReason(capability: Capability): string {
  return `${capability.detail}${capability.fix ? `; fix: ${capability.fix}` : ''}`;
}

export function describeCapabilities(capabilities: readonly Capability[]): string {
  return capabilities
    .map((c) =>
      c.available ? `  can:    ${c.feature} (${c.detail})` : `  cannot: ${c.feature}: ${capabilityReason(c)}`,
    )
    .join('\n');
}
