import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Host } from '@sluice/testkit';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabTopology, PAGE_PORT } from '../../src/lab/index.js';
import { startPage, stopPage } from '../../src/lab/page-server.js';
import type { Capability } from '../../src/model/capability.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type LabUi, type RunningDaemon, startLabUi } from './daemon.js';
import { PHONE, pressOnPhone, sidewaysScroll } from './phone.js';
import { adminClient, completeWizard, openFirstPage, SHOTS } from './story.js';

// A first-time user's walk on a fresh appliance, in Chromium against the real daemon
// (`serve`: store, engine, real HAProxy, HA node) in the lab's balancer namespace, with
// the lab's real web servers behind it and its client in front: keyboard-only login and
// password change, the wizard to a Layer 7 service with two real servers, traffic, a
// stopped web server turning red, SSL termination with the appliance's own self-signed
// certificate, and the overview operated with the keyboard. The walk runs at 1280x720 and
// every page it reaches is re-checked at a phone's 390x844 (no sideways scroll, its own
// screenshot), and the overview's buttons are pressed there: a second whole walk would
// need a second fresh appliance and double the run for the same pages.
const PREFIX = 'sluice-walk-';
const DESKTOP = { width: 1280, height: 720 } as const;
const NEW_SSL = 'Self-signed, made now for this VIP';

/** The walk's steps and their gallery numbers (from 72: 70 and 71 are the phone test's). */
const STEPS = {
  '01-login': '72-walk-login',
  '02-first-login-password': '73-walk-password',
  '03-wizard-node': '74-walk-wizard-node',
  '04-wizard-mode': '75-walk-wizard-mode',
  '06-wizard-vip': '76-walk-wizard-vip',
  '07-wizard-real-server': '77-walk-wizard-real-servers',
  '08-wizard-review': '78-walk-wizard-review',
  overview: '79-walk-overview',
  'overview-red': '80-walk-overview-red',
  ssl: '81-walk-ssl-self-signed',
  'overview-ssl': '82-walk-overview-ssl',
  'overview-offline': '83-walk-overview-keyboard-offline',
} as const;
type Step = keyof typeof STEPS;

const run = promisify(execFile);

