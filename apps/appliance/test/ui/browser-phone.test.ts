import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type Appliance, launchChromium, startAppliance } from './appliance.js';
import { PHONE, pressOnPhone, sidewaysScroll } from './phone.js';
import { SHOTS } from './story.js';

// The overview at a phone's width (390 px), against the real API and web servers with the
// fake engine: the navigation above the page, every service and server readable, and
// Take offline / Online pressed with a real click (no root needed; the acceptance walk
// re-checks its pages at this width against the real daemon).
describe('web UI at phone width (390 px) in Chromium', () => {
  let app: Appliance;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startAppliance();
    await app.harness.admin();
    const { store } = app.harness;
    await store.commit({
      baseVersion: store.current().version,
      author: 'admin',
      comment: 'a service with two real servers',
      config: {
        ...store.current().config,
        layer7: [
          {
            label: 'web',
            vip: '192.0.2.30',
            ports: [80],
            realServers: ['alpha_server', 'bravo_server'].map((label, i) => ({
              label,
              address: `192.0.2.${21 + i}`,
              port: 8080,
            })),
          },
        ],
      },
    });
    await app.harness.pipeline.idle();
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
    await page.goto(`${app.http}/lbadmin/`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('moves the navigation above the page, no wider than the screen', async () => {
    const nav = await page.locator('#nav').boundingBox();
    const main = await page.locator('#main').boundingBox();
    expect(nav?.width).toBeLessThanOrEqual(PHONE.width);
    // Above the page, not beside it: the page starts at the left edge and below the menu.
    expect(main?.x).toBe(0);
    expect(main?.y).toBeGreaterThanOrEqual((nav?.y ?? 0) + (nav?.height ?? 0));
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(PHONE.width);
  });

  it('shows every service and server with its address, admin state and health, no column cut off', async () => {
    for (const key of ['layer7/web/alpha_server', 'layer7/web/bravo_server']) {
      const row = page.locator(`[data-server="${key}"]`);
      for (const text of ['192.0.2.2', 'online']) {
        const cell = row.getByRole('cell').filter({ hasText: text }).first();
        const box = await cell.boundingBox();
        expect(box, `${key}: ${text}`).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
      }
    }
    expect(await page.locator('[data-service="layer7/web"]').textContent()).toContain('192.0.2.30');
    await page.screenshot({ path: join(SHOTS, '70-phone-overview-390.png'), fullPage: true });
  });

  it('takes a server offline and back with a real tap on each button', async () => {
    const row = page.locator('[data-server="layer7/web/bravo_server"]');
    await pressOnPhone(page, 'Take offline bravo_server');
    await expect.poll(() => row.getAttribute('data-colour')).toBe('blue');
    await page.screenshot({ path: join(SHOTS, '71-phone-offline-390.png'), fullPage: true });
    await pressOnPhone(page, 'Drain bravo_server');
    await expect.poll(() => row.locator('[role=cell]').nth(2).textContent()).toContain('drain');
    await pressOnPhone(page, 'Online bravo_server');
    await expect.poll(() => row.locator('[role=cell]').nth(2).textContent()).toContain('online');
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(PHONE.width);
  });

  it('lays out every other page within the screen too (tables scroll in their own box)', async () => {
    const wide: string[] = [];
    for (const route of [
      'config/layer4',
      'config/layer7',
      'config/layer7/edit/web',
      'config/ssl/new',
      'config/certificates',
      'config/heartbeat',
      'config/administration',
      'wizard',
      'reports',
      'logs',
      'maintenance',
      'certificate',
      'real-servers',
    ]) {
      await page.goto(`${app.http}/lbadmin/#/${route}`);
      await page.locator('main h1').first().waitFor();
      const width = await sidewaysScroll(page);
      if (width > PHONE.width) wide.push(`${route}: ${width} px`);
    }
    expect(wide.join('; ')).toBe('');
  });
});
