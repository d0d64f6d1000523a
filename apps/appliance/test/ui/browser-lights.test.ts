import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type Appliance, launchChromium, startAppliance } from './appliance.js';
import { SHOTS } from './story.js';

/** This test's host: no IPVS in its kernel, HAProxy and root present; one network, 192.0.2.0/24. */
const capabilities = [
  { id: 'root' as const, part: 'root' as const, feature: 'Kernel changes', available: true, detail: 'running as root' },
  {
    id: 'ipvs' as const,
    part: 'layer4' as const,
    feature: 'Layer 4 virtual services (IPVS: DR, NAT, TUN)',
    available: false,
    detail: 'kernel 6.18.0-test has no IPVS (CONFIG_IP_VS unset)',
    fix: 'run on a kernel built with CONFIG_IP_VS',
  },
  {
    id: 'haproxy' as const,
    part: 'layer7' as const,
    feature: 'Layer 7 (HAProxy)',
    available: true,
    detail: 'HAProxy 2.6.12',
  },
];
const LAYER4_REASON =
  'Layer 4 is unavailable on this host, because kernel 6.18.0-test has no IPVS (CONFIG_IP_VS unset); fix: run on a kernel built with CONFIG_IP_VS.';
const UNPLACED = '203.0.113.80: no interface holds its network; give it a floating IP with an interface';

// The lights in Chromium against the real API and web servers (the fake engine reports
// the parts as this host's engine would): what is unchecked, unavailable with nothing to
// do, an SSL termination's listener, and a warning that matters, when saved and after.
describe('web UI lights in Chromium', () => {
  let app: Appliance;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    app = await startAppliance({ capabilities });
    await app.harness.admin();
    // A configuration stored before the default check existed: its servers are unchecked.
    const { store } = app.harness;
    await store.commit({
      baseVersion: store.current().version,
      author: 'admin',
      comment: 'an existing configuration',
      config: {
        ...store.current().config,
        certificates: [{ label: 'site', file: '/etc/ssl/site.pem' }],
        layer7: [
          {
            label: 'site',
            vip: '192.0.2.30',
            ports: [80],
            realServers: ['alpha', 'bravo'].map((label, i) => ({ label, address: `192.0.2.${21 + i}`, port: 8080 })),
          },
        ],
        ssl: [{ label: 'site-https', certificate: 'site', vip: '192.0.2.30', port: 443, service: 'site' }],
      },
    });
    await app.harness.pipeline.idle();
    app.harness.engine.parts = [
      { part: 'health', state: 'applied' },
      { part: 'addresses', state: 'applied' },
      { part: 'layer4', state: 'unavailable', detail: 'IPVS: not in this kernel' },
      { part: 'layer7', state: 'applied' },
    ];
    app.harness.engine.hostWarningsOf = (config: ApplianceConfig) =>
      config.layer7.flatMap((s, i) =>
        s.vip.startsWith('192.0.2.')
          ? []
          : [
              {
                code: 'HOST_ADDRESS_UNPLACED' as const,
                field: `layer7[${i}].vip`,
                message: `layer7[${i}].vip: ${UNPLACED}`,
              },
            ],
      );
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${app.http}/lbadmin/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page
      .getByRole('heading', { name: 'System overview' })
      .waitFor({ timeout: 10_000 })
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await page.locator('body').textContent()}`);
      });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('an unchecked server is grey, "not checked", never healthy; the legend says so', async () => {
    const alpha = page.locator('[data-server="layer7/site/alpha"]');
    await expect.poll(() => alpha.getAttribute('data-colour')).toBe('grey');
    expect(await alpha.textContent()).toContain('unchecked');
    expect(await alpha.textContent()).not.toContain('healthy');
    expect(await page.locator('[data-service="layer7/site"]').getAttribute('data-colour')).toBe('grey');
    expect(await page.locator('main p.muted').first().textContent()).toContain('not checked');
  });

  it("shows the SSL termination's HTTPS listener with its VIP:port and the Layer 7 service it feeds", async () => {
    const row = page.locator('[data-termination="site-https"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('192.0.2.30:443 https');
    expect(await row.textContent()).toContain('feeds site');
    expect(await row.getAttribute('data-colour')).toBe('grey');
  });

  it('Layer 4 unavailable with no Layer 4 service is not a warning', async () => {
    const light = page.locator('[data-part="layer4"] .colour');
    await expect.poll(() => light.getAttribute('data-colour')).toBe('grey');
    expect(await light.textContent()).toBe('layer4: unavailable (not in use)');
    await shot('31-overview-lights');
  });

  it('Reports and the Layer 4 pages say why Layer 4 is unavailable here, not "No connections"', async () => {
    await page.goto(`${app.http}/lbadmin/#/reports`);
    const reason = page.getByTestId('layer4-unavailable');
    await reason.waitFor();
    expect(await reason.textContent()).toBe(LAYER4_REASON);
    expect(await page.getByText('No connections.').count()).toBe(0);
    await page.goto(`${app.http}/lbadmin/#/config/layer4`);
    await page.getByRole('heading', { name: 'Layer 4 virtual services' }).waitFor();
    expect(await page.getByTestId('layer4-unavailable').textContent()).toContain(LAYER4_REASON);
  });

  it("a VIP in no interface's network is told when the change is saved, and on the overview", async () => {
    await page.goto(`${app.http}/lbadmin/#/config/layer7/new`);
    const form = page.getByRole('form', { name: 'virtual service new' });
    await form.getByLabel('Label', { exact: true }).fill('outside');
    await form.getByLabel('Virtual service IP address').fill('203.0.113.80');
    await form.getByLabel('Ports').fill('80');
    await form.getByRole('button', { name: 'Add virtual service' }).click();
    const saved = page.getByTestId('saved-warnings');
    await saved.waitFor();
    expect(await saved.textContent()).toContain(`layer7[1].vip: ${UNPLACED}`);
    await shot('32-saved-warning');
    // Shown once: the next page drawn has no stale warning.
    await page.goto(`${app.http}/lbadmin/#/config/layer7`);
    await page.getByRole('heading', { name: 'Layer 7 virtual services' }).waitFor();
    expect(await page.getByTestId('saved-warnings').count()).toBe(0);

    // The engine's addresses part applied, with this in its detail: yellow on the overview, with the text.
    app.harness.engine.parts = [
      { part: 'addresses', state: 'applied', detail: UNPLACED },
      { part: 'layer4', state: 'unavailable', detail: 'IPVS: not in this kernel' },
    ];
    app.harness.engine.emit();
    await page.goto(`${app.http}/lbadmin/#/overview`);
    const addresses = page.locator('[data-part="addresses"]');
    await expect.poll(() => addresses.locator('.colour').getAttribute('data-colour')).toBe('yellow');
    expect(await addresses.textContent()).toContain(UNPLACED);
  });
});
