import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostNetwork } from '../../src/host-network/control.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { fakeHostNetwork } from '../fakes/host-network.js';
import { FakeClock } from '../fakes/trial-clock.js';
import { type Appliance, launchChromium, startAppliance } from './appliance.js';
import { SHOTS } from './story.js';

// The Network page where the appliance manages its host's network: the new fields with the
// API's own validation, and the banner of a change waiting for confirmation. The host is a
// temporary root and a runner that runs nothing; the trial's clock is the test's, so the
// change never expires while the browser looks at it (the banner counts down on its own).
describe('Network page and the confirmation banner in Chromium', () => {
  let app: Appliance;
  let browser: Browser;
  let page: Page;
  let root: string;
  let network: HostNetwork;
  const confirms: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-ui-network-'));
    app = await startAppliance({
      hostNetwork: (store, logs) => {
        network = fakeHostNetwork(root, store, logs, new FakeClock());
        return network;
      },
    });
    await network.start();
    await app.harness.admin();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('request', (req) => {
      if (req.url().endsWith('/api/v1/network/confirm')) confirms.push(req.method());
    });
    await page.goto(`${app.http}/lbadmin/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    network?.stop();
    await network?.idle();
    await browser?.close();
    await app?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('takes routes, DNS, host name and NTP, with the validation messages as the API gives them', async () => {
    await page.goto(`${app.http}/lbadmin/#/config/network`);
    await page.getByRole('heading', { name: 'Network' }).waitFor();
    await page.getByLabel('Interface addresses').fill('eth1 192.0.2.21/24');
    await page.getByLabel('Default gateway (IPv4)').fill('192.0.2.1');
    await page.getByLabel('Static routes').fill('198.51.100.0/24 via 203.0.113.254');
    await page.getByText('203.0.113.254 is outside every configured interface network').waitFor();
    await page.getByLabel('Static routes').fill('198.51.100.0/24 via 192.0.2.254 metric 10');
    await page.getByLabel('Host name').fill('lb_1');
    await page.getByText('must be a host name (RFC 1123').waitFor();
    await page.getByLabel('Host name').fill('lb1');
    await page.getByLabel('DNS servers').fill('192.0.2.53');
    await page.getByLabel('DNS search domains').fill('example.com');
    await page.getByLabel('NTP servers').fill('ntp.example.com, 192.0.2.123');
    expect(await page.getByText('Keep these network settings').count()).toBe(0);
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page.getByRole('button', { name: 'Keep these network settings' }).waitFor();
    expect(app.harness.store.current().config.network).toEqual({
      interfaces: [{ name: 'eth1', addresses: ['192.0.2.21/24'] }],
      defaultGateway: { ipv4: '192.0.2.1' },
      routes: [{ destination: '198.51.100.0/24', gateway: '192.0.2.254', metric: 10 }],
      dns: { servers: ['192.0.2.53'], searchDomains: ['example.com'] },
      hostname: 'lb1',
      ntpServers: ['ntp.example.com', '192.0.2.123'],
    });
  });

  it('shows the banner with its countdown on every page until the change is kept', async () => {
    const banner = page.getByRole('alert').filter({ hasText: 'Keep these network settings' });
    const version = app.harness.store.current().version;
    await expect(banner.textContent()).resolves.toContain(
      `Configuration version ${version} changed this appliance's addresses, gateways or routes. Unless you keep them, the settings of version ${version - 1} come back in`,
    );
    expect(await page.getByTestId('network-trial-left').textContent()).toMatch(/^\d+ s$/);
    await shot('60-network-confirm-banner');
    await page.goto(`${app.http}/lbadmin/#/overview`);
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
    await banner.waitFor();
    await page.getByRole('button', { name: 'Keep these network settings' }).click();
    await page.getByText('Network settings kept').waitFor();
    await banner.waitFor({ state: 'hidden' });
    expect(confirms).toEqual(['POST']);
    expect(network.status().trial).toBeUndefined();
  });
});
