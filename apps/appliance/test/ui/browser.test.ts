import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/web/index.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type Appliance, launchChromium, startAppliance } from './appliance.js';

const SHOTS = join(import.meta.dirname, 'screenshots');
const NEW_PASSWORD = ADMIN_PASSWORD;

/** The certificate the HTTPS server presents, read with Node's TLS client trusting only `ca`. */
function fetchWithCa(url: string, ca: string): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web UI in Chromium against a running appliance', () => {
  let app: Appliance;
  let browser: Browser;
  let page: Page;
  const writes: { method: string; url: string; csrf: string | undefined }[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const unlabelled = () =>
    page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
      els
        .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML),
    );

  beforeAll(async () => {
    app = await startAppliance();
    browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('request', (req) => {
      if (req.url().includes('/api/v1/') && req.method() !== 'GET') {
        writes.push({ method: req.method(), url: req.url(), csrf: req.headers()['x-csrf-token'] });
      }
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('serves the login page at / (redirect to /lbadmin/) quickly, every field labelled', async () => {
    const started = Date.now();
    await page.goto(`${app.http}/`);
    await page.getByLabel('User name').waitFor();
    const elapsed = Date.now() - started;
    console.log(`first page (login form shown): ${elapsed} ms`);
    expect(page.url()).toBe(`${app.http}/lbadmin/`);
    expect(await unlabelled()).toEqual([]);
    await shot('01-login');
  });

  it('logs in with the first-boot password and must change it first', async () => {
    const initial = await app.initialPassword();
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Wrong user name or password.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(initial);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await shot('02-first-login-password');
    await page.getByLabel('Current password').fill(initial);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('New password again').fill('not the same');
    await page.getByText('does not match the new password').waitFor();
    await page.getByLabel('New password again').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    // First access with nothing configured: the wizard.
    await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
    expect(await page.content()).not.toContain(initial);
  });

  it('completes the setup wizard, validating as the user types', async () => {
    await page.getByLabel("This node's IP address (with prefix length)").fill('192.0.2.5/24');
    await shot('03-wizard-node');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Load balancing mode').selectOption('nat');
    await shot('04-wizard-mode');
    await page.getByRole('button', { name: 'Next' }).click();
    // A wrong VIP: the schema's own message appears beside the field before any submit.
    await page.getByLabel('Virtual IP address (VIP)').fill('192.0.2.300');
    await page.getByText('must be an IPv4 or IPv6 address').waitFor();
    await page.getByLabel('Virtual IP address (VIP)').fill('192.0.2.10');
    await expect.poll(() => page.getByText('must be an IPv4 or IPv6 address').count()).toBe(0);
    await shot('05-wizard-vip');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Real server IP address').fill('192.0.2.21');
    await page.getByLabel('Real server port').fill('8080');
    await shot('06-wizard-real-server');
    await page.getByRole('button', { name: 'Next' }).click();
    await shot('07-wizard-review');
    await page.getByRole('button', { name: 'Create this configuration' }).click();
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
    const { config } = (await (await app.harness.admin()).get('/api/v1/config')).body;
    expect(config.layer4).toMatchObject([
      {
        label: 'web',
        vip: '192.0.2.10',
        ports: [80],
        forwarding: 'nat',
        realServers: [{ label: 'alpha_server', address: '192.0.2.21', port: 8080 }],
      },
    ]);
    expect(config.network.interfaces).toEqual([{ name: 'eth0', addresses: ['192.0.2.5/24'] }]);
    expect(config.network.autonat).toEqual({ interface: 'eth0' });
  });

  it('adds a real server through the Layer 4 form', async () => {
    await page.goto(`${app.http}/lbadmin/#/config/layer4/edit/web`);
    await page.getByRole('button', { name: 'Add real server' }).click();
    const form = page.getByRole('form', { name: 'real server new' });
    await form.getByLabel('Label').fill('bravo_server');
    await form.getByLabel('Real server IP address').fill('192.0.2.21');
    await form.getByLabel('Port', { exact: true }).fill('8080');
    // The same address and port as alpha_server is fine; a port out of range is not.
    await form.getByLabel('Port', { exact: true }).fill('70000');
    await form.getByText('Too big: expected number to be <=65535').waitFor();
    await form.getByLabel('Real server IP address').fill('192.0.2.22');
    await form.getByLabel('Port', { exact: true }).fill('8080');
    await expect.poll(() => form.locator('.error:not(:empty)').count()).toBe(0);
    expect(await unlabelled()).toEqual([]);
    await shot('08-config-layer4-edit');
    await form.getByRole('button', { name: 'Add real server' }).click();
    await page.getByRole('cell', { name: 'bravo_server', exact: true }).waitFor();
  });

  it('takes a server offline and sees it turn blue live, then brings it online', async () => {
    await page.goto(`${app.http}/lbadmin/#/overview`);
    const bravo = page.locator('tr[data-server="layer4/web/bravo_server"]');
    await expect.poll(() => bravo.getAttribute('data-colour')).toBe('green');
    await shot('09-overview');
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await page.getByRole('button', { name: 'Take offline bravo_server' }).click();
    await expect.poll(() => bravo.getAttribute('data-colour')).toBe('blue');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await shot('10-overview-offline');
    // A change made elsewhere (the API, another administrator) arrives by itself too.
    const admin = await app.harness.admin();
    await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha_server', { state: 'drain' });
    await expect
      .poll(() => page.locator('tr[data-server="layer4/web/alpha_server"]').getAttribute('data-colour'))
      .toBe('blue');
    await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha_server', { state: 'online' });
    await page.getByRole('button', { name: 'Online bravo_server' }).click();
    await expect.poll(() => bravo.getAttribute('data-colour')).toBe('green');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('#statusbar').innerText()).toMatch(/Active/);
  });

  it('uploads a certificate, and the HTTPS server presents it without a restart', async () => {
    const names = ['uploaded.sluice.test', '127.0.0.1'];
    const uploaded = selfSignedCertificate(names, new Date());
    await page.goto(`${app.http}/lbadmin/#/certificate`);
    await page.getByRole('heading', { name: 'Current certificate' }).waitFor();
    const before = await fetchWithCa(`${app.https}/lbadmin/`, app.web.certificates.material().cert);
    await page
      .getByLabel('Certificate (PEM, chain after it)')
      .setInputFiles({ name: 'site.crt', mimeType: 'application/x-pem-file', buffer: Buffer.from(uploaded.cert) });
    await page
      .getByLabel('Private key (PEM)')
      .setInputFiles({ name: 'site.key', mimeType: 'application/x-pem-file', buffer: Buffer.from(uploaded.key) });
    await page.getByRole('button', { name: 'Upload PEM certificate' }).click();
    await page.locator('#current-certificate').getByText('uploaded.sluice.test, 127.0.0.1').waitFor();
    await shot('11-https-certificate');
    const after = await fetchWithCa(`${app.https}/lbadmin/`, uploaded.cert);
    expect(after.status).toBe(200);
    expect(after.fingerprint).not.toBe(before.fingerprint);
    // The browser reaches the UI over HTTPS with it (Chromium does not trust the test CA, hence ignoreHTTPSErrors).
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const secure = await context.newPage();
    await secure.goto(`${app.https}/lbadmin/`);
    await secure.getByLabel('User name').waitFor();
    await context.close();
    // A key that does not belong to the certificate is refused, naming the field.
    const other = selfSignedCertificate(['other.test'], new Date());
    await page
      .getByLabel('Certificate (PEM, chain after it)')
      .setInputFiles({ name: 'a.crt', mimeType: 'application/x-pem-file', buffer: Buffer.from(uploaded.cert) });
    await page
      .getByLabel('Private key (PEM)')
      .setInputFiles({ name: 'b.key', mimeType: 'application/x-pem-file', buffer: Buffer.from(other.key) });
    await page.getByRole('button', { name: 'Upload PEM certificate' }).click();
    await page.getByText('key: does not belong to the certificate').waitFor();
  });

  it('downloads a backup and restores it', async () => {
    await page.goto(`${app.http}/lbadmin/#/maintenance`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download backup' }).click(),
    ]);
    const path = await download.path();
    const backup = JSON.parse(await readFile(path, 'utf8'));
    expect(backup.config.layer4[0].realServers.map((r: { label: string }) => r.label)).toEqual([
      'alpha_server',
      'bravo_server',
    ]);
    // Remove bravo_server, then restore the backup: it is back.
    const admin = await app.harness.admin();
    const removed = await admin.delete(
      `/api/v1/layer4/services/web/real-servers/bravo_server?version=${await admin.version()}`,
    );
    expect(removed.status).toBe(200);
    await page.reload();
    await page.getByLabel('Backup file').setInputFiles(path);
    await page.getByRole('button', { name: 'Restore backup' }).click();
    await expect.poll(async () => (await admin.get('/api/v1/config')).body.config.layer4[0].realServers.length).toBe(2);
    await shot('12-maintenance');
  });

  it('rolls back a change from the history, after looking at its diff', async () => {
    const admin = await app.harness.admin();
    const before = (await admin.get('/api/v1/config')).body;
    const changed = await admin.put(`/api/v1/layer4/services/web/real-servers/alpha_server?version=${before.version}`, {
      address: '192.0.2.21',
      port: 8080,
      weight: 7,
    });
    expect(changed.status).toBe(200);
    // The page is already at #/maintenance: reload to read the history anew.
    await page.reload();
    await page.getByRole('button', { name: `Diff version ${before.version} against current` }).click();
    await page.getByRole('cell', { name: 'layer4["web"].realServers["alpha_server"].weight' }).waitFor();
    await shot('13-history-diff');
    await page.getByRole('button', { name: `Roll back to version ${before.version}` }).click();
    await expect
      .poll(async () => (await admin.get('/api/v1/config')).body.config.layer4[0].realServers[0].weight)
      .toBe(1);
  });

  it('shows every other page with labelled fields, and sends the CSRF token on every write', async () => {
    const pages: [string, string, string][] = [
      ['config/layer4', 'Layer 4 virtual services', '14-config-layer4'],
      ['config/layer7/new', 'New virtual service', '15-config-layer7-new'],
      ['config/ssl/new', 'New SSL termination', '16-config-ssl'],
      ['config/certificates/new', 'New certificate', '17-config-certificates'],
      ['config/health-checks/new', 'New health check', '18-config-health-checks'],
      ['config/floating-ips', 'Floating IPs', '19-config-floating-ips'],
      ['config/heartbeat', 'Heartbeat', '20-config-heartbeat'],
      ['config/network', 'Network', '21-config-network'],
      ['config/administration', 'Administration', '22-config-administration'],
      ['reports', 'Reports', '23-reports'],
      ['logs', 'Logs', '24-logs'],
    ];
    app.harness.engine.setCounters(
      { layer: 'layer4', service: 'web', server: 'alpha_server' },
      { bytesIn: 1000, bytesOut: 5000 },
    );
    app.harness.api.sampleTraffic();
    app.harness.clock.advance(10_000);
    app.harness.engine.setCounters(
      { layer: 'layer4', service: 'web', server: 'alpha_server' },
      { bytesIn: 90_000, bytesOut: 400_000 },
    );
    app.harness.api.sampleTraffic();
    for (const [route, heading, name] of pages) {
      await page.goto(`${app.http}/lbadmin/#/${route}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      expect(await unlabelled(), route).toEqual([]);
      await shot(name);
    }
    // The logs page shows the audit trail of this session's changes.
    await page.getByLabel('Channel').selectOption('audit');
    await page.getByText('web certificate replaced').first().waitFor();
    expect(await page.content()).not.toMatch(/\$scrypt\$|\$2[aby]\$/);
    expect(writes.length).toBeGreaterThan(8);
    for (const write of writes.filter((w) => !w.url.endsWith('/api/v1/session')))
      expect(write.csrf, write.url).toBeTruthy();
  });

  it('is usable with the keyboard: log out, then log in with Tab and Enter', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('User name').waitFor();
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
  });
});
