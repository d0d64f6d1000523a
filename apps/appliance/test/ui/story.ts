import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { selfSignedCertificate } from '../../src/web/index.js';
import { ADMIN_PASSWORD, Client } from '../api/harness.js';

/**
 * The administrator's story in the browser, step by step; the same steps run against the
 * API with fakes (browser.test.ts) and against the real daemon in the lab
 * (browser-daemon.netns.test.ts).
 */
export interface UiTarget {
  http: string;
  https: string;
  initialPassword(): Promise<string>;
  /** The PEM certificate the HTTPS server presents now. */
  currentCertificate(): Promise<string>;
}

// Tests write their screenshots to the untracked build folder: running them changes no
// tracked file. `npm run gallery` copies the ones the README shows into docs/screenshots.
export const SHOTS = join(import.meta.dirname, '..', '..', 'build', 'screenshots');

/** An API client logged in as admin (after the browser changed the first password). */
export async function adminClient(target: UiTarget): Promise<Client> {
  const client = new Client(target.http);
  const answer = await client.login('admin', ADMIN_PASSWORD);
  if (answer.status !== 200) throw new Error(`login failed: ${answer.text}`);
  return client;
}

/** GET over HTTPS trusting only `ca`: the status and the fingerprint of the certificate presented. */
export function fetchWithCa(url: string, ca: string): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Inputs without a label (or aria-label) on the page: should be none. */
export const unlabelled = (page: Page) =>
  page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
    els
      .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
      .map((el) => el.outerHTML),
  );

export type Shot = (name: string) => Promise<unknown>;

export async function openFirstPage(page: Page, target: UiTarget, shot: Shot): Promise<number> {
  const started = Date.now();
  await page.goto(`${target.http}/`);
  await page.getByLabel('User name').waitFor();
  const elapsed = Date.now() - started;
  expect(page.url()).toBe(`${target.http}/lbadmin/`);
  expect(await unlabelled(page)).toEqual([]);
  await shot('01-login');
  return elapsed;
}

export async function firstLogin(page: Page, target: UiTarget, shot: Shot): Promise<void> {
  const initial = await target.initialPassword();
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('wrong password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Wrong user name or password.').waitFor();
  await page.getByLabel('Password', { exact: true }).fill(initial);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
  await shot('02-first-login-password');
  await page.getByLabel('Current password').fill(initial);
  await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('New password again').fill('not the same');
  await page.getByText('does not match the new password').waitFor();
  await page.getByLabel('New password again').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  // First access with nothing configured: the wizard.
  await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
  expect(await page.content()).not.toContain(initial);
}

export interface WizardAnswers {
  nodeAddress: string;
  mode: 'dr' | 'nat' | 'snat';
  /** NAT: this node's address on the real servers' network (on eth1). */
  internalAddress?: string;
  vip: string;
  port: number;
  serverLabel: string;
  serverAddress: string;
  serverPort?: number;
  /** Further real servers, each in a row of its own. */
  moreServers?: { label: string; address: string; port?: number }[];
}

/** A NAT service on 192.0.2.10:80 with one real server behind eth1: the walks with the fake engine make it. */
export const NAT_SERVICE: WizardAnswers = {
  nodeAddress: '192.0.2.5/24',
  mode: 'nat',
  internalAddress: '198.51.100.1/24',
  vip: '192.0.2.10',
  port: 80,
  serverLabel: 'alpha_server',
  serverAddress: '198.51.100.21',
  serverPort: 8080,
};

/**
 * Fill the heartbeat form with a pair whose deadtime (150 ms) is under twice its keepalive
 * (100 ms): the model's rule refuses it, at the field `Deadtime (ms)`.
 */
export async function fillShortDeadtime(form: Locator): Promise<void> {
  const field = (label: string) => form.getByLabel(label, { exact: true });
  await field('Peer node name').fill('lbslave');
  await field('Peer address').fill('203.0.113.2');
  await field('Links').fill('eth0');
  await field('Shared key').fill('a-long-shared-secret-key');
  await field('Keepalive (ms)').fill('100');
  await field('Deadtime (ms)').fill('150');
}

