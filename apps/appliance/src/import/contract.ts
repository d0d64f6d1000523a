/**
 * What an importer makes of another tool's configuration (issue #23): the sections of an
 * appliance configuration it could fill, and a note for every directive it could not map
 * exactly, so that nothing is dropped silently. The preview (`POST /api/v1/config/import`,
 * `sluice-appliance import`) merges `config` into the current configuration, validates the
 * result as any write is validated, and shows the diff and the notes.
 */
import type { ApplianceConfigInput } from '../model/schema.js';

/**
 * The most an import reads, all files together: a 1,000-service keepalived.conf with ten
 * real servers and a checker each is about 3 MiB, so 16 MiB leaves room and still bounds
 * the memory a hostile upload can take.
 */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

export type ImportFormat = 'keepalived' | 'ldirectord' | 'ipvsadm' | 'haproxy';

/**
 * - `unsupported`: the directive has no counterpart here; it was left out.
 * - `ambiguous`: it maps in more than one way; the note says which was taken.
 * - `lossy`: it maps, but something of it is lost or changed (a timer rounded, a checker's
 *   option with no equivalent); the note says what.
 */
export type ImportNoteKind = 'unsupported' | 'ambiguous' | 'lossy';

export interface ImportNote {
  /** The file the directive is in (an included file names itself, not the includer). */
  file: string;
  /** 1-based line of the directive. */
  line: number;
  /** The directive as written (`persistence_granularity`, `http-request set-header`). */
  directive: string;
  kind: ImportNoteKind;
  message: string;
}

/** The files an import reads: the one named, and the ones it includes (keepalived's `include`). */
export interface ImportSource {
  /** The file the user named (its path, or a name such as `upload.cfg` for an upload). */
  file: string;
  /** The content of `path` (the named file or one it includes, resolved as the format resolves it). */
  read(path: string): Promise<string>;
  /** The files a glob names (keepalived's `include /etc/keepalived/conf.d/*.conf`), sorted; absent: globs name nothing. */
  glob?(pattern: string): Promise<string[]>;
}

export interface ImportResult {
  format: ImportFormat;
  /**
   * The sections the source describes (layer4, layer7, healthChecks, floatingIps,
   * heartbeat, certificates, ssl, ...), each complete as far as the source goes; sections
   * the source says nothing about are absent, never empty.
   */
  config: Partial<ApplianceConfigInput>;
  notes: ImportNote[];
  /** How many directives were mapped (exactly or with a note). */
  mapped: number;
  /** Every file read, the named one first. */
  files: string[];
}

export type Importer = (source: ImportSource) => Promise<ImportResult>;