describe('first use in Chromium against the real daemon in the lab', () => {
  let lab: LabUi;
  let topology: LabTopology;
  let daemon: RunningDaemon;
  let page: Page;
  const url = (scheme = 'http') => `${scheme}://${topology.vips.layer7}/`;
  const client = () => lab.client();
  const labServer = (label: string) => lab.realServer(label);
  const row = (server: string) => page.locator(`[data-server="layer7/web/${server}"]`);
  const colour = (server: string) => row(server).getAttribute('data-colour');

  /** The step's screenshot at 1280x720, then the same page at 390x844: no sideways scroll, and its own screenshot. */
  const capture = async (step: string) => {
    const name = STEPS[step as Step];
    if (name === undefined) throw new Error(`the walk has no step ${step}`);
    await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await expect.poll(() => sidewaysScroll(page), { message: `${step} at 390 px` }).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
  };

  beforeAll(async () => {
    await run('haproxy', ['-v']).catch((error: Error) => {
      throw new Error(`UI_TEST_NO_HAPROXY: the walk needs HAProxy (apt-get install haproxy): ${error.message}`);
    });
    lab = await startLabUi(PREFIX, DESKTOP);
    ({ topology, daemon, page } = lab);
  }, 180_000);

  afterAll(() => lab?.close(), 60_000);

  it('logs in and chooses a password with the keyboard only', async () => {
    await openFirstPage(page, daemon, capture);
    const initial = await daemon.initialPassword();
    expect(await isFocused(page.getByLabel('User name'))).toBe(true);
    await page.keyboard.type('admin');
    await tabTo(page, page.getByLabel('Password', { exact: true }));
    await page.keyboard.type(initial);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await capture('02-first-login-password');
    expect(await isFocused(page.getByLabel('Current password'))).toBe(true);
    await page.keyboard.type(initial);
    await tabTo(page, page.getByLabel('New password', { exact: true }));
    await page.keyboard.type(ADMIN_PASSWORD);
    await tabTo(page, page.getByLabel('New password again'));
    await page.keyboard.type(ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    // Nothing configured yet: the wizard greets the new administrator.
    await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
  }, 60_000);

  it("runs the wizard to a Layer 7 service with two real servers, Layer 4 as this host's IPVS allows; both answer the client", async () => {
    const health = (await (await adminClient(daemon)).get('/api/v1/health')).body as { capabilities: Capability[] };
    const ipvs = health.capabilities.find((c) => c.id === 'ipvs');
    if (ipvs === undefined) throw new Error(`the daemon reports no IPVS capability: ${JSON.stringify(health)}`);
    const lbAddress = topology.hosts.find((h) => h.role === 'balancer')?.interfaces[0]?.addresses[0] ?? '';
    const alpha = labServer('alpha');
    const bravo = labServer('bravo');
    await completeWizard(
      page,
      {
        nodeAddress: lbAddress,
        mode: 'snat',
        vip: topology.vips.layer7,
        port: PAGE_PORT,
        serverLabel: alpha.page,
        serverAddress: alpha.front,
        serverPort: PAGE_PORT,
        moreServers: [{ label: bravo.page, address: bravo.front, port: PAGE_PORT }],
      },
      async (name) => {
        // The mode step: Layer 4 is offered exactly when this host's kernel has IPVS,
        // greyed with the daemon's own reason otherwise.
        if (name === '04-wizard-mode') {
          for (const mode of [/^Layer 4 DR/, /^Layer 4 NAT/]) {
            expect(await page.getByRole('radio', { name: mode }).isDisabled()).toBe(!ipvs.available);
          }
          const reasons = page.locator('.choice .reason').filter({ hasText: `Not on this host: ${ipvs.feature}` });
          expect(await reasons.allTextContents()).toEqual(
            ipvs.available ? [] : [0, 1].map(() => expect.stringContaining(ipvs.detail)),
          );
        }
        await capture(name);
      },
    );
    for (const server of [alpha.page, bravo.page]) {
      await expect.poll(() => colour(server), { timeout: 60_000 }).toBe('green');
    }
    await capture('overview');
    await expect
      .poll(async () => answered(await client().httpGet(url(), 6, 3_000)), { timeout: 60_000 })
      .toEqual([alpha.page, bravo.page]);
  }, 180_000);

  it("a stopped real server's process turns red on the overview; started again, green", async () => {
    const alpha = labServer('alpha');
    expect(await stopPage(topology, alpha)).toBe(true);
    await expect.poll(() => colour(alpha.page), { timeout: 60_000 }).toBe('red');
    await capture('overview-red');
    // Only bravo answers now.
    await expect
      .poll(async () => answered(await client().httpGet(url(), 4, 3_000)), { timeout: 60_000 })
      .toEqual([labServer('bravo').page]);
    await startPage(topology, alpha);
    await expect.poll(() => colour(alpha.page), { timeout: 60_000 }).toBe('green');
  }, 150_000);

  it("terminates SSL with the appliance's own self-signed certificate: the client's HTTPS request trusts only it", async () => {
    await page.goto(`${daemon.http}/lbadmin/#/config/ssl/new`);
    const form = page.getByRole('form', { name: 'SSL termination new' });
    await form.getByLabel('Label').fill('web-https');
    await form.getByLabel('Listening IP address').fill(topology.vips.layer7);
    await form.getByLabel('Layer 7 service').selectOption('web');
    await form.getByLabel('Certificate', { exact: true }).selectOption({ label: NEW_SSL });
    await expect.poll(() => page.locator('.error:not(:empty)').count()).toBe(0);
    await capture('ssl');
    await form.getByRole('button', { name: 'Add SSL termination' }).click();
    await page.getByRole('cell', { name: 'web-https-selfsigned', exact: true }).waitFor();
    const pem = await readFile(join(daemon.dataDir, 'certificates', 'web-https-selfsigned.pem'), 'utf8');
    const certificate = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)?.[0];
    if (certificate === undefined) throw new Error(`no certificate in the self-signed file: ${pem.slice(0, 80)}`);
    await expect
      .poll(async () => answered(await httpsGet(client(), url('https'), certificate, 6)), { timeout: 60_000 })
      .toEqual([labServer('alpha').page, labServer('bravo').page]);
    await page.goto(`${daemon.http}/lbadmin/#/overview`);
    const listener = page.locator('[data-termination="web-https"]');
    await expect.poll(() => listener.textContent()).toContain(`${topology.vips.layer7}:443 https`);
    await capture('overview-ssl');
  }, 120_000);

  it('takes a server offline and back online on the overview with the keyboard only (Tab and Enter)', async () => {
    const bravo = labServer('bravo').page;
    await page.reload();
    await expect.poll(() => colour(bravo)).toBe('green');
    await tabTo(page, page.getByRole('button', { name: `Take offline ${bravo}`, exact: true }));
    await page.keyboard.press('Enter');
    await expect.poll(() => colour(bravo), { timeout: 30_000 }).toBe('blue');
    await capture('overview-offline');
    await expect
      .poll(async () => answered(await client().httpGet(url(), 4, 3_000)), { timeout: 30_000 })
      .toEqual([labServer('alpha').page]);
    // The pressed button is disabled now: the focus is on the way back, Online.
    expect(await isFocused(page.getByRole('button', { name: `Online ${bravo}`, exact: true }))).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => colour(bravo), { timeout: 30_000 }).toBe('green');
    expect(await isFocused(page.getByRole('button', { name: `Take offline ${bravo}`, exact: true }))).toBe(true);
  }, 60_000);

  it('at 390x844 the overview shows every server and its buttons take a server offline and back', async () => {
    const alpha = labServer('alpha').page;
    await page.setViewportSize(PHONE);
    try {
      await pressOnPhone(page, `Take offline ${alpha}`);
      await expect.poll(() => colour(alpha), { timeout: 30_000 }).toBe('blue');
      expect(await sidewaysScroll(page)).toBeLessThanOrEqual(PHONE.width);
      await pressOnPhone(page, `Online ${alpha}`);
      await expect.poll(() => colour(alpha), { timeout: 30_000 }).toBe('green');
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  }, 60_000);
});

