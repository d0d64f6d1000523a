import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.mjs';
import { createWebServers, type WebServers } from '../../src/web/index.js';
import { type Harness, type HarnessOptions, startHarness } from '../api/harness.js';
import type { UiTarget } from './story.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium, headless. Browser downloads do not work on these machines, so the
 * test uses the system browser that `.ci/run` installs (tools/testkit/debian-packages.txt)
 * and fails loudly when it is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `UI_TEST_NO_CHROMIUM: ${CHROMIUM} is missing; install Debian's chromium (apt-get install chromium; listed in tools/testkit/debian-packages.txt)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No network here: Chromium's background services would only fail (and slow every start).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export interface Appliance {
  harness: Harness;
  web: WebServers;
  http: string;
  https: string;
  uiDir: string;
  initialPassword(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A running appliance: the real REST API (store, auth, admin states, log book in a temp
 * data directory) behind the real web servers on 127.0.0.1, with the UI built from the
 * current sources; the engine and HA node are the API tests' fakes (no root needed).
 */
export async function startAppliance(options: HarnessOptions = {}): Promise<Appliance> {
  const uiDir = await mkdtemp(join(tmpdir(), 'sluice-ui-build-'));
  await buildUi(uiDir);
  const harness = await startHarness(options);
  const web = await createWebServers({
    handleApi: (req, res) => harness.api.handle(req, res),
    addApiRoutes: (routes) => harness.api.addRoutes(routes),
    logs: harness.logs,
    dataDir: harness.dir,
    httpPort: 0,
    httpsPort: 0,
    hosts: ['127.0.0.1'],
    certificateNames: ['localhost', '127.0.0.1'],
    uiDir,
  });
  return {
    harness,
    web,
    uiDir,
    http: `http://127.0.0.1:${web.httpPort}`,
    https: `https://127.0.0.1:${web.httpsPort}`,
    initialPassword: async () => (await readFile(join(harness.dir, 'initial-password'), 'utf8')).trim(),
    async close() {
      await web.close();
      await harness.close();
      await rm(uiDir, { recursive: true, force: true });
    },
  };
}

/** The story's view of an appliance started here: its two addresses, first password and web certificate. */
export const uiTarget = (app: Appliance): UiTarget => ({
  http: app.http,
  https: app.https,
  initialPassword: app.initialPassword,
  currentCertificate: async () => app.web.certificates.material().cert,
});
