import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { ecmpConfig } from '../fixtures/ecmp-config.js';
import { type Appliance, launchChromium, startAppliance } from './appliance.js';
import { audit, blocking } from './axe.js';
import { SHOTS } from './story.js';

// The Cluster page in Chromium against the real API (the harness's node is `lb1`): absent
// from the menu in a pair, the ECMP table once the configuration is a cluster, and this
// node drained and undrained from it.
describe('web UI Cluster page in Chromium', () => {
  let app: Appliance;
  let browser: Browser;
  let page: Page;
  const nav = () => page.locator('#nav');

  beforeAll(async () => {
    app = await startAppliance();
    await app.harness.admin();
    // A configured appliance (a service), so that logging in lands on the overview, not the wizard.
    const { store } = app.harness;
    await store.commit({
      baseVersion: store.current().version,
      author: 'admin',
      config: { ...store.current().config, layer4: ecmpConfig().layer4 },
    });
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

  it('in a pair: no Cluster in the menu, and the page says pair mode', async () => {
    await nav().getByRole('link', { name: 'Reports' }).waitFor();
    expect(await nav().getByRole('link', { name: 'Cluster' }).count()).toBe(0);
    await page.goto(`${app.http}/lbadmin/#/cluster`);
    await page.getByRole('heading', { name: 'Cluster' }).waitFor();
    expect(await page.locator('#cluster-mode').textContent()).toContain('pair mode');
    expect(await page.locator('#cluster-nodes').count()).toBe(0);
  });

  it('in an ECMP cluster: the menu has Cluster, the table lists every node, this node is drained and undrained', async () => {
    const { store } = app.harness;
    const ecmp = ecmpConfig();
    await store.commit({
      baseVersion: store.current().version,
      author: 'admin',
      config: { ...store.current().config, cluster: ecmp.cluster, layer4: ecmp.layer4 },
    });
    await page.goto(`${app.http}/lbadmin/#/overview`);
    await nav().getByRole('link', { name: 'Cluster' }).click();
    const table = page.locator('#cluster-nodes');
    await table.waitFor();
    expect(await page.locator('#cluster-mode').textContent()).toContain('ECMP cluster of 3 nodes');
    expect(
      await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-node'))),
    ).toEqual(['lb1', 'lb2', 'lb3']);
    const self = table.locator('tr[data-node="lb1"]');
    expect(await self.textContent()).toContain('(this node)');
    expect(await self.textContent()).toContain('configuring');
    expect(await table.locator('tr[data-node="lb2"]').textContent()).toContain('not heard yet');

    await page.getByRole('button', { name: 'Drain this node' }).click();
    await page.getByRole('button', { name: 'Undrain this node' }).waitFor();
    expect(app.harness.engine.hold).toEqual({ drain: true });
    expect(await self.textContent()).toContain('drained');
    await page.screenshot({ path: join(SHOTS, '60-cluster-drained.png'), fullPage: true });
    expect(blocking(await audit(page, 'cluster'))).toEqual([]);

    await page.getByRole('button', { name: 'Undrain this node' }).click();
    await page.getByRole('button', { name: 'Drain this node' }).waitFor();
    expect(app.harness.engine.hold).toEqual({ drain: false });
  });
});
