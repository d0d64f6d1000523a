/**
 * What the keepalived and ldirectord importers share: both describe an IPVS table with
 * checkers, so both need the same bookkeeping (notes with file and line, labels the schema
 * takes, one health check per distinct checker) and the same refusal of broken input.
 */
import type { ApplianceError } from '../errors.js';
import type { HealthCheck } from '../model/schema.js';
import { validateConfig } from '../model/validate.js';
import type { ImportNote, ImportNoteKind, ImportResult } from './contract.js';
import { addressPart, importInvalid as importInvalidAt, uniqueLabel } from './source-text.js';

export { MAX_IMPORT_BYTES } from './contract.js';

/** Where a directive is: the file it is written in (an included file names itself) and its 1-based line. */
export interface Origin {
  file: string;
  line: number;
}

/** Broken input: nothing is imported, and `field` says where (`file:line`). */
export const importInvalid = (at: Origin, message: string, cause?: unknown): ApplianceError =>
  importInvalidAt(at.file, at.line, message, cause);

/** The notes of one import and the count of what was mapped. */
export class Notes {
  readonly list: ImportNote[] = [];
  mapped = 0;
  /** A directive used by several objects (a group's services) is noted once. */
  private readonly seen = new Set<string>();

  add(at: Origin, directive: string, kind: ImportNoteKind, message: string): void {
    const key = `${at.file}\n${at.line}\n${directive}\n${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ file: at.file, line: at.line, directive, kind, message });
  }
}

const LABEL_MAX = 64;

/** The notes in the order of the files read, then of their lines, as a reader goes through them. */
export function sortNotes(notes: ImportNote[], files: readonly string[]): ImportNote[] {
  const order = new Map(files.map((file, i) => [file, i]));
  return notes
    .map((note, i) => ({ note, i }))
    .sort(
      (a, b) => (order.get(a.note.file) ?? 0) - (order.get(b.note.file) ?? 0) || a.note.line - b.note.line || a.i - b.i,
    )
    .map(({ note }) => note);
}

/** A label the schema takes, made from `raw`: other characters become "-", at most 64 characters. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LABEL_CHAR = /[A-Za-z0-9_.-]/;

export function labelFrom(raw: string): string {
  // Most labels are made of addresses and ports: already good, copied without a pass per character.
  if (raw.length <= LABEL_MAX && LABEL.test(raw)) return raw;
  let out = '';
  for (const ch of raw) out += LABEL_CHAR.test(ch) ? ch : '-';
  if (!/^[A-Za-z0-9]/.test(out)) out = `x${out}`;
  return out.slice(0, LABEL_MAX);
}

/** Hands out labels unique within one namespace: a second `web` becomes `web_2`. */
export class Labels {
  private readonly taken = new Set<string>();

  take(raw: string): string {
    return uniqueLabel(labelFrom(raw), this.taken);
  }
}

/** An address as part of a label: IPv6's ":" is not a label character. */
export const addressLabel = addressPart;

export type CheckSpec = Omit<HealthCheck, 'label' | 'description'>;

/**
 * One health check per distinct checker: a thousand services with the same TCP check share
 * one `tcp-check`, as the appliance's services reference checks by label.
 */
export class HealthChecks {
  readonly list: HealthCheck[] = [];
  private readonly byKey = new Map<string, string>();
  private readonly labels = new Labels();

  labelFor(spec: CheckSpec): string {
    const key = JSON.stringify(spec);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const label = this.labels.take(`${spec.type}-check`);
    this.byKey.set(key, label);
    this.list.push({ label, ...spec });
    return label;
  }
}

/** A dotted netmask (`255.255.255.0`) or a prefix length (`24`) as a prefix length; undefined when neither. */
export function prefixLength(mask: string, max: number): number | undefined {
  if (/^\d{1,3}$/.test(mask)) {
    const n = Number(mask);
    return n <= max ? n : undefined;
  }
  const parts = mask.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  const bits = parts.map((p) => Number(p).toString(2).padStart(8, '0')).join('');
  const ones = bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
  // A mask must be ones then zeros: 255.0.255.0 is no prefix.
  return bits.slice(ones).includes('1') ? undefined : ones;
}

/** A whole number of seconds from a timer written as seconds (`3`, `2.5`); undefined when not a number. */
export function seconds(text: string): number | undefined {
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(text)) return undefined;
  return Number(text);
}

export const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
export const intToIpv4 = (n: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/**
 * The port a DR or TUN real server (or fallback) keeps: these cannot change the port, so one
 * other than the virtual port was never used by IPVS either; it is left out, with a note.
 */
export function keptPort(
  notes: Notes,
  at: Origin,
  directive: string,
  forwarding: 'dr' | 'nat' | 'tun',
  virtualPort: number | undefined,
  port: number | undefined,
): number | undefined {
  if (port === undefined || forwarding === 'nat' || virtualPort === undefined || port === virtualPort) return port;
  notes.add(
    at,
    directive,
    'lossy',
    `${forwarding.toUpperCase()} cannot translate ports: port ${port} is left out (the virtual port is used)`,
  );
  return undefined;
}

/** Where each imported object came from, so that a result the model refuses names the line at fault. */
export interface Origins {
  layer4: Origin[];
  floatingIps: Origin[];
  heartbeat?: Origin;
}

/**
 * The safety net: an importer maps only what the model takes, but if a combination still
 * fails validation, the import is refused at the directive that made the failing object
 * rather than handing the caller a configuration that cannot be stored.
 */
export function ensureValid(result: ImportResult, origins: Origins, named: string): ImportResult {
  const checked = validateConfig({ ...result.config });
  if (checked.ok) return result;
  const first = checked.errors[0];
  const field = first?.field ?? '';
  const index = /^(layer4|floatingIps)\[(\d+)\]/.exec(field);
  const at =
    (index !== null ? origins[index[1] as 'layer4' | 'floatingIps'][Number(index[2])] : undefined) ??
    (field.startsWith('heartbeat') ? origins.heartbeat : undefined) ??
    ({ file: named, line: 1 } satisfies Origin);
  throw importInvalid(at, `the imported configuration is not valid: ${first?.message ?? 'invalid'}`, first);
}
