import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { certificateUploadRoutes } from '../../src/api/routes/certificates-upload.js';
import { EXPIRY_WARNING_DAYS } from '../../src/model/certificate.js';
import { openWebCertificates } from '../../src/web/index.js';
import { makeTerminationCertificate } from '../../src/web/termination-certificates.js';
import { ADMIN_PASSWORD, type Client, type Harness, startHarness } from './harness.js';

let h: Harness;
let admin: Client;
let terminationDir: string;
beforeEach(async () => {
  h = await startHarness();
  terminationDir = join(h.dir, 'certificates');
  const web = await openWebCertificates({ dir: join(h.dir, 'web-tls'), names: ['lb.example.test'], now: h.clock.now });
  h.api.addRoutes(certificateUploadRoutes(web, h.logs, terminationDir));
  admin = await h.admin();
});
afterEach(() => h.close());

const DAY = 86_400_000;
/** A configuration write, based on the current version. */
const write = async (path: string, body: unknown) =>
  admin.post(path, body, { 'if-match': `"${await admin.version()}"` });
const web = { label: 'web', vip: '192.0.2.10', ports: [80], realServers: [{ label: 'a', address: '192.0.2.20' }] };

describe('SSL termination certificates over the API', () => {
  it('makes a self-signed certificate for the VIP, stored as HAProxy takes it, and audited', async () => {
    const made = await admin.post('/api/v1/certificates/self-signed', { label: 'web-tls', names: ['192.0.2.10'] });
    expect(made.status).toBe(201);
    expect(made.body.file).toBe(join(terminationDir, 'web-tls.pem'));
    expect(made.body.info).toMatchObject({ altNames: ['192.0.2.10'], selfSigned: true, chainLength: 0 });
    const text = await readFile(made.body.file, 'utf8');
    expect(text.indexOf('BEGIN CERTIFICATE')).toBeLessThan(text.indexOf('BEGIN PRIVATE KEY'));
    const audit = h.logs.query({ channels: ['audit'] }).map((r) => r.message);
    expect(audit.some((m) => m.includes('self-signed SSL termination certificate web-tls made for 192.0.2.10'))).toBe(
      true,
    );
  });

  it('refuses a label that is a path and a name that is neither a host name nor an address, naming the field', async () => {
    const path = await admin.post('/api/v1/certificates/self-signed', { label: '../x', names: ['192.0.2.10'] });
    expect([path.status, path.body.error.code, path.body.error.field]).toEqual([400, 'CERTIFICATE_INVALID', 'label']);
    const name = await admin.post('/api/v1/certificates/self-signed', { label: 'x', names: ['a b'] });
    expect([name.status, name.body.error.field]).toEqual([400, 'names[0]']);
    const none = await admin.post('/api/v1/certificates/self-signed', { label: 'x', names: [] });
    expect([none.status, none.body.error.field, none.body.error.message]).toEqual([
      400,
      'names',
      'names: must hold at least one entry',
    ]);
  });

  it('lists each certificate with subject, names, expiry and the terminations using it; warns before expiry', async () => {
    const made = await admin.post('/api/v1/certificates/self-signed', { label: 'site', names: ['192.0.2.10'] });
    // Made three years less 10 days ago: 10 days left, inside the warning.
    const old = await makeTerminationCertificate(
      terminationDir,
      'old',
      ['old.example.test'],
      new Date(h.clock.time - 3 * 365 * DAY + 10 * DAY),
    );
    for (const item of [
      { label: 'site', file: made.body.file },
      { label: 'old', file: old.file },
      { label: 'gone', file: join(terminationDir, 'gone.pem') },
    ]) {
      expect((await write('/api/v1/certificates', item)).status).toBe(201);
    }
    expect((await write('/api/v1/layer7/services', web)).status).toBe(201);
    const tls = { label: 'tls', certificate: 'site', vip: '192.0.2.10', service: 'web' };
    expect((await write('/api/v1/ssl', tls)).status).toBe(201);

    const status = await admin.get('/api/v1/certificate-status');
    expect(status.status).toBe(200);
    const [site, expiring, gone] = status.body;
    expect(site).toMatchObject({
      label: 'site',
      info: { altNames: ['192.0.2.10'], selfSigned: true },
      expiry: { state: 'valid' },
      usedBy: ['tls'],
    });
    expect(site.info.subject).toContain('CN=192.0.2.10');
    expect(expiring).toMatchObject({ label: 'old', expiry: { state: 'expiring', daysLeft: 10 }, usedBy: [] });
    expect(expiring.expiry.daysLeft).toBeLessThan(EXPIRY_WARNING_DAYS);
    expect(gone).toMatchObject({ label: 'gone', usedBy: [] });
    expect(gone.problem).toMatch(/gone\.pem cannot be read/);
    expect(gone.info).toBeUndefined();

    // Past its end the same certificate is expired.
    h.clock.advance(11 * DAY);
    await admin.login('admin', ADMIN_PASSWORD); // the session did not last 11 days
    const later = await admin.get('/api/v1/certificate-status');
    expect(later.body[1].expiry.state).toBe('expired');
  });

  it('needs a login, and is empty while the configuration names no certificate', async () => {
    expect((await h.client().get('/api/v1/certificate-status')).status).toBe(401);
    expect((await admin.get('/api/v1/certificate-status')).body).toEqual([]);
  });
});