/** The modes as the wizard names them (the configuration keeps dr, nat and snat). */
export const MODE_NAMES = { dr: 'Layer 4 DR', nat: 'Layer 4 NAT', snat: 'Layer 7 SNAT' } as const;

/** The web wizard asks the console wizard's questions (their prompts are the labels). */
export async function completeWizard(page: Page, answers: WizardAnswers, shot: Shot): Promise<void> {
  const next = () => page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel(/^This node's IP address/).fill('192.0.2.5');
  await page.getByText('must be an address with its prefix length (192.0.2.10/24)').waitFor();
  await page.getByLabel(/^This node's IP address/).fill(answers.nodeAddress);
  await expect.poll(() => page.locator('.error:not(:empty)').count()).toBe(0);
  await shot('03-wizard-node');
  await next();
  await page.getByRole('radio', { name: new RegExp(`^${MODE_NAMES[answers.mode]}`) }).check();
  // The internal network is a step only in NAT mode, listed as soon as NAT is chosen.
  const internal = page.getByRole('list', { name: 'Steps' }).getByText('Internal network');
  await expect.poll(() => internal.count()).toBe(answers.mode === 'nat' ? 1 : 0);
  await shot('04-wizard-mode');
  await next();
  if (answers.mode === 'nat') {
    await page.getByText(/default gateway must be the balancer's internal address/).waitFor();
    await page.getByLabel(/address on the real servers' network/).fill(answers.internalAddress ?? '');
    await shot('05-wizard-nat-internal');
    await next();
  }
  // A wrong VIP: the check's message appears beside the field before any submit.
  await page.getByLabel(/^The virtual IP \(VIP\)/).fill('192.0.2.300');
  await page.getByText('must be an IPv4 or IPv6 address').waitFor();
  await page.getByLabel(/^The virtual IP \(VIP\)/).fill(answers.vip);
  await expect.poll(() => page.getByText('must be an IPv4 or IPv6 address').count()).toBe(0);
  await page.getByLabel('Its port').fill(String(answers.port));
  await shot('06-wizard-vip');
  await next();
  await fillRealServers(page, answers);
  await shot('07-wizard-real-server');
  await next();
  await page.locator('dl[aria-label="Summary"]').waitFor();
  await shot('08-wizard-review');
  await page.getByRole('button', { name: 'Create this configuration' }).click();
  await page.getByRole('heading', { name: 'System overview' }).waitFor();
}

/** The wizard's real server rows: the first, then one added row for each further server. */
export async function fillRealServers(page: Page, answers: WizardAnswers): Promise<void> {
  const servers = [
    { label: answers.serverLabel, address: answers.serverAddress, port: answers.serverPort },
    ...(answers.moreServers ?? []),
  ];
  for (const [i, server] of servers.entries()) {
    const row = `Real server ${i + 1}`;
    if (i > 0) {
      await page.getByRole('button', { name: 'Add a real server' }).click();
      await page.getByLabel(`${row} label`).waitFor();
    }
    await page.getByLabel(`${row} label`).fill(server.label);
    await page.getByLabel(`${row} address`).fill(server.address);
    if (server.port !== undefined) await page.getByLabel(`${row} port`).fill(String(server.port));
  }
  await expect.poll(() => page.locator('.error:not(:empty)').count()).toBe(0);
}

/** Add a real server with the service's form, passing through a live validation error. */
export async function addRealServer(
  page: Page,
  target: UiTarget,
  layer: 'layer4' | 'layer7',
  service: string,
  server: { label: string; address: string; port: number },
  shot: Shot,
): Promise<void> {
  await page.goto(`${target.http}/lbadmin/#/config/${layer}/edit/${service}`);
  await page.getByRole('button', { name: 'Add real server' }).click();
  const form = page.getByRole('form', { name: 'real server new' });
  await form.getByLabel('Label').fill(server.label);
  await form.getByLabel('Real server IP address').fill(server.address);
  await form.getByLabel('Port', { exact: true }).fill('70000');
  await form.getByText('must be a port, 1-65535').waitFor();
  await form.getByLabel('Port', { exact: true }).fill(String(server.port));
  await expect.poll(() => form.locator('.error:not(:empty)').count()).toBe(0);
  expect(await unlabelled(page)).toEqual([]);
  await shot(`09-config-${layer}-edit`);
  await form.getByRole('button', { name: 'Add real server' }).click();
  await page.getByRole('cell', { name: server.label, exact: true }).waitFor();
}

/**
 * Take `server` offline in the overview: its row turns blue without a reload (the
 * window keeps a marker set before). `during` runs while it is offline.
 */
export async function offlineAndBack(
  page: Page,
  target: UiTarget,
  layer: 'layer4' | 'layer7',
  service: string,
  server: string,
  shot: Shot,
  during: () => Promise<void> = async () => {},
): Promise<void> {
  await page.goto(`${target.http}/lbadmin/#/overview`);
  const row = page.locator(`[data-server="${layer}/${service}/${server}"]`);
  await expect.poll(() => row.getAttribute('data-colour'), { timeout: 30_000 }).toBe('green');
  await shot('10-overview');
  await page.evaluate(() => {
    (window as unknown as { marker: number }).marker = 42;
  });
  // From the click to the blue row (the API's answer and the pushed status), timed in the page.
  const blueAfter = page.evaluate((key) => {
    const start = performance.now();
    return new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        if (document.querySelector(`[data-server="${key}"]`)?.getAttribute('data-colour') === 'blue') {
          observer.disconnect();
          resolve(performance.now() - start);
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    });
  }, `${layer}/${service}/${server}`);
  await page.getByRole('button', { name: `Take offline ${server}` }).click();
  await expect.poll(() => row.getAttribute('data-colour'), { timeout: 30_000 }).toBe('blue');
  console.log(`take offline -> blue in the overview: ${(await blueAfter).toFixed(0)} ms`);
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  await shot('11-overview-offline');
  await during();
  await page.getByRole('button', { name: `Online ${server}` }).click();
  await expect.poll(() => row.getAttribute('data-colour'), { timeout: 30_000 }).toBe('green');
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  expect(await page.locator('#statusbar').textContent()).toMatch(/Active/);
}

/** Upload a PEM certificate; the HTTPS server presents it at once, and Chromium reaches /lbadmin/ over it. */
export async function uploadCertificate(page: Page, target: UiTarget, browser: Browser, shot: Shot): Promise<void> {
  const uploaded = selfSignedCertificate(['uploaded.sluice.test', '127.0.0.1'], new Date());
  await page.goto(`${target.http}/lbadmin/#/certificate`);
  await page.getByRole('heading', { name: 'Current certificate' }).waitFor();
  const before = await fetchWithCa(`${target.https}/lbadmin/`, await target.currentCertificate());
  const pem = (name: string, text: string) => ({ name, mimeType: 'application/x-pem-file', buffer: Buffer.from(text) });
  await page.getByLabel('Certificate (PEM, chain after it)').setInputFiles(pem('site.crt', uploaded.cert));
  await page.getByLabel('Private key (PEM)').setInputFiles(pem('site.key', uploaded.key));
  await page.getByRole('button', { name: 'Upload PEM certificate' }).click();
  await page.locator('#current-certificate').getByText('uploaded.sluice.test, 127.0.0.1').waitFor();
  await shot('12-https-certificate');
  const after = await fetchWithCa(`${target.https}/lbadmin/`, uploaded.cert);
  expect(after.status).toBe(200);
  expect(after.fingerprint).not.toBe(before.fingerprint);
  // Chromium does not trust the test certificate's issuer, hence ignoreHTTPSErrors; Node's check above did trust it.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const secure = await context.newPage();
  await secure.goto(`${target.https}/lbadmin/`);
  await secure.getByLabel('User name').fill('admin');
  await secure.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await secure.getByRole('button', { name: 'Log in' }).click();
  await secure.getByRole('heading', { name: 'System overview' }).waitFor();
  // Over HTTPS the session cookie is Secure, and always HttpOnly and SameSite=Strict.
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: 'sluice_session', secure: true, httpOnly: true, sameSite: 'Strict' });
  await context.close();
  // A key that does not belong to the certificate is refused, naming the field.
  const other = selfSignedCertificate(['other.test'], new Date());
  await page.getByLabel('Certificate (PEM, chain after it)').setInputFiles(pem('a.crt', uploaded.cert));
  await page.getByLabel('Private key (PEM)').setInputFiles(pem('b.key', other.key));
  await page.getByRole('button', { name: 'Upload PEM certificate' }).click();
  await page.getByText('key: does not belong to the certificate').waitFor();
}

/** Download a backup, delete a real server, restore the backup: the server is back. */
export async function backupAndRestore(
  page: Page,
  target: UiTarget,
  layer: 'layer4' | 'layer7',
  service: string,
  server: string,
  shot: Shot,
): Promise<void> {
  await page.goto(`${target.http}/lbadmin/#/maintenance`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download backup' }).click(),
  ]);
  const path = await download.path();
  const backup = JSON.parse(await readFile(path, 'utf8'));
  const servers = (config: { [k: string]: { label: string; realServers: { label: string }[] }[] }) =>
    config[layer]?.find((s) => s.label === service)?.realServers.map((r) => r.label) ?? [];
  expect(servers(backup.config)).toContain(server);
  const admin = await adminClient(target);
  const removed = await admin.delete(
    `/api/v1/${layer}/services/${service}/real-servers/${server}?version=${await admin.version()}`,
  );
  expect(removed.status).toBe(200);
  await page.reload();
  await page.getByLabel('Backup file').setInputFiles(path);
  // Unlike a rollback, a restore brings back the backup's users: the question says so.
  const [dialog] = await Promise.all([
    page.waitForEvent('dialog'),
    page.getByRole('button', { name: 'Restore backup' }).click(),
  ]);
  expect(dialog.message()).toContain("the backup's users and passwords come back with it");
  await expect.poll(async () => servers((await admin.get('/api/v1/config')).body.config)).toContain(server);
  await shot('13-maintenance');
}