/** The distinct servers that answered, sorted: ['alpha_server', 'bravo_server']. */
const answered = (bodies: readonly string[]) => [...new Set(bodies.map((b) => b.trim()))].sort();

const isFocused = (target: Locator) => target.evaluate((el) => el === document.activeElement);

/** Tab until `target` has the focus, as a keyboard user would (at most `presses` times). */
async function tabTo(page: Page, target: Locator, presses = 120): Promise<void> {
  for (let i = 0; i < presses; i++) {
    if (await isFocused(target)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${presses} presses of Tab did not reach ${target}`);
}

// COUNT GETs over HTTPS, each on a new connection, trusting only CA (the certificate for
// the VIP's address): run in the client's namespace with the tests' Node.
const HTTPS_GET = `
const { get } = require('node:https');
const [url, ca, count] = process.argv.slice(1);
const once = () => new Promise((resolve, reject) => {
  const req = get(url, { ca, agent: false, timeout: 3000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => resolve(body.trim()));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', reject);
});
(async () => {
  const bodies = [];
  for (let i = 0; i < Number(count); i++) bodies.push(await once());
  console.log(JSON.stringify(bodies));
})().catch((error) => { console.error(error.message); process.exit(1); });
`;

async function httpsGet(host: Host, url: string, ca: string, count: number): Promise<string[]> {
  const { stdout } = await host.exec(process.execPath, ['-e', HTTPS_GET, url, ca, String(count)]);
  return JSON.parse(stdout) as string[];
}
