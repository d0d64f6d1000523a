/**
 * SSL termination certificates travel with the configuration versions that name them.
 * An upload writes `<dataDir>/certificates/<label>.pem` on the node it reached and the
 * configuration names that file; without its copy, the peer stores a version whose
 * HAProxy cannot start there, which shows only when that node becomes the active one.
 *
 * Only files in the sender's certificate directory travel (a file the admin keeps
 * elsewhere, `/etc/ssl/private/x.pem`, is theirs to copy), and the receiver writes only
 * into its own certificate directory, under a certificate label's file name: a peer's
 * message never names a path. The two nodes may keep their data in different
 * directories, so the receiver also moves the file name its copy of each version holds
 * from the sender's directory to its own.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ApplianceError } from '../errors.js';
import type { StoredVersion } from '../store/contract.js';
import { writeFileAtomically } from '../store/durable.js';

/** One file of the sender's certificate directory: its name there and its content. */
export interface ReplicaCertificate {
  name: string;
  pem: string;
}

/** What a certificate upload writes: a label and `.pem` (web/termination-certificates.ts). */
export const CERTIFICATE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.pem$/;

function inDirectory(file: string, dir: string): boolean {
  return dirname(file) === dir && CERTIFICATE_FILE_NAME.test(basename(file)) && !basename(file).includes('..');
}

/**
 * The files of `dir` that `versions` name, read now (a file replaced since the version was
 * made travels as it is now, as HAProxy would load it). A file missing here is left out:
 * the apply on this node already says so.
 */
export async function certificatesOf(versions: readonly StoredVersion[], dir: string): Promise<ReplicaCertificate[]> {
  const names = new Set<string>();
  for (const version of versions) {
    for (const certificate of version.config.certificates ?? []) {
      if (inDirectory(certificate.file, dir)) names.add(basename(certificate.file));
    }
  }
  const out: ReplicaCertificate[] = [];
  for (const name of [...names].sort()) {
    const pem = await readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (pem !== undefined) out.push({ name, pem });
  }
  return out;
}

/**
 * Writes the peer's certificates into `dir` (0600, replaced atomically) before the versions
 * naming them are stored and applied. A name that is not a certificate file name, or a
 * content without a certificate and a key, is refused whole (API_BAD_REQUEST naming the
 * entry): nothing is written and no version is stored.
 */
export async function writeCertificates(certificates: readonly ReplicaCertificate[], dir: string): Promise<string[]> {
  for (const [i, certificate] of certificates.entries()) {
    const field = `certificates[${i}]`;
    if (!CERTIFICATE_FILE_NAME.test(certificate.name) || certificate.name.includes('..')) {
      throw new ApplianceError('API_BAD_REQUEST', `${field}.name: not a certificate file name`, {
        field: `${field}.name`,
      });
    }
    if (
      !/-----BEGIN CERTIFICATE-----/.test(certificate.pem) ||
      !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certificate.pem)
    ) {
      throw new ApplianceError('API_BAD_REQUEST', `${field}.pem: holds no certificate and key`, {
        field: `${field}.pem`,
      });
    }
  }
  if (certificates.length > 0) await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const certificate of certificates)
    await writeFileAtomically(join(dir, certificate.name), certificate.pem, 0o600);
  return certificates.map((certificate) => certificate.name);
}

/**
 * The version as this node stores it: each certificate file in the sender's directory
 * named in this node's. The rest of the configuration is the sender's, byte for byte.
 */
export function relocateCertificates(version: StoredVersion, from: string | undefined, to: string): StoredVersion {
  const config = version.config;
  if (from === undefined || from === to || !Array.isArray(config.certificates)) return version;
  const certificates = config.certificates.map((certificate) =>
    inDirectory(certificate.file, from) ? { ...certificate, file: join(to, basename(certificate.file)) } : certificate,
  );
  return { ...version, config: { ...config, certificates } };
}
