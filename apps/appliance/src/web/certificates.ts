import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type Forge from 'node-forge';
import { readCertificateFile } from '../engine/layer7/certificate-file.js';
import { ApplianceError } from '../errors.js';
import type { CertificateInfo, PendingRequest } from '../model/certificate.js';
import { writeFileAtomically } from '../store/durable.js';
import { withIterationBudget } from './pkcs12-cost.js';

/**
 * node-forge, loaded when a certificate is made or a PKCS#12 file read: a start with a
 * certificate in place needs neither, and loading the library costs the start.
 */
let forgeModule: typeof Forge | undefined;
function forgeLib(): typeof Forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeModule;
}

export type CertificateUpload =
  | { format: 'pem'; certificate: string; key?: string; passphrase?: string }
  | { format: 'pkcs12'; data: string; password?: string };

export interface WebCertificates {
  /** The certificate chain and key, PEM, for `tls.createServer`. */
  material(): { cert: string; key: string };
  info(): CertificateInfo;
  pending(): PendingRequest | undefined;
  /**
   * Install an uploaded certificate. PEM without a key is the signed answer to the pending
   * request (its key stays on this node). Throws CERTIFICATE_INVALID naming the field; a
   * rejected upload changes nothing.
   */
  install(upload: CertificateUpload): Promise<CertificateInfo>;
  /** A new key and a request for it; the key never leaves the data directory. */
  createRequest(request: { commonName: string; altNames?: string[]; organization?: string }): Promise<PendingRequest>;
  onChange(listener: (material: { cert: string; key: string }) => void): () => void;
}

export interface WebCertificatesOptions {
  /** Where `server.pem` (key and chain in one file, replaced atomically) and the pending request live. */
  dir: string;
  /** Host names and addresses the self-signed certificate names (the first is its common name). */
  names: readonly string[];
  now?: () => Date;
}

export const invalid = (field: string, message: string, cause?: unknown) =>
  new ApplianceError('CERTIFICATE_INVALID', `${field}: ${message}`, { field, cause });

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

export function pemBlocks(text: string): { type: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1] ?? '', pem: `${m[0]}\n` }));
}

export function describe(chain: readonly X509Certificate[]): CertificateInfo {
  const leaf = chain[0];
  if (leaf === undefined) throw invalid('certificate', 'holds no certificate');
  const altNames = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter((name) => name !== '');
  return {
    subject: leaf.subject.replaceAll('\n', ', '),
    issuer: leaf.issuer.replaceAll('\n', ', '),
    altNames,
    validFrom: new Date(leaf.validFrom).toISOString(),
    validTo: new Date(leaf.validTo).toISOString(),
    fingerprint256: leaf.fingerprint256,
    selfSigned: leaf.subject === leaf.issuer && leaf.verify(leaf.publicKey),
    chainLength: chain.length - 1,
  };
}

function rsaKeyPem(): string {
  // Native key generation: node-forge's pure-JavaScript RSA takes seconds on these machines.
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
}

function forgeKeys(keyPem: string) {
  const forge = forgeLib();
  const privateKey = forge.pki.privateKeyFromPem(keyPem);
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey };
}

function altNameEntries(names: readonly string[]) {
  return names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));
}

/**
 * A certificate serial as node-forge takes it (hex, written as the DER INTEGER's bytes):
 * positive and minimally encoded, as X.509 requires and OpenSSL enforces. The first byte is
 * forced into 0x40-0x7f, so it is neither a sign byte nor padding: a leading zero byte
 * followed by another (one random first byte in 256, before) is "illegal padding" to
 * OpenSSL, and the node's start failed on it.
 */
export function serialNumberHex(random: Uint8Array): string {
  const bytes = Buffer.from(random);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/** A self-signed certificate for this node's names and addresses, made with node-forge. */
export function selfSignedCertificate(names: readonly string[], now: Date): { cert: string; key: string } {
  const forge = forgeLib();
  const key = rsaKeyPem();
  const { privateKey, publicKey } = forgeKeys(key);
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumberHex(randomBytes(16));
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + 3 * 365 * 86_400_000);
  const attrs = [
    { name: 'commonName', value: names[0] ?? 'sluice' },
    { name: 'organizationName', value: 'Sluice load balancer (self-signed)' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNameEntries(names) },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key };
}

