import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTerminationCertificate } from '../../src/web/termination-certificates.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type Appliance, launchChromium, startAppliance, uiTarget } from './appliance.js';
import { audit, blocking, type Finding, lesser } from './axe.js';
import {
  addRealServer,
  adminClient,
  backupAndRestore,
  completeWizard,
  fillShortDeadtime,
  firstLogin,
  importConfiguration,
  NAT_SERVICE,
  offlineAndBack,
  openFirstPage,
  rollBack,
  type UiTarget,
  uploadCertificate,
} from './story.js';

// axe-core over every page of the UI in Chromium, reached by the administrator's story
// (story.ts) with the real API and web servers and the fake engine: no page may have a
// serious or critical violation; the lesser ones are counted and printed.
describe('accessibility of every page (axe-core in Chromium)', () => {
  let app: Appliance;
  let target: UiTarget;
  let browser: Browser;
  let page: Page;
  const findings: Finding[] = [];
  const audited: string[] = [];
  /** Audit the page as it is now; a story's screenshot step is where it audits. */
  const check = async (name: string) => {
    const found = await audit(page, name);
    findings.push(...found);
    audited.push(name);
    expect.soft(blocking(found), `${name}: serious or critical violations`).toEqual([]);
  };
  const open = async (route: string, heading: string | RegExp) => {
    await page.goto(`${app.http}/lbadmin/#/${route}`);
    await page
      .getByRole('heading', { name: heading, exact: typeof heading === 'string' })
      .first()
      .waitFor({ timeout: 10_000 });
    await check(route);
  };

  beforeAll(async () => {
    app = await startAppliance();
    target = uiTarget(app);
    browser = await launchChromium();
    page = await (
      await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } })
    ).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    const minor = lesser(findings);
    const byRule = new Map<string, number>();
    for (const f of minor) byRule.set(`${f.rule} (${f.impact})`, (byRule.get(`${f.rule} (${f.impact})`) ?? 0) + 1);
    console.log(
      `accessibility: ${audited.length} pages audited; ${minor.length} minor/moderate violations` +
        (minor.length > 0 ? `: ${[...byRule].map(([rule, n]) => `${rule} on ${n} pages`).join(', ')}` : ''),
    );
    await browser?.close();
    await app?.close();
  });

  it('login, the first password change and every wizard step', async () => {
    await openFirstPage(page, target, check);
    await firstLogin(page, target, check);
    await completeWizard(
      page,
      { ...NAT_SERVICE, moreServers: [{ label: 'charlie_server', address: '198.51.100.23', port: 8080 }] },
      check,
    );
    expect(audited).toEqual([
      '01-login',
      '02-first-login-password',
      '03-wizard-node',
      '04-wizard-mode',
      '05-wizard-nat-internal',
      '06-wizard-vip',
      '07-wizard-real-server',
      '08-wizard-review',
    ]);
  });

  it('the overview with its services, an offline server, every light and the HA status bar', async () => {
    const bravo = { label: 'bravo_server', address: '198.51.100.22', port: 8080 };
    // The service's edit page with the new real server's form, a live error shown on the way.
    await addRealServer(page, target, 'layer4', 'web', bravo, check);
    for (const server of ['alpha_server', 'bravo_server']) {
      app.harness.engine.setHealth({ layer: 'layer4', service: 'web', server }, 'up');
    }
    await offlineAndBack(page, target, 'layer4', 'web', 'bravo_server', check);
    // A Layer 7 service with an SSL termination, a server down, an unchecked one, a part with a warning.
    const admin = await adminClient(target);
    const pair = await makeTerminationCertificate(join(app.harness.dir, 'certificates'), 'site', ['site.test']);
    const { store } = app.harness;
    await store.commit({
      baseVersion: store.current().version,
      author: 'admin',
      comment: 'every kind of object, for their pages',
      config: {
        ...store.current().config,
        certificates: [{ label: 'site', file: pair.file }],
        layer7: [
          {
            label: 'site',
            vip: '192.0.2.30',
            ports: [80],
            realServers: ['delta', 'echo'].map((label, i) => ({ label, address: `192.0.2.${21 + i}`, port: 8080 })),
          },
        ],
        ssl: [{ label: 'site-https', certificate: 'site', vip: '192.0.2.30', port: 443, service: 'site' }],
        floatingIps: [{ address: '192.0.2.10/24', interface: 'eth0' }],
      },
    });
    await app.harness.pipeline.idle();
    app.harness.engine.setHealth({ layer: 'layer4', service: 'web', server: 'charlie_server' }, 'down');
    app.harness.engine.parts = [
      { part: 'health', state: 'applied' },
      { part: 'addresses', state: 'applied', detail: '203.0.113.80: no interface holds its network' },
      { part: 'layer4', state: 'applied' },
      { part: 'layer7', state: 'unavailable', detail: 'HAProxy: not installed' },
    ];
    app.harness.ha.setPair('passive');
    app.harness.ha.current = { ...app.harness.ha.current, warnings: ['no heartbeat from lbpeer for 3 s'] };
    app.harness.engine.emit();
    await page.goto(`${app.http}/lbadmin/#/overview`);
    await page.locator('[data-termination="site-https"]').waitFor();
    await expect
      .poll(() => page.locator('[data-server="layer4/web/charlie_server"]').getAttribute('data-colour'))
      .toBe('red');
    await page.locator('#statusbar').getByRole('button', { name: 'Take over' }).waitFor();
    await check('overview-lights-and-ha');
    expect((await admin.get('/api/v1/config')).body.config.ssl).toHaveLength(1);
    // The active node of the pair again: a passive one refuses the changes the next steps make.
    app.harness.ha.setPair('active');
  });

  it("reads the overview's colour legend once: each colour's word, no second copy for screen readers", async () => {
    await page.goto(`${app.http}/lbadmin/#/overview`);
    const legend = page.getByTestId('colour-legend');
    await legend.waitFor();
    // The accessibility tree's text of the legend, as a screen reader reads it.
    expect(await legend.ariaSnapshot()).toBe(
      '- paragraph: "Colours: healthy not checked needs attention down offline by choice — updates live."',
    );
    // Nor a description read after it: no title, aria-label or hidden text in the legend.
    expect(await legend.locator('[title], [aria-label], [aria-describedby], .sr-only').count()).toBe(0);
    // A server's light keeps its word for screen readers (its colour alone says nothing to them), once.
    const alpha = page.locator('[data-server="layer4/web/alpha_server"] [role="cell"]').first();
    expect(await alpha.ariaSnapshot()).toBe('- cell "alpha_server (healthy)"');
    expect(await alpha.locator('[title]').count()).toBe(0);
  });

  it('after a failed submit the focus is on the first field in error, which names its error', async () => {
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLInputElement;
        const described = (el.getAttribute('aria-describedby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' ');
        return {
          label: el.labels?.[0]?.textContent ?? el.tagName,
          invalid: el.getAttribute('aria-invalid'),
          described,
        };
      });
    // The client's check: the wizard's node address without its prefix length, sent with the button.
    await page.goto(`${app.http}/lbadmin/#/wizard`);
    await page.getByLabel(/^This node's IP address/).fill('192.0.2.5');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(focused).toMatchObject({
      label: expect.stringMatching(/^This node's IP address/),
      invalid: 'true',
      described: expect.stringContaining('must be an address with its prefix length'),
    });
    await page.getByRole('button', { name: 'Skip the wizard' }).click();
    // The API's answer: a Layer 4 service without its VIP, and a port out of range; the focus is on the first of the two.
    await page.goto(`${app.http}/lbadmin/#/config/layer4/new`);
    const service = page.getByRole('form', { name: 'virtual service new' });
    await service.getByLabel('Label', { exact: true }).fill('second');
    await service.getByLabel('Ports').fill('70000');
    await service.getByRole('button', { name: 'Add virtual service' }).click();
    await expect.poll(focused).toMatchObject({ label: 'Virtual service IP address', invalid: 'true' });
    expect((await focused()).described).toMatch(/\S/);
    expect(await service.getByLabel('Ports').getAttribute('aria-invalid')).toBe('true');
    // The API's answer at a field after others: the heartbeat's deadtime under twice the keepalive.
    await page.goto(`${app.http}/lbadmin/#/config/heartbeat`);
    const heartbeat = page.getByRole('form', { name: 'Heartbeat' });
    await fillShortDeadtime(heartbeat);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/heartbeat') && r.request().method() === 'PUT'),
      heartbeat.getByRole('button', { name: 'Apply changes' }).click(),
    ]);
    expect(refused.status()).toBe(422);
    await expect.poll(focused).toMatchObject({
      label: 'Deadtime (ms)',
      invalid: 'true',
      described: expect.stringContaining('must be at least twice keepaliveMs'),
    });
    await check('config/heartbeat with an error');
    // An error of the whole form (no field at fault): the focus is on it, and it is read.
    await page.getByRole('button', { name: 'Log out' }).click();
    const login = page.getByRole('form', { name: 'Log in' });
    await login.getByLabel('User name').fill('admin');
    await login.getByLabel('Password', { exact: true }).fill('wrong password');
    await login.getByRole('button', { name: 'Log in' }).click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Wrong user name or password.');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('alert');
    await check('login-failed');
    await login.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
  });

  it('HTTPS certificate, Maintenance (with a diff shown), Import (with a preview)', async () => {
    await uploadCertificate(page, target, browser, check);
    await backupAndRestore(page, target, 'layer4', 'web', 'bravo_server', check);
    await rollBack(
      page,
      target,
      'layer4',
      'web',
      { label: 'alpha_server', address: '198.51.100.21', port: 8080 },
      check,
    );
    await importConfiguration(page, target, check);
    expect(audited).toEqual(
      expect.arrayContaining(['12-https-certificate', '13-maintenance', '14-history-diff', '75-import-preview']),
    );
  });

  it('every Edit configuration page and form (new and edit), Reports, Logs, real-server set-up, REST API', async () => {
    const kinds: [string, string, string, string][] = [
      ['layer4', 'Layer 4 virtual services', 'web', 'Layer 4 virtual services: web'],
      ['layer7', 'Layer 7 virtual services', 'site', 'Layer 7 virtual services: site'],
      ['ssl', 'SSL termination', 'site-https', 'SSL termination: site-https'],
      ['certificates', 'Certificates', 'site', 'Certificates: site'],
      ['health-checks', 'Health checks', 'connect', 'Health checks: connect'],
      ['floating-ips', 'Floating IPs', '192.0.2.10%2F24', 'Floating IPs: 192.0.2.10/24'],
    ];
    for (const [id, title, key, editTitle] of kinds) {
      await open(`config/${id}`, title);
      await open(`config/${id}/new`, /^New /);
      await open(`config/${id}/edit/${key}`, editTitle);
    }
    await open('config/heartbeat', 'Heartbeat');
    await open('config/network', 'Network');
    await open('config/administration', 'Administration');
    await open('wizard', 'Setup wizard');
    await open('reports', 'Reports');
    await open('logs', 'Logs');
    await open('real-servers', 'Real servers: what each mode needs');
    await open('api', 'REST API');
    await open('password', 'Change password');
    // On a host without IPVS: the Layer 4 modes greyed with the reason, the Layer 4 pages' notice.
    app.harness.capabilities.push({
      id: 'ipvs',
      part: 'layer4',
      feature: 'Layer 4 virtual services (IPVS: DR, NAT, TUN)',
      available: false,
      detail: 'kernel 6.1.0-test has no IPVS (CONFIG_IP_VS unset)',
      fix: 'run on a kernel built with CONFIG_IP_VS',
    });
    await open('config/layer4', 'Layer 4 virtual services');
    await page.goto(`${app.http}/lbadmin/#/wizard`);
    await page.getByLabel(/^This node's IP address/).fill('192.0.2.5/24');
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => page.getByRole('radio', { name: /^Layer 4 DR/ }).isDisabled()).toBe(true);
    await check('wizard mode without IPVS');
    app.harness.capabilities.splice(0, Infinity);
  });
});
