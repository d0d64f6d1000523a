import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Host, type NamespaceProcess } from '@sluice/testkit';
import type { Browser, Page } from 'playwright-core';
import { type LabTopology, labDown, labUp } from '../../src/lab/index.js';
import { launchChromium } from './appliance.js';
import type { UiTarget } from './story.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const FORWARDER = fileURLToPath(new URL('../e2e/fixtures/unix-forward.mjs', import.meta.url));

/** A TCP port on the host's 127.0.0.1 whose connections go to a Unix socket (and on into the namespace). */
async function tcpToUnix(socketPath: string): Promise<Server> {
  const server = createServer((downstream) => {
    const upstream = connect(socketPath);
    downstream.pipe(upstream).pipe(downstream);
    const close = () => {
      downstream.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    downstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export interface RunningDaemon extends UiTarget {
  dataDir: string;
  daemon: NamespaceProcess;
  close(): Promise<void>;
}

/**
 * The real daemon (`node dist/cli.js serve`) inside the lab's balancer namespace, where it
 * may program HAProxy and addresses without touching this host. Its :9080 and :9443 reach
 * the host's 127.0.0.1 through a Unix socket each (a path is shared by every namespace;
 * TCP is not), so Chromium on the host sees it as http(s)://127.0.0.1:PORT.
 */
export async function startDaemonInLab(netns: string): Promise<RunningDaemon> {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build the appliance first (npx turbo run build --filter=@sluice/appliance...)`);
  }
  const host = new Host(netns.replace(/^.*-/, ''), netns);
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-ui-data-'));
  const sockets = { http: `${dataDir}.http.sock`, https: `${dataDir}.https.sock` };
  // One at a time: waitForLine sees only output that arrives after it is called.
  for (const [socket, port] of [
    [sockets.http, '9080'],
    [sockets.https, '9443'],
  ] as const) {
    await host.spawn(process.execPath, [FORWARDER, socket, '127.0.0.1', port]).waitForLine('READY', 30_000);
  }
  const proxies = [await tcpToUnix(sockets.http), await tcpToUnix(sockets.https)];
  const [httpPort, httpsPort] = proxies.map((p) => (p.address() as AddressInfo).port);
  const http = `http://127.0.0.1:${httpPort}`;
  const daemon = host.spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`serve exited (${daemon.child.exitCode ?? daemon.child.signalCode}): ${daemon.log}`);
    }
    const ok = await fetch(`${http}/api/v1/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok && existsSync(join(dataDir, 'initial-password'))) break;
    if (Date.now() > deadline) throw new Error(`the daemon in ${netns} does not answer: ${daemon.log}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    dataDir,
    daemon,
    http,
    https: `https://127.0.0.1:${httpsPort}`,
    initialPassword: async () => (await readFile(join(dataDir, 'initial-password'), 'utf8')).trim(),
    currentCertificate: async () => readFile(join(dataDir, 'web-tls', 'server.pem'), 'utf8'),
    async close() {
      await host.stopProcesses();
      for (const p of proxies) {
        p.close();
        p.unref();
      }
      await rm(dataDir, { recursive: true, force: true });
      await rm(sockets.http, { force: true });
      await rm(sockets.https, { force: true });
    },
  };
}

export interface LabUi {
  topology: LabTopology;
  daemon: RunningDaemon;
  browser: Browser;
  page: Page;
  /** The lab's first client, to send requests from. */
  client(): Host;
  /** The lab's real server `label` (alpha, bravo, charlie). */
  realServer(label: string): LabTopology['realServers'][number];
  close(): Promise<void>;
}

/**
 * A lab of its own (`prefix`, so that tests cannot collide), the real daemon in its
 * balancer namespace, and Chromium with one page at `viewport` that accepts every dialog.
 */
export async function startLabUi(prefix: string, viewport: { width: number; height: number }): Promise<LabUi> {
  await labDown({ prefix });
  const { topology } = await labUp({ prefix });
  let daemon: RunningDaemon | undefined;
  let browser: Browser | undefined;
  let page: Page;
  try {
    const lb = topology.hosts.find((h) => h.role === 'balancer');
    if (!lb) throw new Error('the lab has no balancer');
    daemon = await startDaemonInLab(lb.netns);
    browser = await launchChromium();
    page = await (await browser.newContext({ acceptDownloads: true, viewport })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  } catch (error) {
    // Half made (no Chromium, the daemon did not start): leave nothing running behind.
    await browser?.close();
    await daemon?.close();
    await labDown({ prefix });
    throw error;
  }
  const [started, chromium] = [daemon, browser];
  return {
    topology,
    daemon: started,
    browser: chromium,
    page,
    client() {
      const c = topology.hosts.find((h) => h.role === 'client');
      if (!c) throw new Error('the lab has no client');
      return new Host(c.label, c.netns);
    },
    realServer(label) {
      const found = topology.realServers.find((r) => r.label === label);
      if (!found) throw new Error(`the lab has no ${label}`);
      return found;
    },
    async close() {
      await chromium.close();
      await started.close();
      await labDown({ prefix });
    },
  };
}