/** The diff just drawn: its heading has the focus and is in the window, and the page is no wider than the window. */
async function expectDiffShown(page: Page, heading: string): Promise<void> {
  await page.getByRole('heading', { name: heading }).waitFor();
  const shown = await page.evaluate(() => {
    const focused = document.activeElement;
    const top = focused?.getBoundingClientRect().top ?? -1;
    const root = document.documentElement;
    return {
      focused: focused?.textContent,
      inWindow: top >= 0 && top < window.innerHeight,
      scrollWidth: root.scrollWidth,
      clientWidth: root.clientWidth,
    };
  });
  expect(shown).toMatchObject({ focused: heading, inWindow: true });
  expect(shown.scrollWidth).toBeLessThanOrEqual(shown.clientWidth);
}

/**
 * Look at everything changed since the oldest version (users included: no password hash
 * shown), change a weight through the API, see the change in the history's diff, roll it
 * back from the page after a confirmation that says what comes back.
 */
export async function rollBack(
  page: Page,
  target: UiTarget,
  layer: 'layer4' | 'layer7',
  service: string,
  server: { label: string; address: string; port: number },
  shot: Shot,
): Promise<void> {
  const admin = await adminClient(target);
  const before = (await admin.get('/api/v1/config')).body;
  const weight = async () =>
    (await admin.get(`/api/v1/${layer}/services/${service}/real-servers/${server.label}`)).body.item.weight;
  expect(await weight()).toBe(1);
  const changed = await admin.put(
    `/api/v1/${layer}/services/${service}/real-servers/${server.label}?version=${before.version}`,
    { address: server.address, port: server.port, weight: 7 },
  );
  expect(changed.status).toBe(200);
  const current = before.version + 1;
  await page.goto(`${target.http}/lbadmin/#/maintenance`);
  // The page may already be at #/maintenance: reload to read the history anew.
  await page.reload();

  // The oldest version listed has no user yet (the first admin came after it): its diff adds the
  // services and the users, every password hash redacted, every long value wrapped in its cell.
  const oldest = Number(await page.locator('tr[data-version]').last().getAttribute('data-version'));
  await page.getByRole('button', { name: `Diff to current: version ${oldest}` }).click();
  await expectDiffShown(page, `Changes from version ${oldest} to version ${current}`);
  const all = page.getByRole('table', { name: 'Differences' });
  await all.getByRole('cell', { name: 'administration.users["admin"]', exact: true }).waitFor();
  const text = await all.textContent();
  expect(text).toContain('"passwordHash": "(redacted)"');
  expect(text).not.toMatch(/\$scrypt\$/);
  await shot('50-history-diff-since-first');

  await page.getByRole('button', { name: `Diff to current: version ${before.version}` }).click();
  await expectDiffShown(page, `Changes from version ${before.version} to version ${current}`);
  await page.getByRole('cell', { name: `${layer}["${service}"].realServers["${server.label}"].weight` }).waitFor();
  await shot('14-history-diff');

  // The confirmation names the version and its time (as the history shows it), and says
  // that the users and passwords are not rolled back.
  const time = await page.locator(`tr[data-version="${before.version}"] td`).nth(1).textContent();
  const [dialog] = await Promise.all([
    page.waitForEvent('dialog'),
    page.getByRole('button', { name: `Roll back to version ${before.version}` }).click(),
  ]);
  expect(dialog.message()).toContain(`Roll back to version ${before.version} of ${time} (`);
  expect(dialog.message()).toContain("that version's whole configuration: services and real servers");
  expect(dialog.message()).toContain('heartbeat (with its key)');
  expect(dialog.message()).toContain("It does not bring back that version's users and passwords");
  await expect.poll(weight).toBe(1);
}

