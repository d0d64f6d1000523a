import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { open as fsOpen, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApplianceError } from '../../src/errors.js';
import { serialNumberHex } from '../../src/web/certificates.js';
import { openWebCertificates, selfSignedCertificate } from '../../src/web/index.js';
import { storeTerminationCertificate } from '../../src/web/termination-certificates.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const names = ['lb1.example.test', '192.0.2.5', '2001:db8::5'];

async function rejection(promise: Promise<unknown>): Promise<ApplianceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplianceError);
  return error as ApplianceError;
}

/** A PKCS#12 structure holding a certificate and its key; `options` as node-forge takes them. */
function pkcs12Asn1(
  pair: { cert: string; key: string },
  password: string,
  options: { count?: number; useMac?: boolean } = {},
): forge.asn1.Asn1 {
  return forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(pair.key),
    [forge.pki.certificateFromPem(pair.cert)],
    password,
    { algorithm: '3des', ...options },
  );
}

/** A PKCS#12 file (base64) holding a certificate and its key, as a CA or Windows would export it. */
function pkcs12(pair: { cert: string; key: string }, password: string): string {
  return Buffer.from(forge.asn1.toDer(pkcs12Asn1(pair, password)).getBytes(), 'binary').toString('base64');
}

/** Sign a CSR with a throw-away CA, as the administrator's CA would. */
function signRequest(csrPem: string): string {
  const caKeys = forge.pki.rsa.generateKeyPair(1024);
  const csr = forge.pki.certificationRequestFromPem(csrPem);
  expect(csr.verify()).toBe(true);
  const cert = forge.pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(NOW.getTime() - 1000);
  cert.validity.notAfter = new Date(NOW.getTime() + 86_400_000 * 365);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer([{ name: 'commonName', value: 'Test CA' }]);
  const extensionRequest = csr.getAttribute({ name: 'extensionRequest' }) as { extensions: object[] } | null;
  cert.setExtensions(extensionRequest?.extensions ?? []);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

describe('self-signed certificate serials', () => {
  // One random first byte in 256 was 0x00, which made the serial "00 00 ..": OpenSSL refuses
  // that as illegal padding, and the node's first start failed with CERTIFICATE_INVALID.
  it('are positive and minimally encoded whatever the random bytes, so OpenSSL reads every one', () => {
    const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
    const edges = [0x00, 0x01, 0x3f, 0x7f, 0x80, 0xc0, 0xff].flatMap((first) =>
      [0x00, 0x80].map((second) => Uint8Array.from([first, second, ...new Array<number>(14).fill(0xab)])),
    );
    for (const random of edges) {
      const serial = serialNumberHex(random);
      expect(serial).toMatch(/^[4-7][0-9a-f]{31}$/);
      const cert = forge.pki.createCertificate();
      cert.publicKey = keys.publicKey;
      cert.serialNumber = serial;
      cert.validity.notBefore = NOW;
      cert.validity.notAfter = new Date(NOW.getTime() + 86_400_000);
      cert.setSubject([{ name: 'commonName', value: 'serial.test' }]);
      cert.setIssuer([{ name: 'commonName', value: 'serial.test' }]);
      cert.sign(keys.privateKey, forge.md.sha256.create());
      expect(new X509Certificate(forge.pki.certificateToPem(cert)).serialNumber).toBe(serial.toUpperCase());
    }
  });
});

describe('web certificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-web-tls-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const open = () => openWebCertificates({ dir, names, now: () => NOW });

  it('creates a self-signed certificate for the node names and addresses on first start, kept across restarts', async () => {
    const first = await open();
    const info = first.info();
    expect(info.subject).toContain('CN=lb1.example.test');
    expect(info.selfSigned).toBe(true);
    expect(info.altNames).toEqual(['lb1.example.test', '192.0.2.5', '2001:DB8:0:0:0:0:0:5']);
    const x509 = new X509Certificate(first.material().cert);
    expect(x509.checkHost('lb1.example.test')).toBe('lb1.example.test');
    expect(x509.checkIP('192.0.2.5')).toBe('192.0.2.5');
    expect((await stat(join(dir, 'server.pem'))).mode & 0o777).toBe(0o600);
    const again = await open();
    expect(again.info().fingerprint256).toBe(info.fingerprint256);
  });

  it('installs an uploaded PEM pair, tells its listeners, and keeps it after a restart', async () => {
    const certificates = await open();
    const uploaded = selfSignedCertificate(['www.example.test'], NOW);
    const seen: string[] = [];
    certificates.onChange((material) => seen.push(material.cert));
    const info = await certificates.install({ format: 'pem', certificate: uploaded.cert, key: uploaded.key });
    expect(info.altNames).toEqual(['www.example.test']);
    expect(seen.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual([info.fingerprint256]);
    expect((await open()).info().fingerprint256).toBe(info.fingerprint256);
  });

  it('refuses a key of another certificate, an expired certificate and garbage, naming the field, and keeps the current one', async () => {
    const certificates = await open();
    const current = certificates.info().fingerprint256;
    const a = selfSignedCertificate(['a.test'], NOW);
    const b = selfSignedCertificate(['b.test'], NOW);
    const mismatch = await rejection(certificates.install({ format: 'pem', certificate: a.cert, key: b.key }));
    expect([mismatch.code, mismatch.field]).toEqual(['CERTIFICATE_INVALID', 'key']);
    const old = selfSignedCertificate(['old.test'], new Date('2020-01-01T00:00:00Z'));
    const expired = await rejection(certificates.install({ format: 'pem', certificate: old.cert, key: old.key }));
    expect([expired.code, expired.field]).toEqual(['CERTIFICATE_INVALID', 'certificate']);
    expect((await rejection(certificates.install({ format: 'pem', certificate: 'hello', key: a.key }))).field).toBe(
      'certificate',
    );
    expect((await rejection(certificates.install({ format: 'pem', certificate: a.cert, key: 'nope' }))).field).toBe(
      'key',
    );
    expect((await rejection(certificates.install({ format: 'pem', certificate: a.cert }))).field).toBe('key');
    expect(certificates.info().fingerprint256).toBe(current);
    expect((await open()).info().fingerprint256).toBe(current);
  });

  it('installs a PKCS#12 file with its password and refuses a wrong password', async () => {
    const certificates = await open();
    const pair = selfSignedCertificate(['p12.example.test'], NOW);
    const data = pkcs12(pair, 'secret password');
    const wrong = await rejection(certificates.install({ format: 'pkcs12', data, password: 'guess' }));
    expect([wrong.code, wrong.field]).toEqual(['CERTIFICATE_INVALID', 'password']);
    const notP12 = await rejection(certificates.install({ format: 'pkcs12', data: 'aGVsbG8=', password: 'x' }));
    expect(notP12.field).toBe('data');
    const info = await certificates.install({ format: 'pkcs12', data, password: 'secret password' });
    expect(info.fingerprint256).toBe(new X509Certificate(pair.cert).fingerprint256);
  });

  it('refuses a PKCS#12 file whose MAC asks 2,000,000 iterations before deriving any key', async () => {
    const certificates = await open();
    const current = certificates.info().fingerprint256;
    const pair = selfSignedCertificate(['p12.example.test'], NOW);
    // A file as OpenSSL writes it (2,048 iterations), its MAC count raised as an attacker would.
    const asn1 = pkcs12Asn1(pair, 'pw', { count: 2048 });
    const macData = asn1.value[2] as forge.asn1.Asn1;
    (macData.value as forge.asn1.Asn1[])[2] = forge.asn1.create(
      forge.asn1.Class.UNIVERSAL,
      forge.asn1.Type.INTEGER,
      false,
      forge.asn1.integerToDer(2_000_000).getBytes(),
    );
    const data = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
    const derivations = vi.spyOn(forge.pkcs12, 'generateKey');
    try {
      const refused = await rejection(certificates.install({ format: 'pkcs12', data, password: 'pw' }));
      expect([refused.code, refused.field]).toEqual(['CERTIFICATE_PKCS12_ITERATIONS', 'data']);
      expect(refused.message).toContain('2000000');
      const termination = await rejection(
        storeTerminationCertificate(join(dir, 'tls'), 'site', { format: 'pkcs12', data, password: 'pw' }, NOW),
      );
      expect(termination.code).toBe('CERTIFICATE_PKCS12_ITERATIONS');
      // Refused on reading the count: the MAC key was never derived.
      expect(derivations).not.toHaveBeenCalled();
    } finally {
      derivations.mockRestore();
    }
    expect(certificates.info().fingerprint256).toBe(current);
  });

  it("refuses a PKCS#12 file whose key bag (not its MAC) asks too many iterations; takes Java's 10,000", async () => {
    const certificates = await open();
    const pair = selfSignedCertificate(['p12.example.test'], NOW);
    const encode = (asn1: forge.asn1.Asn1) =>
      Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
    const heavy = encode(pkcs12Asn1(pair, 'pw', { count: 30_000, useMac: false }));
    const refused = await rejection(certificates.install({ format: 'pkcs12', data: heavy, password: 'pw' }));
    expect([refused.code, refused.field]).toEqual(['CERTIFICATE_PKCS12_ITERATIONS', 'data']);
    const java = encode(pkcs12Asn1(pair, 'pw', { count: 10_000 }));
    const info = await certificates.install({ format: 'pkcs12', data: java, password: 'pw' });
    expect(info.fingerprint256).toBe(new X509Certificate(pair.cert).fingerprint256);
  });

  it('a server.pem that is a FIFO fails the start with CERTIFICATE_INVALID instead of hanging it', async () => {
    const file = join(dir, 'server.pem');
    execFileSync('mkfifo', [file]);
    try {
      const refused = await rejection(open());
      expect([refused.code, refused.field]).toEqual(['CERTIFICATE_INVALID', 'server.pem']);
    } finally {
      // A reader stuck in a blocking open of the FIFO (the old code) gets its end of file.
      const writer = await fsOpen(file, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
      await writer?.close();
    }
  });

  it('makes a key and CSR here; the signed certificate alone then installs with that key', async () => {
    const certificates = await open();
    const request = await certificates.createRequest({ commonName: 'lb.example.test', altNames: ['192.0.2.5'] });
    expect(request.csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(JSON.stringify(request)).not.toContain('PRIVATE KEY');
    expect((await open()).pending()?.csr).toBe(request.csr);
    const signed = signRequest(request.csr);
    const info = await certificates.install({ format: 'pem', certificate: signed });
    expect(info.subject).toContain('CN=lb.example.test');
    expect(info.altNames).toEqual(['lb.example.test', '192.0.2.5']);
    expect(info.selfSigned).toBe(false);
    expect(certificates.pending()).toBeUndefined();
    expect(await readFile(join(dir, 'server.pem'), 'utf8')).toContain(signed.trim());
    const bad = await rejection(certificates.createRequest({ commonName: 'evil\nname' }));
    expect([bad.code, bad.field]).toEqual(['CERTIFICATE_INVALID', 'commonName']);
  });

  it('stores SSL termination certificates as <label>.pem, refusing labels that are paths and pairs without a key', async () => {
    const pair = selfSignedCertificate(['www.example.test'], NOW);
    const stored = await storeTerminationCertificate(
      join(dir, 'certificates'),
      'site',
      { format: 'pem', certificate: pair.cert, key: pair.key },
      NOW,
    );
    expect(stored.file).toBe(join(dir, 'certificates', 'site.pem'));
    expect(stored.info.altNames).toEqual(['www.example.test']);
    const text = await readFile(stored.file, 'utf8');
    expect(text.indexOf('BEGIN CERTIFICATE')).toBeLessThan(text.indexOf('PRIVATE KEY'));
    for (const label of ['../escape', 'a/b', '', '.hidden']) {
      const error = await rejection(
        storeTerminationCertificate(dir, label, { format: 'pem', certificate: pair.cert, key: pair.key }, NOW),
      );
      expect([error.code, error.field], label).toEqual(['CERTIFICATE_INVALID', 'label']);
    }
    const keyless = await rejection(
      storeTerminationCertificate(dir, 'other', { format: 'pem', certificate: pair.cert }, NOW),
    );
    expect(keyless.field).toBe('key');
    const p12 = await storeTerminationCertificate(
      dir,
      'p12',
      { format: 'pkcs12', data: pkcs12(pair, 'pw'), password: 'pw' },
      NOW,
    );
    expect(p12.info.fingerprint256).toBe(stored.info.fingerprint256);
  });
});
