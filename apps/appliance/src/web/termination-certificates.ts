import { X509Certificate } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { readCertificateFile } from '../engine/layer7/certificate-file.js';
import { type CertificateInfo, expiryOf, type TerminationCertificateStatus } from '../model/certificate.js';
import type { ApplianceConfig } from '../model/schema.js';
import { writeFileAtomically } from '../store/durable.js';
import {
  type CertificateUpload,
  checkPair,
  describe,
  fromPkcs12,
  invalid,
  pemBlocks,
  selfSignedCertificate,
} from './certificates.js';

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
  checkLabel(label);
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
  return { file: await writeCrt(dir, label, pair), info: describe(pair.chain) };
}

function checkLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || !LABEL.test(label) || label.includes('..')) {
    throw invalid('label', 'must be a certificate label (letters, digits, "_", "." and "-")');
  }
}

/** HAProxy's crt file, `<dir>/<label>.pem`: the chain, then the key; replaced atomically. */
async function writeCrt(dir: string, label: string, pair: { cert: string; key: string }): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${label}.pem`);
  await writeFileAtomically(file, pair.cert + pair.key, 0o600);
  return file;
}

/** A host name or an IP address, as a certificate's subject alternative name holds it. */
const NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * A self-signed certificate for SSL termination, made here with node-forge (no openssl on
 * the appliance): for the VIP's address and any host names given, stored like an upload
 * as `<dir>/<label>.pem`. Browsers warn about it until it is replaced by a CA's
 * certificate under the same label; until then the service works over HTTPS.
 */
export async function makeTerminationCertificate(
  dir: string,
  label: unknown,
  names: readonly unknown[],
  now: Date = new Date(),
): Promise<{ file: string; info: CertificateInfo }> {
  checkLabel(label);
  if (names.length === 0) throw invalid('names', 'must name the VIP address or a host name');
  names.forEach((name, i) => {
    if (typeof name !== 'string' || (isIP(name) === 0 && !NAME.test(name))) {
      throw invalid(`names[${i}]`, 'must be a host name or an IP address');
    }
  });
  const made = selfSignedCertificate(names as string[], now);
  const pair = checkPair(made.cert, made.key, undefined, now);
  return { file: await writeCrt(dir, label, pair), info: describe(pair.chain) };
}

/**
 * The configuration's SSL termination certificates as their files on this node hold them:
 * subject, names and expiry, or why the file cannot be read. Each file is read bounded
 * (readCertificateFile), so a wrong path cannot hang the answer.
 */
export async function terminationCertificateStatus(
  config: Pick<ApplianceConfig, 'certificates' | 'ssl'>,
  now: Date = new Date(),
): Promise<TerminationCertificateStatus[]> {
  return Promise.all(
    config.certificates.map(async ({ label, file }, i) => {
      const usedBy = config.ssl.filter((t) => t.certificate === label).map((t) => t.label);
      try {
        const text = await readCertificateFile(file, `certificates[${i}].file`);
        const chain = pemBlocks(text)
          .filter((b) => b.type === 'CERTIFICATE')
          .map((b) => new X509Certificate(b.pem));
        const info = describe(chain);
        return { label, file, info, expiry: expiryOf(info.validTo, now), usedBy };
      } catch (error) {
        const problem =
          error instanceof Error ? error.message.replace(/^certificates\[\d+\]\.file: /, '') : String(error);
        return { label, file, problem, usedBy };
      }
    }),
  );
}
