import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateInfo } from '../model/certificate.js';
import { writeFileAtomically } from '../store/durable.js';
import { type CertificateUpload, checkPair, describe, fromPkcs12, invalid, pemBlocks } from './certificates.js';

/** The configuration's label rule, and never a path: the label names the file. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Certificates for SSL termination (HAProxy's `crt`): an upload is checked like the web
 * certificate (the key belongs to the certificate, not expired, TLS takes it) and written
 * as `<dir>/<label>.pem`, key and chain in one file, replaced atomically. The configuration
 * then names that file (`certificates[].file`).
 */
export async function storeTerminationCertificate(
  dir: string,
  label: unknown,
  upload: CertificateUpload,
  now: Date = new Date(),
): Promise<{ file: string; info: CertificateInfo }> {
  if (typeof label !== 'string' || !LABEL.test(label) || label.includes('..')) {
    throw invalid('label', 'must be a certificate label (letters, digits, "_", "." and "-")');
  }
  let pair: ReturnType<typeof checkPair>;
  if (upload.format === 'pkcs12') {
    if (typeof upload.data !== 'string' || upload.data === '') throw invalid('data', 'is empty');
    const extracted = fromPkcs12(upload.data, upload.password ?? '');
    pair = checkPair(extracted.cert, extracted.key, undefined, now);
  } else {
    if (typeof upload.certificate !== 'string' || upload.certificate.trim() === '') {
      throw invalid('certificate', 'is empty');
    }
    const key = upload.key?.trim()
      ? upload.key
      : pemBlocks(upload.certificate).find((b) => b.type.endsWith('PRIVATE KEY'))?.pem;
    if (key === undefined) throw invalid('key', 'is missing: SSL termination needs the certificate and its key');
    pair = checkPair(upload.certificate, key, upload.passphrase, now);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${label}.pem`);
  // HAProxy's crt file: the chain, then the key.
  await writeFileAtomically(file, pair.cert + pair.key, 0o600);
  return { file, info: describe(pair.chain) };
}