/** Check a chain and key as TLS will use them; returns the normalised PEM pair. */
export function checkPair(certText: string, keyText: string, passphrase: string | undefined, now: Date) {
  const certPems = pemBlocks(certText).filter((b) => b.type === 'CERTIFICATE');
  if (certPems.length === 0) throw invalid('certificate', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  const chain = certPems.map((block, i) => {
    try {
      return new X509Certificate(block.pem);
    } catch (cause) {
      throw invalid('certificate', `certificate ${i + 1} cannot be read`, cause);
    }
  });
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    keyObject = createPrivateKey({ key: keyText, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (cause) {
    const encrypted = /ENCRYPTED/.test(keyText);
    throw invalid(
      encrypted ? 'passphrase' : 'key',
      encrypted ? 'the key is encrypted and the passphrase does not open it' : 'is not a readable PEM private key',
      cause,
    );
  }
  const leaf = chain[0] as X509Certificate;
  if (!leaf.checkPrivateKey(keyObject)) throw invalid('key', 'does not belong to the certificate');
  if (new Date(leaf.validTo).getTime() <= now.getTime()) throw invalid('certificate', `expired on ${leaf.validTo}`);
  const key = keyObject.export({ type: 'pkcs8', format: 'pem' }) as string;
  const cert = certPems.map((b) => b.pem).join('');
  try {
    createSecureContext({ cert, key });
  } catch (cause) {
    throw invalid('certificate', 'TLS cannot use this certificate and key', cause);
  }
  return { cert, key, chain };
}

export function fromPkcs12(data: string, password: string) {
  const forge = forgeLib();
  let der: string;
  try {
    der = Buffer.from(data.replace(/^data:[^,]*,/, ''), 'base64').toString('binary');
  } catch (cause) {
    throw invalid('data', 'is not base64', cause);
  }
  let p12: Forge.pkcs12.Pkcs12Pfx;
  try {
    // Bounded: node-forge derives the keys synchronously, on the event loop.
    p12 = withIterationBudget(forge, () => forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, password));
  } catch (cause) {
    if (cause instanceof ApplianceError) throw cause;
    throw invalid(
      /password|MAC/i.test(String(cause)) ? 'password' : 'data',
      /password|MAC/i.test(String(cause)) ? 'the password does not open this PKCS#12 file' : 'is not a PKCS#12 file',
      cause,
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag as string })[
      forge.pki.oids.pkcs8ShroudedKeyBag as string
    ] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag as string })[forge.pki.oids.keyBag as string] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag as string })[forge.pki.oids.certBag as string] ?? [];
  const keyBag = keyBags.find((bag) => bag.key !== undefined);
  if (keyBag?.key === undefined) throw invalid('data', 'holds no (RSA) private key; upload PEM for other key types');
  const certs = certBags.flatMap((bag) => (bag.cert ? [forge.pki.certificateToPem(bag.cert)] : []));
  if (certs.length === 0) throw invalid('data', 'holds no certificate');
  const key = forge.pki.privateKeyToPem(keyBag.key);
  // The leaf first: the certificate whose public key is the key's.
  const publicPem = createPublicKey(key).export({ type: 'spki', format: 'pem' });
  const isLeaf = (pem: string) =>
    new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'pem' }) === publicPem;
  certs.sort((a, b) => Number(isLeaf(b)) - Number(isLeaf(a)));
  return { cert: certs.join(''), key };
}

/**
 * The certificate of the web servers (:9443). Created self-signed on first start, replaced
 * by an upload or by the signed answer to a request made here.
 */
