/**
 * The importers by format, and what the API and CLI do with one: run it over the files
 * given, merge the result into a configuration (merge.ts), and say what would change.
 */
import { consumerErrors } from '../config/consumers.js';
import type { ApplianceError } from '../errors.js';
import { type DiffEntry, diffConfigs } from '../model/diff.js';
import type { ApplianceConfig } from '../model/schema.js';
import { validateConfig } from '../model/validate.js';
import type { Importer, ImportFormat, ImportNote, ImportResult, ImportSource } from './contract.js';
import { importHaproxy } from './haproxy/index.js';
import { importIpvsadm } from './ipvsadm/index.js';
import { importKeepalived } from './keepalived/index.js';
import { parseKeepalived } from './keepalived/parse.js';
import { importLdirectord } from './ldirectord/index.js';
import { type MergeOutcome, mergeImport } from './merge.js';

export type { ImportFormat, ImportNote, ImportResult, ImportSource } from './contract.js';
export { mergeImport } from './merge.js';
export { uploadSource } from './upload-source.js';

export const IMPORT_FORMATS = [
  'keepalived',
  'ldirectord',
  'ipvsadm',
  'haproxy',
] as const satisfies readonly ImportFormat[];

const IMPORTERS: Record<ImportFormat, Importer> = {
  keepalived: importKeepalived,
  ldirectord: importLdirectord,
  ipvsadm: importIpvsadm,
  haproxy: importHaproxy,
};

export function runImport(format: ImportFormat, source: ImportSource): Promise<ImportResult> {
  return IMPORTERS[format](source);
}

/**
 * The files an import of `format` reads (the named one first), without mapping them: what
 * the CLI uploads. Only keepalived's includes name other files, so only its parser runs;
 * the other importers read the named file alone. The import itself is the daemon's.
 */
export async function importFiles(format: ImportFormat, source: ImportSource): Promise<string[]> {
  if (format === 'keepalived') return (await parseKeepalived(source)).files;
  await source.read(source.file);
  return [source.file];
}

export interface ImportPreview extends Omit<ImportResult, 'config'>, Omit<MergeOutcome, 'config'> {
  /** What the import would change in the configuration it was merged into. */
  changes: DiffEntry[];
  /** Why the merged configuration would be refused (each with its code and field); empty: it can be applied. */
  errors: ReturnType<ApplianceError['toJSON']>[];
}

/** The import merged into `current` and checked as a write is (schema, rules, consumers), without storing anything. */
export async function previewImport(
  result: ImportResult,
  current: ApplianceConfig,
): Promise<{ preview: ImportPreview; merged: MergeOutcome['config'] }> {
  const merged = mergeImport(current, result.config);
  const checked = validateConfig(merged.config);
  const errors = checked.ok ? await consumerErrors(checked.config, current) : checked.errors;
  const after = checked.ok ? checked.config : merged.config;
  const { config: _imported, ...rest } = result;
  return {
    preview: {
      ...rest,
      replaced: merged.replaced,
      kept: merged.kept,
      changes: diffConfigs(current, after),
      errors: errors.map((error) => error.toJSON()),
    },
    merged: merged.config,
  };
}

/** One line per note, as the CLI prints them: `file:line: kind: directive: message`. */
export function noteLine(note: ImportNote): string {
  return `${note.file}:${note.line}: ${note.kind}: ${note.directive}: ${note.message}`;
}
