import { ApplianceError } from '../errors.js';
import { isPatch, makePatch, type PatchOp } from './delta.js';

/*
 * The codec of the VersionLog's files: `versions/000000000042.json`, one per version,
 * written once and never changed. A file holds the whole document (pretty-printed) or the
 * change from the version before (delta.ts, one line). The document is opaque here: it is
 * stored under `config` because that is the file format's name for it.
 */

const FILE_FORMAT = 1;
/** A change whose delta is bigger than this is stored whole. */
const MAX_DELTA_BYTES = 256 * 1024;

export const VERSION_NAME = /^(\d{12})\.json$/;
export const nameOf = (version: number) => `${String(version).padStart(12, '0')}.json`;

/** Who made a version, when and why (the store's contract calls it VersionInfo). */
export interface VersionMeta {
  version: number;
  author: string;
  /** ISO 8601, UTC. */
  time: string;
  comment: string;
}

/** A version with its document. */
export interface LoggedVersion<D> extends VersionMeta {
  config: D;
}

/** A version file as stored: a whole document, or the change from the version before. */
export interface VersionRecord<D> extends VersionMeta {
  config?: D;
  base?: number;
  patch?: PatchOp[];
}

/**
 * The bytes of `stored`'s file. A change is stored as the delta from `base`, the version
 * before it. The whole document only when there is no delta to write: the first version,
 * a change bigger than MAX_DELTA_BYTES, a replica after a gap. Bounding the replay of
 * deltas is the snapshots' job, off the commit's path.
 */
export function encodeVersion<D extends object>(
  base: LoggedVersion<D>,
  stored: LoggedVersion<D>,
): { data: string; whole: boolean } {
  if (base.version >= 1 && base.version === stored.version - 1) {
    const patch = makePatch(base.config, stored.config);
    const { config: _config, ...info } = stored;
    const text = `${JSON.stringify({ format: FILE_FORMAT, ...info, base: base.version, patch })}\n`;
    if (text.length <= MAX_DELTA_BYTES) return { data: text, whole: false };
  }
  return { data: `${JSON.stringify({ format: FILE_FORMAT, ...stored }, null, 2)}\n`, whole: true };
}

/** The record in `file`, version `version`'s file, checked for its shape; its document is not looked into. */
export function decodeVersion<D>(bytes: Buffer, version: number, file: string): VersionRecord<D> {
  let stored: VersionRecord<D> & { format?: unknown };
  try {
    stored = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new ApplianceError('STORE_CORRUPT', `${file} is not JSON`, { cause, field: file });
  }
  const whole = typeof stored.config === 'object' && stored.config !== null;
  const delta = stored.base === version - 1 && isPatch(stored.patch);
  if (stored.format !== FILE_FORMAT || stored.version !== version || whole === delta) {
    throw new ApplianceError('STORE_CORRUPT', `${file} is not configuration version ${version}`, { field: file });
  }
  const { format: _format, ...rest } = stored;
  return rest;
}
