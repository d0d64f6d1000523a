import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/web/index.js';
import { makeTerminationCertificate } from '../../src/web/termination-certificates.js';
import { ADMIN_PASSWORD } from '../api/harness.js';
import { type Appliance, launchChromium, startAppliance, uiTarget } from './appliance.js';
import {
  addRealServer,
  adminClient,
  backupAndRestore,
  completeWizard,
  fillShortDeadtime,
  firstLogin,
  importConfiguration,
  keyboardLogin,
  NAT_SERVICE,
  offlineAndBack,
  openFirstPage,
  rollBack,
  SHOTS,
  type UiTarget,
  unlabelled,
  uploadCertificate,
} from './story.js';

// The whole UI in Chromium against the real REST API and web servers, with the API
// tests' fake engine and HA node (no root): every page, and the screenshots the README links.
describe('web UI in Chromium (real API and web servers, fake engine)', () => {
  let app: Appliance;
  let target: UiTarget;
  let browser: Browser;
  let page: Page;
  const writes: { url: string; csrf: string | undefined }[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const bravo = { label: 'bravo_server', address: '198.51.100.22', port: 8080 };
  const dialogs: string[] = [];
  let answer: 'yes' | 'no' = 'yes';

  beforeAll(async () => {
    app = await startAppliance();
    target = uiTarget(app);
    browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    // Every question is answered yes, unless a test says otherwise; each is noted (type: message).
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void (answer === 'yes' ? dialog.accept() : dialog.dismiss());
    });
    page.on('request', (req) => {
      if (req.url().includes('/api/v1/') && req.method() !== 'GET') {
        writes.push({ url: req.url(), csrf: req.headers()['x-csrf-token'] });
      }
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('serves the login page at / (redirect to /lbadmin/), every field labelled', async () => {
    const elapsed = await openFirstPage(page, target, shot);
    console.log(`first page (login form shown, fresh browser): ${elapsed} ms`);
  });

  it('logs in with the first-boot password and must change it first', () => firstLogin(page, target, shot));

  it('completes the setup wizard, validating as the user types', async () => {
    await completeWizard(page, NAT_SERVICE, shot);
    const { config } = (await (await adminClient(target)).get('/api/v1/config')).body;
    expect(config.layer4).toMatchObject([
      {
        label: 'web',
        vip: '192.0.2.10',
        ports: [80],
        forwarding: 'nat',
        // The new service's first real server brought the default connect check.
        healthCheck: 'connect',
        realServers: [{ label: 'alpha_server', address: '198.51.100.21', port: 8080 }],
      },
    ]);
    expect(config.healthChecks).toMatchObject([{ label: 'connect', type: 'connect' }]);
    expect(config.network.interfaces).toEqual([
      { name: 'eth0', addresses: ['192.0.2.5/24'] },
      { name: 'eth1', addresses: ['198.51.100.1/24'] },
    ]);
  });

  it('adds a real server through the Layer 4 form', () => addRealServer(page, target, 'layer4', 'web', bravo, shot));

  it('takes a server offline and sees it turn blue live, then brings it online', async () => {
    // The fake engine checks nothing: its connect check says up for both servers.
    for (const server of ['alpha_server', 'bravo_server']) {
      app.harness.engine.setHealth({ layer: 'layer4', service: 'web', server }, 'up');
    }
    await offlineAndBack(page, target, 'layer4', 'web', 'bravo_server', shot, async () => {
      // A change made elsewhere (the API, another administrator) arrives by itself too.
      const admin = await adminClient(target);
      const alpha = page.locator('[data-server="layer4/web/alpha_server"]');
      await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha_server', { state: 'drain' });
      await expect.poll(() => alpha.getAttribute('data-colour')).toBe('blue');
      await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha_server', { state: 'online' });
      await expect.poll(() => alpha.getAttribute('data-colour')).toBe('green');
    });
  });

  it('uploads a certificate, and the HTTPS server presents it without a restart', () =>
    uploadCertificate(page, target, browser, shot));

  it('uploads a certificate for SSL termination: stored on the node, named by the configuration', async () => {
    const pair = selfSignedCertificate(['www.example.test'], new Date());
    await page.goto(`${app.http}/lbadmin/#/config/certificates`);
    await page.getByLabel('Certificate label').fill('site');
    await page.getByLabel('Certificate file (PEM or PKCS#12)').setInputFiles({
      name: 'site.pem',
      mimeType: 'application/x-pem-file',
      buffer: Buffer.from(pair.cert + pair.key),
    });
    await page.getByRole('button', { name: 'Upload certificate' }).click();
    await page.getByRole('cell', { name: 'site', exact: true }).waitFor();
    // Listed by what the file holds, not only its path: subject, names, expiry.
    const site = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'site', exact: true }) });
    await site.getByRole('cell', { name: 'www.example.test', exact: true }).waitFor();
    expect(await site.textContent()).toContain('CN=www.example.test');
    expect(await page.getByRole('columnheader').allTextContents()).toEqual([
      'Label',
      'Subject',
      'Names',
      'Expires',
      'File',
      'Actions',
    ]);
    await shot('18-config-certificates');
    const file = join(app.harness.dir, 'certificates', 'site.pem');
    const { config } = (await (await adminClient(target)).get('/api/v1/config')).body;
    expect(config.certificates).toEqual([{ label: 'site', file }]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('PRIVATE KEY');
    // A path for a label is refused before anything is written.
    await page.getByLabel('Certificate label').fill('../escape');
    await page.getByLabel('Certificate file (PEM or PKCS#12)').setInputFiles({
      name: 'site.pem',
      mimeType: 'application/x-pem-file',
      buffer: Buffer.from(pair.cert + pair.key),
    });
    await page.getByRole('button', { name: 'Upload certificate' }).click();
    await page.getByText('label: must be a certificate label').waitFor();
  });

  it('downloads a backup and restores it', () => backupAndRestore(page, target, 'layer4', 'web', 'bravo_server', shot));

  it('rolls back a change from the history, after looking at its diff', () =>
    rollBack(page, target, 'layer4', 'web', { label: 'alpha_server', address: '198.51.100.21', port: 8080 }, shot));

  it('imports an haproxy.cfg: a preview with the notes at file and line, then applied as a new version', () =>
    importConfiguration(page, target, shot));

  it('shows every other page with labelled fields, and sends the CSRF token on every write', async () => {
    const pages: [string, string, string][] = [
      ['config/layer4', 'Layer 4 virtual services', '15-config-layer4'],
      ['config/layer7/new', 'New virtual service', '16-config-layer7-new'],
      ['config/ssl/new', 'New SSL termination', '17-config-ssl'],
      ['config/health-checks/new', 'New health check', '19-config-health-checks'],
      ['config/floating-ips', 'Floating IPs', '20-config-floating-ips'],
      ['config/heartbeat', 'Heartbeat', '21-config-heartbeat'],
      ['config/network', 'Network', '22-config-network'],
      ['config/administration', 'Administration', '23-config-administration'],
      ['reports', 'Reports', '24-reports'],
      ['logs', 'Logs', '25-logs'],
      ['real-servers', 'Real servers: what each mode needs', '26-real-server-setup'],
      ['api', 'REST API', '26a-help-api'],
    ];
    // A DR connection stuck in SYN_RECV: Reports highlight it with the ARP hint and a link to the fix.
    app.harness.engine.connectionTable = [
      {
        protocol: 'TCP',
        client: '203.0.113.7:40000',
        virtual: '192.0.2.10:80',
        destination: '198.51.100.21:8080',
        state: 'SYN_RECV',
        expiresSeconds: 55,
        synRecv: true,
        hint: 'check the ARP fix on 198.51.100.21',
      },
    ];
    const alpha = { layer: 'layer4', service: 'web', server: 'alpha_server' } as const;
    app.harness.engine.setCounters(alpha, { bytesIn: 1000, bytesOut: 5000 });
    app.harness.traffic.sample();
    app.harness.clock.advance(10_000);
    for (const [bytesIn, bytesOut] of [
      [90_000, 400_000],
      [150_000, 1_200_000],
      [260_000, 1_500_000],
    ] as const) {
      app.harness.engine.setCounters(alpha, { bytesIn, bytesOut });
      app.harness.traffic.sample();
      app.harness.clock.advance(10_000);
    }
    for (const [route, heading, name] of pages) {
      await page.goto(`${app.http}/lbadmin/#/${route}`);
      await page
        .getByRole('heading', { name: heading, exact: true })
        .waitFor({ timeout: 10_000 })
        .catch(async (error: Error) => {
          throw new Error(`${route}: ${error.message}\n${await page.locator('main').textContent()}`);
        });
      expect(await unlabelled(page), route).toEqual([]);
      await shot(name);
    }
    // Help > REST API draws every operation of the document, each folded until opened.
    await page.goto(`${app.http}/lbadmin/#/api`);
    await page.getByRole('heading', { name: 'REST API', exact: true }).waitFor();
    expect(await page.locator('details.operation').count()).toBe(app.harness.api.routes.length);
    const getConfig = page.locator('details[data-operation="GET /api/v1/config"]');
    await getConfig.locator('summary').first().click();
    await getConfig.getByText('not modified: If-None-Match holds the current ETag').waitFor();
    await page.goto(`${app.http}/lbadmin/#/reports`);
    await expect.poll(() => page.locator('tr.synrecv').count()).toBe(1);
    await page.getByRole('link', { name: 'How to fix the real server' }).click();
    await page.getByRole('heading', { name: 'Direct Routing: the ARP problem' }).waitFor();
    await page.goto(`${app.http}/lbadmin/#/logs`);
    await page.getByRole('heading', { name: 'Logs', exact: true }).waitFor();
    // The logs page shows the audit trail of this session's changes.
    await page.getByLabel('Channel').selectOption('audit');
    await page.getByText('web certificate replaced').first().waitFor();
    expect(await page.content()).not.toMatch(/\$scrypt\$|\$2[aby]\$/);
    // Follow: a record written now appears without a reload.
    await page.getByLabel('Follow').check();
    await page.getByText(/records, following/).waitFor();
    app.harness.logs.write('audit', 'info', 'a record written while following');
    await page.getByText('a record written while following').waitFor();
    const checked = writes.filter((w) => !w.url.endsWith('/api/v1/session'));
    expect(checked.length).toBeGreaterThan(6);
    for (const write of checked) expect(write.csrf, write.url).toBeTruthy();
  });

  it('edits the heartbeat timers, announcements and connection sync, refusing a deadtime the heartbeat would', async () => {
    const admin = await adminClient(target);
    await page.goto(`${app.http}/lbadmin/#/config/heartbeat`);
    await page.getByRole('heading', { name: 'Heartbeat', exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'Heartbeat' });
    const field = (label: string) => form.getByLabel(label, { exact: true });
    // The defaults are shown, the bounds are the inputs' range: the heartbeat package's.
    const deadtime = field('Deadtime (ms)');
    expect(await deadtime.getAttribute('placeholder')).toBe('150');
    expect([await deadtime.getAttribute('min'), await deadtime.getAttribute('max')]).toEqual(['1', '600000']);
    expect(await field('Keepalive (ms)').getAttribute('placeholder')).toBe('50');
    await form.getByText('1–600,000 ms. Default 150 ms.').waitFor();
    // One lost heartbeat is not a death: the page says so at the field as the user types.
    await fillShortDeadtime(form);
    const rule = 'must be at least twice keepaliveMs (one lost heartbeat is not a death)';
    await form.getByText(rule).waitFor();
    expect(await deadtime.getAttribute('aria-invalid')).toBe('true');
    await shot('28-config-heartbeat-timers');
    // Sent anyway, the API refuses it at the same field; nothing is stored.
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/v1/heartbeat') && r.request().method() === 'PUT'),
      form.getByRole('button', { name: 'Apply changes' }).click(),
    ]);
    expect(await refused.json()).toMatchObject({
      error: { code: 'CONFIG_REJECTED', field: 'heartbeat.timing.deadtimeMs' },
    });
    await form.getByText(rule).waitFor();
    expect((await admin.get('/api/v1/heartbeat')).body.item).toBeNull();
    await deadtime.fill('200');
    await expect.poll(() => form.getByText(rule).count()).toBe(0);
    expect(await deadtime.getAttribute('aria-invalid')).toBeNull();
    // Connection sync on without its interface: the interface is what is missing.
    await field('Connection sync enabled').check();
    await expect.poll(() => field('Sync interface').getAttribute('aria-invalid')).toBe('true');
    await field('Sync interface').fill('eth1');
    await field('Announcements per burst').fill('3');
    await form.getByRole('button', { name: 'Apply changes' }).click();
    await page
      .locator('#toast')
      .getByText(/^Saved as configuration version/)
      .waitFor();
    const stored = (await admin.get('/api/v1/config')).body.config.heartbeat;
    expect(stored.timing).toEqual({ keepaliveMs: 100, warntimeMs: 100, deadtimeMs: 200, initdeadMs: 1000 });
    expect(stored.announcements).toEqual({ count: 3, intervalMs: 1000, delayMs: 5000, refreshMs: 0 });
    expect(stored.connectionSync).toEqual({ enabled: true, interface: 'eth1', syncId: 0 });
    // The page shows what is stored; the connection sync off with nothing else given leaves it out.
    await page.reload();
    await expect.poll(() => field('Deadtime (ms)').inputValue()).toBe('200');
    await field('Connection sync enabled').uncheck();
    await field('Sync interface').fill('');
    await field('Sync ID').fill('');
    await form.getByRole('button', { name: 'Apply changes' }).click();
    await expect
      .poll(async () => (await admin.get('/api/v1/config')).body.config.heartbeat.connectionSync)
      .toBeUndefined();
    expect((await admin.delete(`/api/v1/heartbeat?version=${await admin.version()}`)).status).toBe(200);
  });

  it('shows the HA role, state, link and warnings in the status bar, live, with takeover and standby', async () => {
    const bar = page.locator('#statusbar');
    const on = () => bar.locator('[aria-current="true"]').allTextContents();
    await page.goto(`${app.http}/lbadmin/#/overview`);
    await expect.poll(on).toEqual(['Standalone', 'Active']);
    app.harness.ha.setPair('passive');
    await expect.poll(on).toEqual(['Slave', 'Passive']);
    expect(await bar.getByTestId('link').textContent()).toBe('Link: up (peer lbpeer 203.0.113.2)');
    await bar.getByRole('button', { name: 'Take over' }).click();
    await expect.poll(on).toEqual(['Slave', 'Active']);
    // Since when and why: the move's reason, in words.
    expect(await bar.getByTestId('since').textContent()).toMatch(/^since \d{1,2}:\d{2}:\d{2} \(takeover\)$/);
    const histogram = (maxMs: number) => ({ count: 1, sumMs: maxMs, maxMs, bounds: [], buckets: [] });
    app.harness.ha.current = {
      ...app.harness.ha.current,
      heartbeat: { sendLateness: histogram(12), peerGap: histogram(260) },
    };
    await app.harness.ha.takeover();
    await expect
      .poll(() => bar.getByTestId('link').getAttribute('title'))
      .toBe("heartbeats: this node's at most 12 ms late, the peer's at most 260 ms apart");
    // The link goes down: the bar says so, with the HA node's warning, without a reload.
    app.harness.ha.current = {
      ...app.harness.ha.current,
      link: 'down',
      warnings: ['no heartbeat from lbpeer for 3 s: both nodes may be active'],
    };
    await bar.getByRole('button', { name: 'Standby' }).click();
    await expect.poll(on).toEqual(['Slave', 'Passive']);
    await bar.getByText('Link: DOWN').waitFor();
    await bar.getByRole('alert').getByText('no heartbeat from lbpeer for 3 s: both nodes may be active').waitFor();
    await shot('27-status-bar-ha');
    app.harness.ha.current = { enabled: false, role: 'standalone', state: 'active', link: 'unknown', warnings: [] };
    await app.harness.ha.takeover().catch(() => undefined);
  });

  it('shows a read-only user the configuration and status without controls that change them', async () => {
    const admin = await adminClient(target);
    const created = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'viewer',
      password: 'a viewer password',
      role: 'readonly',
      mustChangePassword: false,
    });
    expect(created.status).toBe(201);
    const context = await browser.newContext();
    const viewer = await context.newPage();
    await viewer.goto(`${app.http}/lbadmin/`);
    await viewer.getByLabel('User name').fill('viewer');
    await viewer.getByLabel('Password', { exact: true }).fill('a viewer password');
    await viewer.getByRole('button', { name: 'Log in' }).click();
    await viewer.getByRole('heading', { name: 'System overview' }).waitFor();
    await viewer.locator('[data-server="layer4/web/alpha_server"]').waitFor();
    expect(await viewer.getByRole('button', { name: /^Take offline/ }).count()).toBe(0);
    await viewer.goto(`${app.http}/lbadmin/#/config/layer4/edit/web`);
    await viewer.getByRole('heading', { name: 'Layer 4 virtual services: web' }).waitFor();
    expect(await viewer.getByRole('button', { name: /^(Apply changes|Add real server|Delete)/ }).count()).toBe(0);
    await context.close();
  });

  it('restores factory defaults only with the typed confirmation', async () => {
    await page.goto(`${app.http}/lbadmin/#/maintenance`);
    await page.getByRole('heading', { name: 'Maintenance' }).waitFor();
    const admin = await adminClient(target);
    await page.getByLabel('Confirmation').fill('yes');
    await page.getByRole('button', { name: 'Restore factory defaults' }).click();
    await page.locator('#toast').getByText('Type factory-reset to confirm.').waitFor();
    expect((await admin.get('/api/v1/config')).body.config.layer4).toHaveLength(1);
    await page.getByLabel('Confirmation').fill('factory-reset');
    await page.getByRole('button', { name: 'Restore factory defaults' }).click();
    await expect.poll(async () => (await admin.get('/api/v1/config')).body.config.layer4).toEqual([]);
    // Nothing configured again: the wizard greets the administrator.
    await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
  });

  it('on a host without IPVS offers Layer 7, keeps its answers across a reload and makes a service with two real servers', async () => {
    app.harness.capabilities.splice(
      0,
      Infinity,
      { id: 'root', part: 'root', feature: 'Kernel changes', available: true, detail: 'running as root' },
      {
        id: 'ipvs',
        part: 'layer4',
        feature: 'Layer 4 virtual services (IPVS: DR, NAT, TUN)',
        available: false,
        detail: 'kernel 6.1.0-test has no IPVS (CONFIG_IP_VS unset)',
        fix: 'run on a kernel built with CONFIG_IP_VS',
      },
      {
        id: 'haproxy',
        part: 'layer7',
        feature: 'Layer 7 virtual services (HAProxy)',
        available: true,
        detail: 'HAProxy 2.6.12',
      },
    );
    await page.reload();
    await page.getByRole('heading', { name: 'Setup wizard' }).waitFor();
    const steps = () => page.getByRole('list', { name: 'Steps' }).getByRole('listitem').allTextContents();
    // Layer 7 is the default here, so the internal network (NAT only) is not a step at all.
    expect(await steps()).toEqual(['This node', 'Mode', 'Virtual service', 'Real servers', 'Review']);
    await page.getByLabel(/^This node's IP address/).fill('192.0.2.5/24');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('radio', { name: /^Layer 7 SNAT/ }).isChecked()).toBe(true);
    for (const name of [/^Layer 4 DR/, /^Layer 4 NAT/]) {
      expect(await page.getByRole('radio', { name }).isDisabled()).toBe(true);
    }
    await expect
      .poll(() =>
        page
          .getByText(
            'Not on this host: Layer 4 virtual services (IPVS: DR, NAT, TUN): kernel 6.1.0-test has no IPVS (CONFIG_IP_VS unset); fix: run on a kernel built with CONFIG_IP_VS',
          )
          .count(),
      )
      .toBe(2);
    await shot('29-wizard-mode-without-ipvs');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel(/^The virtual IP \(VIP\)/).fill('192.0.2.10');
    await page.getByRole('button', { name: 'Next' }).click();
    // A real server on the VIP's own address, another port: the model (and so the editor) takes it.
    await page.getByLabel('Real server 1 label').fill('alpha_server');
    await page.getByLabel('Real server 1 address').fill('192.0.2.10');
    await page.getByLabel('Real server 1 port').fill('8080');
    await page.getByRole('button', { name: 'Add a real server' }).click();
    // The model's rules as the user types, beside the row at fault: a label used twice.
    await page.getByLabel('Real server 2 label').fill('alpha_server');
    await page.getByLabel('Real server 2 address').fill('192.0.2.22');
    await page
      .getByText('real server label "alpha_server" is already used by layer7[0].realServers[0].label')
      .waitFor();
    await page.getByLabel('Real server 2 label').fill('bravo_server');
    await page.getByLabel('Real server 2 port').fill('8080');
    await page.getByRole('button', { name: 'Add a real server' }).click();
    await page.getByLabel('Real server 3 address').fill('192.0.2.300');
    await page.getByText('must be an IPv4 or IPv6 address').waitFor();
    await page.getByRole('button', { name: 'Remove real server 3' }).click();
    await expect.poll(() => page.getByLabel('Real server 3 address').count()).toBe(0);
    await expect.poll(() => page.locator('.error:not(:empty)').count()).toBe(0);
    await shot('30-wizard-real-servers');
    // A reload mid-wizard: the same step, every answer still there.
    await page.reload();
    await page.getByLabel('Real server 2 address').waitFor();
    expect(await page.locator('.steps [aria-current="step"]').textContent()).toBe('Real servers');
    expect(await page.getByLabel('Real server 1 address').inputValue()).toBe('192.0.2.10');
    expect(await page.getByLabel('Real server 2 label').inputValue()).toBe('bravo_server');
    await page.getByRole('button', { name: 'Back' }).click();
    expect(await page.getByLabel(/^The virtual IP \(VIP\)/).inputValue()).toBe('192.0.2.10');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page
      .locator('dl[aria-label="Summary"]')
      .getByText('alpha_server at 192.0.2.10:8080, bravo_server at 192.0.2.22:8080')
      .waitFor();
    await page.getByRole('button', { name: 'Create this configuration' }).click();
    await page.getByRole('heading', { name: 'System overview' }).waitFor();
    const { config } = (await (await adminClient(target)).get('/api/v1/config')).body;
    expect(config.layer4).toEqual([]);
    expect(config.layer7).toMatchObject([
      {
        label: 'web',
        vip: '192.0.2.10',
        ports: [80],
        realServers: [
          { label: 'alpha_server', address: '192.0.2.10', port: 8080 },
          { label: 'bravo_server', address: '192.0.2.22', port: 8080 },
        ],
      },
    ]);
    // Finished: the next wizard in this tab starts afresh.
    expect(await page.evaluate(() => sessionStorage.getItem('sluice.wizard.progress'))).toBeNull();
    app.harness.capabilities.splice(0, Infinity);
  });

  it('SSL termination: a missing certificate said in words, a link to Certificates, a self-signed one made for the VIP; expiry warned', async () => {
    const admin = await adminClient(target);
    await page.goto(`${app.http}/lbadmin/#/config/ssl/new`);
    const form = page.getByRole('form', { name: 'SSL termination new' });
    await form.getByLabel('Label').fill('web-https');
    await form.getByLabel('Listening IP address').fill('192.0.2.10');
    await form.getByLabel('Layer 7 service').selectOption('web');
    // Sent without a certificate: the field says so in words, and nothing of zod's own wording shows.
    await form.getByRole('button', { name: 'Add SSL termination' }).click();
    const certificate = form.getByLabel('Certificate', { exact: true });
    await expect.poll(() => certificate.getAttribute('aria-invalid')).toBe('true');
    await form.getByText('is required').waitFor();
    expect(await page.locator('main').textContent()).not.toMatch(/Invalid input|expected|Too big|Too small/);
    expect(await form.getByRole('link', { name: 'Certificates: upload or check expiry' }).getAttribute('href')).toBe(
      '#/config/certificates',
    );
    // The uploaded certificate, or one made now for the VIP.
    // (The factory reset before the wizard left no uploaded certificate.)
    expect(await certificate.locator('option').allTextContents()).toEqual([
      '(none)',
      'Self-signed, made now for this VIP',
    ]);
    await certificate.selectOption({ label: 'Self-signed, made now for this VIP' });
    await expect.poll(() => page.locator('.error:not(:empty)').count()).toBe(0);
    await shot('33-config-ssl-self-signed');
    await form.getByRole('button', { name: 'Add SSL termination' }).click();
    await page.getByRole('cell', { name: 'web-https-selfsigned', exact: true }).waitFor();
    const file = join(app.harness.dir, 'certificates', 'web-https-selfsigned.pem');
    const { config } = (await admin.get('/api/v1/config')).body;
    expect(config.ssl).toEqual([
      { label: 'web-https', certificate: 'web-https-selfsigned', vip: '192.0.2.10', port: 443, service: 'web' },
    ]);
    expect(config.certificates).toContainEqual({ label: 'web-https-selfsigned', file });
    const made = new X509Certificate(await readFile(file, 'utf8'));
    expect(made.subjectAltName).toBe('IP Address:192.0.2.10');

    // A certificate 10 days from its end (the appliance's clock): the Certificates page warns, with its users.
    const old = await makeTerminationCertificate(
      join(app.harness.dir, 'certificates'),
      'old',
      ['old.example.test'],
      new Date(app.harness.clock.time - (3 * 365 - 10) * 86_400_000),
    );
    const added = await admin.post(`/api/v1/certificates?version=${await admin.version()}`, {
      label: 'old',
      file: old.file,
    });
    expect(added.status).toBe(201);
    await page.goto(`${app.http}/lbadmin/#/config/certificates`);
    const row = (label: string) =>
      page.getByRole('row').filter({ has: page.getByRole('cell', { name: label, exact: true }) });
    await row('web-https-selfsigned').getByRole('cell', { name: '192.0.2.10', exact: true }).waitFor();
    expect(await row('web-https-selfsigned').textContent()).toContain('CN=192.0.2.10');
    expect(await row('old').textContent()).toContain('⚠ in 10 days');
    await page
      .getByTestId('certificate-warnings')
      .getByText(/^⚠ Certificate old expires in 10 days \(\d{4}-\d{2}-\d{2}\): renew it and upload the new one\.$/)
      .waitFor();
    await shot('34-config-certificates-expiry');
    // Presented by the termination, it is warned on the overview too.
    const moved = await admin.put(`/api/v1/ssl/web-https?version=${await admin.version()}`, {
      label: 'web-https',
      certificate: 'old',
      vip: '192.0.2.10',
      service: 'web',
    });
    expect(moved.status).toBe(200);
    await page.goto(`${app.http}/lbadmin/#/overview`);
    await page
      .getByTestId('certificate-warnings')
      .getByText(
        /^⚠ Certificate old expires in 10 days \(.*\): renew it and upload the new one\. \(presented by web-https\)$/,
      )
      .waitFor();
  });

  it('one password rule: the pages show it, check it as the user types, and send nothing it refuses', async () => {
    const rule = 'At least 12 characters, on one line; a few words make a good one.';
    const tooShort = 'is too short: use at least 12 characters (this one has 10)';
    const sent = () => writes.filter((w) => /\/session\/password|\/users/.test(w.url)).length;
    const before = sent();
    await page.goto(`${app.http}/lbadmin/#/password`);
    const change = page.getByRole('form', { name: 'Change password' });
    const fresh = change.getByLabel('New password', { exact: true });
    await change.getByText(rule).waitFor();
    await change.getByLabel('Current password').fill(ADMIN_PASSWORD);
    await fresh.fill('ten chars!');
    await change.getByText(tooShort).waitFor();
    expect(await fresh.getAttribute('aria-invalid')).toBe('true');
    await change.getByLabel('New password again').fill('ten chars!');
    await change.getByRole('button', { name: 'Change password' }).click();
    await change.getByText(tooShort).waitFor();
    // Twelve is enough: the message goes as the user types.
    await fresh.fill('twelve chars');
    await expect.poll(() => change.getByText(tooShort).count()).toBe(0);
    // A user added under Administration: the same rule, the same words.
    await page.goto(`${app.http}/lbadmin/#/config/administration`);
    // A port typed but not applied stays through the redraw a new user brings.
    const httpPort = page.getByLabel('HTTP port');
    await httpPort.fill('9081');
    await page.getByRole('button', { name: 'Add user' }).click();
    const user = page.getByRole('form', { name: 'new user' });
    await user.getByText(`${rule} Left empty when editing: unchanged.`).waitFor();
    await user.getByLabel('User name').fill('operator');
    await user.getByLabel('Password', { exact: true }).fill('ten chars!');
    await user.getByText(tooShort).waitFor();
    await user.getByRole('button', { name: 'Add user' }).click();
    await user.getByText(tooShort).waitFor();
    expect(sent()).toBe(before);
    await user.getByLabel('Password', { exact: true }).fill('operator password');
    await user.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('cell', { name: 'operator', exact: true }).waitFor();
    expect(sent()).toBe(before + 1);
    expect(await httpPort.inputValue()).toBe('9081');
    await httpPort.fill('9080');
  });

  it('Administration shows the ports the web interface really listens on, and why the configured ones differ', async () => {
    await page.goto(`${app.http}/lbadmin/#/config/administration`);
    const ports = page.getByTestId('web-ports');
    // This appliance listens where the system gave room (port 0), not on the configured 9080/9443.
    await ports
      .getByText(
        `The web interface and the API listen on HTTP port ${app.web.httpPort} and HTTPS port ${app.web.httpsPort}.`,
      )
      .waitFor();
    await ports.getByText(/^⚠ The configured ports below \(HTTP 9080, HTTPS 9443\) are not in use/).waitFor();
    expect(await page.getByLabel('HTTP port').inputValue()).toBe('9080');
    await shot('41-config-administration-ports');
  });

  it('Layer 7 persistence: one None, and the empty cookie name shows the default HAProxy uses', async () => {
    await page.goto(`${app.http}/lbadmin/#/config/layer7/edit/web`);
    const form = page.getByRole('form', { name: 'virtual service web' });
    const persistence = form.getByLabel('Persistence', { exact: true });
    await persistence.waitFor();
    expect(await persistence.locator('option').allTextContents()).toEqual([
      'None',
      'HTTP cookie (inserted by the balancer)',
      "Application cookie (the application's own)",
      'Source IP',
      'RDP client cookie',
    ]);
    expect(await persistence.inputValue()).toBe('none');
    const cookie = form.getByLabel('Cookie name');
    await form.getByText('Empty: SERVERID for an HTTP cookie, JSESSIONID for an application cookie.').waitFor();
    expect(await cookie.getAttribute('placeholder')).toBeNull();
    await persistence.selectOption('cookie-insert');
    await expect.poll(() => cookie.getAttribute('placeholder')).toBe('SERVERID');
    await persistence.selectOption('passive-cookie');
    await expect.poll(() => cookie.getAttribute('placeholder')).toBe('JSESSIONID');
    await persistence.selectOption('cookie-insert');
    await form.getByRole('button', { name: 'Apply changes' }).click();
    // Stored without a name: HAProxy's configuration is written with SERVERID (the model's unit tests render it).
    const admin = await adminClient(target);
    await expect
      .poll(async () => (await admin.get('/api/v1/config')).body.config.layer7[0].persistence)
      .toEqual({ type: 'cookie-insert' });
  });

  it('warns before unsaved edits are lost (another page, a reload); the user can stay; saving or Cancel clears it', async () => {
    const blocked = () =>
      page.evaluate(() => {
        const event = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
      });
    const edit = `${app.http}/lbadmin/#/config/layer7/edit/web`;
    await page.goto(edit);
    const form = page.getByRole('form', { name: 'virtual service web' });
    const description = form.getByLabel('Description');
    await description.waitFor();
    expect(await blocked()).toBe(false);
    await description.fill('typed, not saved');
    expect(await blocked()).toBe(true);
    // Another page of the UI: asked; "stay" keeps the page, its address and what was typed.
    dialogs.length = 0;
    answer = 'no';
    await page.getByRole('link', { name: 'Logs' }).click();
    await expect
      .poll(() => dialogs)
      .toEqual(['confirm: This page has changes that are not saved. Leave it and lose them?']);
    answer = 'yes';
    expect(page.url()).toBe(edit);
    expect(await description.inputValue()).toBe('typed, not saved');
    expect(await page.getByRole('heading', { name: 'Layer 7 virtual services: web' }).count()).toBe(1);
    // A reload: the browser's own question.
    dialogs.length = 0;
    await page.reload();
    expect(dialogs.map((d) => d.split(':')[0])).toEqual(['beforeunload']);
    await description.waitFor();
    // Cancel gives the edits up: no question when it leaves.
    await description.fill('typed, then cancelled');
    dialogs.length = 0;
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Layer 7 virtual services', exact: true }).waitFor();
    expect(dialogs).toEqual([]);
    expect(await blocked()).toBe(false);
    // Saved: nothing to warn about either.
    await page.goto(edit);
    await description.fill('saved this time');
    const admin = await adminClient(target);
    const version = await admin.version();
    await form.getByRole('button', { name: 'Apply changes' }).click();
    await page
      .locator('#toast')
      .getByText(`Saved as configuration version ${version + 1}`, { exact: true })
      .waitFor();
    expect((await admin.get('/api/v1/config')).body.config.layer7[0].description).toBe('saved this time');
    expect(await blocked()).toBe(false);
    await page.getByRole('link', { name: 'Logs' }).click();
    await page.getByRole('heading', { name: 'Logs', exact: true }).waitFor();
    expect(dialogs).toEqual([]);
  });

  it('keeps what was typed in a service when a real server is added, and adds real servers to a new service before its first save', async () => {
    const admin = await adminClient(target);
    await page.goto(`${app.http}/lbadmin/#/config/layer7/edit/web`);
    const form = page.getByRole('form', { name: 'virtual service web' });
    await form.getByLabel('Description').fill('shop front, typed before the server');
    await form.getByLabel('Persistence timeout (seconds)').fill('600');
    await page.getByRole('button', { name: 'Add real server' }).click();
    const server = page.getByRole('form', { name: 'real server new' });
    await server.getByLabel('Label').fill('charlie_server');
    await server.getByLabel('Real server IP address').fill('192.0.2.23');
    await server.getByLabel('Port', { exact: true }).fill('8080');
    await server.getByRole('button', { name: 'Add real server' }).click();
    await page.getByRole('cell', { name: 'charlie_server', exact: true }).waitFor();
    // The server is saved; the service's typed fields are still there, still unsaved.
    expect(await form.getByLabel('Description').inputValue()).toBe('shop front, typed before the server');
    expect(await form.getByLabel('Persistence timeout (seconds)').inputValue()).toBe('600');
    let stored = (await admin.get('/api/v1/config')).body.config.layer7[0];
    expect(stored.realServers.map((r: { label: string }) => r.label)).toContain('charlie_server');
    expect(stored.description).toBe('saved this time');
    // The save is stored, but its answer reaches the browser only after the user has gone on
    // to another page: the late answer must not pull them back (nor drop what they type there).
    let answerSave!: () => void;
    const saveAnswered = new Promise<void>((resolve) => {
      answerSave = resolve;
    });
    const saveUrl = (url: URL) => url.pathname === '/api/v1/layer7/services/web';
    let held = 0;
    await page.route(saveUrl, async (route) => {
      if (route.request().method() !== 'PUT') return route.continue();
      held++;
      const response = await route.fetch();
      await saveAnswered;
      await route.fulfill({ response });
    });
    await form.getByRole('button', { name: 'Apply changes' }).click();
    await expect
      .poll(async () => (await admin.get('/api/v1/config')).body.config.layer7[0].description)
      .toBe('shop front, typed before the server');
    const savedAs = await admin.version();
    stored = (await admin.get('/api/v1/config')).body.config.layer7[0];
    expect(stored.persistence).toEqual({ type: 'cookie-insert', timeoutSeconds: 600 });
    expect(stored.realServers.map((r: { label: string }) => r.label)).toContain('charlie_server');

    // A new Layer 4 service: its real servers are listed before it exists, and written with it in one version.
    await page.goto(`${app.http}/lbadmin/#/config/layer4/new`);
    const service = page.getByRole('form', { name: 'virtual service new' });
    await service.getByLabel('Label').fill('mail');
    expect(held).toBe(1);
    answerSave();
    await page.locator('#toast').getByText(`Saved as configuration version ${savedAs}`, { exact: true }).waitFor();
    await page.unroute(saveUrl);
    expect(await service.getByLabel('Label').inputValue()).toBe('mail');
    expect(page.url()).toBe(`${app.http}/lbadmin/#/config/layer4/new`);
    await service.getByLabel('Description').fill('SMTP, typed first');
    await service.getByLabel('Virtual service IP address').fill('192.0.2.30');
    await service.getByLabel('Ports').fill('25');
    const lonely = service.getByText(/no real servers and no fallback server/);
    await lonely.waitFor();
    const before = await admin.version();
    for (const [label, address] of [
      ['mail_one', '192.0.2.31'],
      ['mail_two', '192.0.2.32'],
    ]) {
      await page.getByRole('button', { name: 'Add real server' }).click();
      const add = page.getByRole('form', { name: 'real server new' });
      await add.getByLabel('Label').fill(label as string);
      await add.getByLabel('Real server IP address').fill(address as string);
      await add.getByRole('button', { name: 'Add real server' }).click();
      await page.getByRole('cell', { name: label as string, exact: true }).waitFor();
    }
    // A server the model refuses stays in its form, with the reason beside the field.
    await page.getByRole('button', { name: 'Add real server' }).click();
    const bad = page.getByRole('form', { name: 'real server new' });
    await bad.getByLabel('Label').fill('mail_one');
    await bad.getByLabel('Real server IP address').fill('192.0.2.33');
    await bad.getByRole('button', { name: 'Add real server' }).click();
    await bad.getByText(/already used/).waitFor();
    await bad.getByRole('button', { name: 'Cancel' }).click();
    // The service is judged with its servers to come: no "no real servers" warning any more.
    await expect.poll(() => lonely.count()).toBe(0);
    expect(await service.getByLabel('Description').inputValue()).toBe('SMTP, typed first');
    expect(await admin.version()).toBe(before);
    await page.getByText('Real servers added here are saved with the virtual service').waitFor();
    // The earlier saves' toasts would cover the list (and say nothing of this page).
    await page.evaluate(() => document.getElementById('toast')?.replaceChildren());
    await shot('40-config-layer4-new-with-real-servers');
    // Leaving now would lose the servers too: asked.
    dialogs.length = 0;
    answer = 'no';
    await page.getByRole('link', { name: 'Logs' }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    answer = 'yes';
    await service.getByRole('button', { name: 'Add virtual service' }).click();
    await page.getByRole('heading', { name: 'Layer 4 virtual services: mail' }).waitFor();
    expect(await admin.version()).toBe(before + 1);
    const mail = (await admin.get('/api/v1/config')).body.config.layer4.find(
      (s: { label: string }) => s.label === 'mail',
    );
    expect(mail).toMatchObject({
      description: 'SMTP, typed first',
      vip: '192.0.2.30',
      ports: [25],
      realServers: [
        { label: 'mail_one', address: '192.0.2.31' },
        { label: 'mail_two', address: '192.0.2.32' },
      ],
    });
    await page.getByRole('cell', { name: 'mail_two', exact: true }).waitFor();
  });

  it('is usable with the keyboard: log out, then log in with Tab and Enter', () => keyboardLogin(page));
});
