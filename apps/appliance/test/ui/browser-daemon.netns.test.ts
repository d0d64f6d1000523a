import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabTopology, PAGE_PORT } from '../../src/lab/index.js';
import { type LabUi, type RunningDaemon, startLabUi } from './daemon.js';
import {
  addRealServer,
  adminClient,
  backupAndRestore,
  completeWizard,
  firstLogin,
  offlineAndBack,
  openFirstPage,
  rollBack,
  SHOTS,
  uploadCertificate,
} from './story.js';

// The administrator's story against the real daemon (`serve`: store, engine, HAProxy, HA
// node, API, web servers) in the lab's balancer namespace: a Layer 7 service made by the
// wizard serves the lab's real web servers to a client, and the overview follows it live.
const PREFIX = 'sluice-uitest-';

describe('web UI in Chromium against the real daemon in the lab', () => {
  let lab: LabUi;
  let topology: LabTopology;
  let daemon: RunningDaemon;
  let browser: Browser;
  let page: Page;
  // The screenshots of the README come from browser.test.ts; this run keeps its overview only.
  const noShot = async () => undefined;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `daemon-${name}.png`), fullPage: true });
  const url = () => `http://${topology.vips.layer7}:${PAGE_PORT}/`;
  const client = () => lab.client();
  const rs = (label: string) => ({ label: `${label}_server`, address: lab.realServer(label).front, port: PAGE_PORT });

  beforeAll(async () => {
    lab = await startLabUi(PREFIX, { width: 1280, height: 860 });
    ({ topology, daemon, browser, page } = lab);
  }, 180_000);

  afterAll(() => lab?.close(), 60_000);

  it('logs in, changes the first password and completes the wizard: the client reaches alpha_server', async () => {
    const lbAddress = topology.hosts.find((h) => h.role === 'balancer')?.interfaces[0]?.addresses[0] ?? '';
    await openFirstPage(page, daemon, noShot);
    await firstLogin(page, daemon, noShot);
    await completeWizard(
      page,
      {
        nodeAddress: lbAddress,
        mode: 'snat',
        serverLabel: 'alpha_server',
        vip: topology.vips.layer7,
        port: PAGE_PORT,
        ...serverAnswers(rs('alpha')),
      },
      noShot,
    );
    const pages = await poll(async () => {
      const answers = await client().httpGet(url(), 3, 3_000);
      return answers.every((a) => a.includes('alpha_server')) ? answers : undefined;
    });
    expect(pages).toHaveLength(3);
  }, 120_000);

  it('adds bravo_server with the Layer 7 form: traffic reaches both', async () => {
    await addRealServer(page, daemon, 'layer7', 'web', rs('bravo'), noShot);
    await poll(async () => {
      const answers = (await client().httpGet(url(), 6, 3_000)).join(' ');
      return answers.includes('alpha_server') && answers.includes('bravo_server') ? true : undefined;
    });
  }, 120_000);

  it('takes bravo_server offline: blue live in the overview, and no request reaches it', async () => {
    await offlineAndBack(page, daemon, 'layer7', 'web', 'bravo_server', shot, async () => {
      const answers = await client().httpGet(url(), 6, 3_000);
      expect(answers.join(' ')).not.toContain('bravo_server');
    });
    await poll(async () =>
      (await client().httpGet(url(), 6, 3_000)).join(' ').includes('bravo_server') ? true : undefined,
    );
  }, 120_000);

  it(
    'uploads a certificate that the HTTPS server presents at once',
    () => uploadCertificate(page, daemon, browser, noShot),
    60_000,
  );

  it(
    'downloads a backup and restores it',
    () => backupAndRestore(page, daemon, 'layer7', 'web', 'bravo_server', noShot),
    60_000,
  );

  it('rolls back a change from the history', async () => {
    await rollBack(page, daemon, 'layer7', 'web', rs('alpha'), noShot);
    const admin = await adminClient(daemon);
    const status = (await admin.get('/api/v1/status')).body;
    expect(status.engine.parts.find((p: { part: string }) => p.part === 'layer7')?.state).toBe('applied');
  }, 60_000);
});

function serverAnswers(server: { address: string; port: number }) {
  return { serverAddress: server.address, serverPort: server.port };
}

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms (last error: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
