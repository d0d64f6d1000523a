/**
 * An import moves in beside what is there: the imported objects are added to the current
 * configuration, an imported object whose label (a floating IP: whose address) is already
 * taken replaces that one, and a section the import fills that holds one object only (the
 * heartbeat) is taken only when the current configuration has none. Each replacement and
 * each object kept is told, so the preview shows what the import would overwrite.
 */
import type { ApplianceConfig, ApplianceConfigInput } from '../model/schema.js';

/** The list sections an importer fills, keyed by label (floating IPs by address). */
const LISTS = ['layer4', 'layer7', 'ssl', 'healthChecks', 'certificates', 'floatingIps'] as const;
type ListSection = (typeof LISTS)[number];

export interface MergeOutcome {
  config: ApplianceConfigInput;
  /** `layer4["vs_192.0.2.10_80"]`: objects of the current configuration the import replaces. */
  replaced: string[];
  /** Sections of the import not taken because the current configuration has its own (`heartbeat`). */
  kept: string[];
}

const keyOf = (section: ListSection, item: Record<string, unknown>): string =>
  String(section === 'floatingIps' ? item.address : item.label);

export function mergeImport(current: ApplianceConfig, imported: Partial<ApplianceConfigInput>): MergeOutcome {
  const config: Record<string, unknown> = { ...current };
  const replaced: string[] = [];
  const kept: string[] = [];
  for (const section of LISTS) {
    const incoming = imported[section] as Record<string, unknown>[] | undefined;
    if (incoming === undefined || incoming.length === 0) continue;
    const existing = (current[section] ?? []) as Record<string, unknown>[];
    const byKey = new Map(incoming.map((item) => [keyOf(section, item), item]));
    const merged = existing.map((item) => {
      const key = keyOf(section, item);
      const replacement = byKey.get(key);
      if (replacement === undefined) return item;
      replaced.push(`${section}[${JSON.stringify(key)}]`);
      byKey.delete(key);
      return replacement;
    });
    config[section] = [...merged, ...byKey.values()];
  }
  if (imported.heartbeat !== undefined) {
    if (current.heartbeat === undefined) config.heartbeat = imported.heartbeat;
    else kept.push('heartbeat');
  }
  return { config: config as ApplianceConfigInput, replaced, kept };
}