export async function openWebCertificates(options: WebCertificatesOptions): Promise<WebCertificates> {
  const now = options.now ?? (() => new Date());
  const serverFile = join(options.dir, 'server.pem');
  const requestFile = join(options.dir, 'request.json');
  await mkdir(options.dir, { recursive: true, mode: 0o700 });

  const load = async () => {
    // Bounded like every certificate file: whatever sits at the path cannot hang the start.
    const text = await readCertificateFile(serverFile, 'server.pem').catch((error: ApplianceError) => {
      if ((error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    const key = pemBlocks(text).find((b) => b.type.endsWith('PRIVATE KEY'))?.pem ?? '';
    return checkPair(text, key, undefined, new Date(0));
  };

  let current = await load();
  if (current === undefined) {
    const made = selfSignedCertificate(options.names, now());
    await writeFileAtomically(serverFile, made.key + made.cert, 0o600);
    current = checkPair(made.cert, made.key, undefined, now());
  }
  let pendingRequest: (PendingRequest & { key: string }) | undefined = await readFile(requestFile, 'utf8')
    .then((text) => JSON.parse(text) as PendingRequest & { key: string })
    .catch(() => undefined);

  const listeners = new Set<(material: { cert: string; key: string }) => void>();
  let state = current;

  const put = async (pair: { cert: string; key: string; chain: X509Certificate[] }) => {
    await writeFileAtomically(serverFile, pair.key + pair.cert, 0o600);
    state = pair;
    for (const listener of listeners) listener({ cert: pair.cert, key: pair.key });
    return describe(pair.chain);
  };

  return {
    material: () => ({ cert: state.cert, key: state.key }),
    info: () => describe(state.chain),
    pending: () =>
      pendingRequest && {
        commonName: pendingRequest.commonName,
        altNames: pendingRequest.altNames,
        csr: pendingRequest.csr,
        createdAt: pendingRequest.createdAt,
      },

    async install(upload) {
      if (upload.format === 'pkcs12') {
        if (typeof upload.data !== 'string' || upload.data === '') throw invalid('data', 'is empty');
        const pair = fromPkcs12(upload.data, upload.password ?? '');
        return put(checkPair(pair.cert, pair.key, undefined, now()));
      }
      if (typeof upload.certificate !== 'string' || upload.certificate.trim() === '') {
        throw invalid('certificate', 'is empty');
      }
      const keyText = upload.key?.trim()
        ? upload.key
        : (pemBlocks(upload.certificate).find((b) => b.type.endsWith('PRIVATE KEY'))?.pem ?? pendingRequest?.key);
      if (keyText === undefined) {
        throw invalid('key', 'is missing: give the key, or make a certificate request here first');
      }
      const pair = checkPair(upload.certificate, keyText, upload.passphrase, now());
      const info = await put(pair);
      if (pendingRequest !== undefined && keyText === pendingRequest.key) {
        pendingRequest = undefined;
        await rm(requestFile, { force: true });
      }
      return info;
    },

    async createRequest({ commonName, altNames = [], organization }) {
      const name = /^[A-Za-z0-9*.:-]{1,253}$/;
      if (typeof commonName !== 'string' || !name.test(commonName)) {
        throw invalid('commonName', 'must be a host name or address');
      }
      altNames.forEach((alt, i) => {
        if (typeof alt !== 'string' || !name.test(alt))
          throw invalid(`altNames[${i}]`, 'must be a host name or address');
      });
      if (organization !== undefined && (typeof organization !== 'string' || organization.length > 64)) {
        throw invalid('organization', 'must be text of at most 64 characters');
      }
      const forge = forgeLib();
      const key = rsaKeyPem();
      const { privateKey, publicKey } = forgeKeys(key);
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = publicKey;
      csr.setSubject([
        { name: 'commonName', value: commonName },
        ...(organization ? [{ name: 'organizationName', value: organization }] : []),
      ]);
      const names = [commonName, ...altNames.filter((alt) => alt !== commonName)];
      csr.setAttributes([
        { name: 'extensionRequest', extensions: [{ name: 'subjectAltName', altNames: altNameEntries(names) }] },
      ]);
      csr.sign(privateKey, forge.md.sha256.create());
      const request = {
        commonName,
        altNames: names,
        csr: forge.pki.certificationRequestToPem(csr),
        createdAt: now().toISOString(),
        key,
      };
      await writeFileAtomically(requestFile, JSON.stringify(request), 0o600);
      pendingRequest = request;
      const { key: _key, ...shown } = request;
      return shown;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