export async function keyboardLogin(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByLabel('User name').waitFor();
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /^(System overview|Setup wizard)$/ }).waitFor();
}

/** Import an haproxy.cfg through the Import page: the preview (nothing stored), then apply. */
export async function importConfiguration(page: Page, target: UiTarget, shot: Shot): Promise<void> {
  const admin = await adminClient(target);
  const before = await admin.version();
  await page.goto(`${target.http}/lbadmin/#/import`);
  await page.getByLabel('Format').selectOption('haproxy');
  const cfg = [
    'defaults',
    '    mode http',
    'frontend shop',
    '    bind 203.0.113.80:80',
    '    timeout client 30s',
    '    option forwardfor',
    '    default_backend shop_servers',
    'backend shop_servers',
    '    server s1 203.0.113.81:8080 check',
    '    server s2 203.0.113.82:8080 check',
    '',
  ].join('\n');
  await page.getByLabel('Configuration file').setInputFiles({
    name: 'haproxy.cfg',
    mimeType: 'text/plain',
    buffer: Buffer.from(cfg),
  });
  await page.getByRole('button', { name: 'Preview the import' }).click();
  await page.getByRole('heading', { name: 'Preview' }).waitFor();
  await expect
    .poll(() => page.getByRole('status').first().textContent())
    .toMatch(/mapped from 1 file\(s\) \(haproxy\.cfg\)/);
  // The directive with no counterpart, at its file and line.
  await page.getByRole('cell', { name: 'haproxy.cfg:5' }).waitFor();
  // The earlier test's toast gone first: the picture shows this page alone.
  await expect.poll(() => page.locator('#toast > *').count(), { timeout: 10_000 }).toBe(0);
  await shot('75-import-preview');
  // Nothing stored by the preview.
  expect(await admin.version()).toBe(before);
  await page.getByRole('button', { name: 'Apply the import' }).click();
  await page.getByText(`Imported as configuration version ${before + 1}`).waitFor();
  const config = (await admin.get('/api/v1/config')).body.config;
  expect(config.layer7.map((s: { label: string }) => s.label)).toContain('shop');
}
