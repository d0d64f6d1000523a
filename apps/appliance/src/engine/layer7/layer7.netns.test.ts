// The Layer 7 driver against a real HAProxy in a network namespace, real HTTP servers that
// name themselves and a real client: balancing, persistence, URL switching, SSL termination,
// admin states without a reload, health checks, refused changes, VIPs not held yet.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterClient } from '@sluice/haproxy-config';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBook } from '../../logs/contract.js';
import type { AdminState } from '../../model/admin-state.js';
import type { LogRecord } from '../../model/log-record.js';
import { type ApplianceConfig, type ApplianceConfigInput, configSchema } from '../../model/schema.js';
import { makeTerminationCertificate } from '../../web/termination-certificates.js';
import type { DesiredInput } from '../driver.js';
import { createLayer7Driver, HaproxyRefusedError, type Layer7Driver } from './index.js';

const CLIENT = '192.0.2.2';
const LB = '192.0.2.1';
const VIP = '192.0.2.10';
const VIP6 = '2001:db8:1::10';
/** A VIP the balancer does not hold at first: the passive node of a pair. */
const LATER_VIP = '192.0.2.20';
const SERVERS = { alpha: '198.51.100.11', bravo: '198.51.100.12', charlie: '198.51.100.13' } as const;

let lab: Lab;
let client: Host;
let lb: Host;
let lbClientIf: string;
let dir: string;
let certificate: string;
let badCertificate: string;
let driver: Layer7Driver;
let version = 0;
const records: LogRecord[] = [];
const admin = new Map<string, AdminState>();

const logs: LogBook = {
  write(channel, level, message, fields) {
    const record: LogRecord = {
      seq: records.length + 1,
      time: new Date().toISOString(),
      channel,
      level,
      message,
      ...(fields ? { fields } : {}),
    };
    records.push(record);
    return record;
  },
  query: () => [...records],
  follow: () => () => undefined,
};

function baseConfig(): ApplianceConfigInput {
  const servers = () => [
    { label: 'alpha', address: SERVERS.alpha, port: 8080 },
    { label: 'bravo', address: SERVERS.bravo, port: 8080 },
  ];
  return {
    certificates: [{ label: 'site', file: certificate }],
    healthChecks: [{ label: 'tcp', type: 'connect', intervalSeconds: 1, timeoutSeconds: 1, rise: 1, fall: 1 }],
    layer7: [
      {
        label: 'web',
        vip: VIP,
        ports: [80],
        realServers: servers(),
        urlRules: [{ match: 'path-prefix', value: '/images/', service: 'images' }],
      },
      {
        label: 'images',
        vip: VIP,
        ports: [8081],
        realServers: [{ label: 'charlie', address: SERVERS.charlie, port: 8080 }],
      },
      {
        label: 'sticky',
        vip: VIP,
        ports: [81],
        persistence: { type: 'cookie-insert', cookieName: 'LB' },
        realServers: servers(),
      },
      {
        label: 'checked',
        vip: VIP,
        ports: [82],
        healthCheck: 'tcp',
        realServers: [
          { label: 'alpha', address: SERVERS.alpha, port: 8080 },
          // Nothing listens there: the check fails.
          { label: 'bravo', address: SERVERS.bravo, port: 9999 },
        ],
      },
      { label: 'six', vip: VIP6, ports: [80], realServers: [{ label: 'bravo', address: SERVERS.bravo, port: 8080 }] },
      {
        label: 'headers',
        vip: VIP,
        ports: [83],
        realServers: [{ label: 'charlie', address: SERVERS.charlie, port: 8090 }],
      },
      {
        label: 'later',
        vip: LATER_VIP,
        ports: [80],
        realServers: [{ label: 'alpha', address: SERVERS.alpha, port: 8080 }],
      },
    ],
    ssl: [
      { label: 'web-tls', certificate: 'site', vip: VIP, port: 443, service: 'web' },
      { label: 'headers-tls', certificate: 'site', vip: VIP, port: 8443, service: 'headers' },
    ],
  };
}

function input(config: ApplianceConfigInput): DesiredInput {
  const parsed: ApplianceConfig = configSchema.parse(config);
  return {
    version: ++version,
    config: parsed,
    server: (ref) => ({ admin: admin.get(`${ref.service}/${ref.server}`) ?? 'online', health: 'unknown' }),
  };
}

async function workerPid(): Promise<number | undefined> {
  const procs = await new MasterClient({ socketPath: join(dir, 'state', 'master.sock') }).showProc();
  return procs.find((p) => p.role === 'worker' && !p.old)?.pid;
}

async function curl(args: string[]): Promise<string> {
  const { stdout } = await client.exec('curl', ['-s', '-S', '--max-time', '5', ...args]);
  return stdout.trim();
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

beforeAll(async () => {
  lab = await Lab.create();
  dir = await mkdtemp(join(tmpdir(), 'sluice-l7-'));
  // The certificate an appliance without openssl makes for the VIP (the SSL termination form's
  // self-signed choice): certificate and key in one PEM, as HAProxy takes it. curl trusts it alone.
  const made = await makeTerminationCertificate(dir, 'site', [VIP]);
  certificate = made.file;
  const pem = await readFile(certificate, 'utf8');
  await writeFile(join(dir, 'site.crt'), pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26));
  // PEM markers around garbage: the driver's own check passes it, `haproxy -c` does not.
  badCertificate = join(dir, 'bad.pem');
  await writeFile(
    badCertificate,
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n',
  );

  client = await lab.host('client');
  lb = await lab.host('lb');
  const link = await lab.link(client, lb, {
    aAddrs: [`${CLIENT}/24`, '2001:db8:1::2/64'],
    bAddrs: [`${LB}/24`, `${VIP}/24`, '2001:db8:1::1/64', `${VIP6}/64`],
  });
  lbClientIf = link.bIf;
  const sw = await lab.switch('sw');
  await lab.attach(lb, sw, ['198.51.100.1/24']);
  for (const [name, address] of Object.entries(SERVERS)) {
    const host = await lab.host(name);
    await lab.attach(host, sw, [`${address}/24`]);
    await host.serveHttp({ name: `${name}_server`, port: 8080 });
    if (name === 'charlie') {
      const echo = host.spawn(process.execPath, [
        join(import.meta.dirname, 'fixtures', 'header-echo.mjs'),
        name,
        '0.0.0.0',
        '8090',
      ]);
      await echo.waitForLine('READY', 30_000);
    }
  }
  driver = createLayer7Driver({ stateDir: join(dir, 'state'), logs, netns: lb.netns });
});

afterAll(async () => {
  await driver?.stopDataPlane();
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Layer 7 driver with a real HAProxy', () => {
  it('probes this host as able to run HAProxy', async () => {
    expect(await driver.probe()).toEqual({ available: true });
  });

  it('starts HAProxy, and a service with two real servers balances', async () => {
    const { changes } = await driver.apply(input(baseConfig()));
    expect(changes).toContain(`layer7: add service web (${VIP}:80 http -> web)`);
    expect(changes).toContain(`layer7: add SSL termination web-tls (${VIP}:443 http -> web)`);
    expect(changes.some((l) => l.startsWith('layer7: start HAProxy (pid '))).toBe(true);
    expect(driver.pid).toBeGreaterThan(0);
    const bodies = await client.httpGet(`http://${VIP}/`, 10);
    expect(new Set(bodies)).toEqual(new Set(['alpha_server', 'bravo_server']));
    expect(bodies.filter((b) => b === 'alpha_server')).toHaveLength(5);
  });

  it('applying the same configuration again changes nothing', async () => {
    const before = await workerPid();
    expect(await driver.apply(input(baseConfig()))).toEqual({ changes: [] });
    expect(await workerPid()).toBe(before);
  });

  it('an IPv6 VIP serves too', async () => {
    expect(await client.httpGet(`http://[${VIP6}]/`, 2)).toEqual(['bravo_server', 'bravo_server']);
  });

  it('cookie persistence sticks a client to one server', async () => {
    const jar = join(dir, 'cookies.txt');
    const first = await curl(['-c', jar, `http://${VIP}:81/`]);
    expect(['alpha_server', 'bravo_server']).toContain(first);
    for (let i = 0; i < 6; i++) expect(await curl(['-b', jar, `http://${VIP}:81/`])).toBe(first);
    // Without the cookie the same service balances.
    expect(new Set(await client.httpGet(`http://${VIP}:81/`, 4))).toEqual(new Set(['alpha_server', 'bravo_server']));
  });

  it('URL switching sends /images/ to another service', async () => {
    expect(await client.httpGet(`http://${VIP}/images/logo.png`, 3)).toEqual(Array(3).fill('charlie_server'));
    expect(await client.httpGet(`http://${VIP}/other/`, 2)).not.toContain('charlie_server');
  });

  it('SSL termination answers over HTTPS with the certificate and the service rules', async () => {
    const cacert = join(dir, 'site.crt');
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push(await curl(['--cacert', cacert, `https://${VIP}/`]));
    expect(new Set(bodies)).toEqual(new Set(['alpha_server', 'bravo_server']));
    expect(await curl(['--cacert', cacert, `https://${VIP}/images/a`])).toBe('charlie_server');
  });

  it('adds X-Forwarded-For, and sets X-Forwarded-Proto (http, https) over what the client sent', async () => {
    // The client claims HTTPS on the plain listener: the real server must see what HAProxy saw.
    const plain = JSON.parse(await curl(['-H', 'X-Forwarded-Proto: https', `http://${VIP}:83/`])) as {
      headers: Record<string, string>;
    };
    expect(plain.headers['x-forwarded-for']).toBe(CLIENT);
    expect(plain.headers['x-forwarded-proto']).toBe('http');
    const tls = JSON.parse(
      await curl(['-H', 'X-Forwarded-Proto: http', '--cacert', join(dir, 'site.crt'), `https://${VIP}:8443/`]),
    ) as {
      headers: Record<string, string>;
    };
    expect(tls.headers['x-forwarded-for']).toBe(CLIENT);
    expect(tls.headers['x-forwarded-proto']).toBe('https');
  });

  it('a failing health check shows down in observe(), with the reason', async () => {
    const observed = await waitFor('the check results', async () => {
      const o = await driver.observe();
      return o.get('layer7/checked/bravo')?.health === 'down' && o.get('layer7/checked/alpha')?.health === 'up'
        ? o
        : undefined;
    });
    expect(observed.get('layer7/checked/bravo')).toMatchObject({
      health: 'down',
      healthReason: 'refused',
      effectiveWeight: 0,
    });
    expect(observed.get('layer7/checked/alpha')).toMatchObject({ health: 'up', effectiveWeight: 1 });
    expect(observed.get('layer7/web/alpha')).toMatchObject({ health: 'unchecked', effectiveWeight: 1 });
    expect(observed.get('layer7/web/alpha')?.bytesOut).toBeGreaterThan(0);
    expect(await client.httpGet(`http://${VIP}:82/`, 3)).toEqual(Array(3).fill('alpha_server'));
    const rows = await driver.stats();
    expect(rows.find((r) => r.proxy === 'checked' && r.server === 'bravo')?.status).toMatch(/^DOWN/);
    expect(rows.find((r) => r.proxy === 'web' && r.server === 'FRONTEND')?.totalSessions).toBeGreaterThan(0);
  });

  it('taking a server offline moves all traffic to the other without a reload, and it survives a later reload', async () => {
    const worker = await workerPid();
    const master = driver.pid;
    admin.set('web/alpha', 'offline');
    const offline = await driver.apply({ ...input(baseConfig()), scope: [{ layer: 'layer7', service: 'web' }] });
    expect(offline.changes).toEqual(['layer7: web/alpha offline (HAProxy state ready -> maint, no reload)']);
    expect(await workerPid()).toBe(worker);
    expect(await client.httpGet(`http://${VIP}/`, 6)).toEqual(Array(6).fill('bravo_server'));
    expect((await driver.observe()).get('layer7/web/alpha')?.effectiveWeight).toBe(0);

    // A change HAProxy must reload for: the offline server stays offline.
    const changed = baseConfig();
    Object.assign(changed.layer7?.[0] as object, { xForwardedFor: false });
    const reload = await driver.apply(input(changed));
    expect(reload.changes[0]).toBe(`layer7: change service web (${VIP}:80 http -> web)`);
    expect(reload.changes.some((l) => l.startsWith('layer7: hitless reload'))).toBe(true);
    expect(reload.changes.some((l) => l.includes('web/alpha'))).toBe(false);
    expect(await workerPid()).not.toBe(worker);
    expect(driver.pid).toBe(master);
    expect(await client.httpGet(`http://${VIP}/`, 6)).toEqual(Array(6).fill('bravo_server'));

    admin.set('web/alpha', 'online');
    const online = await driver.apply(input(changed));
    expect(online.changes).toEqual(['layer7: web/alpha online (HAProxy state maint -> ready, no reload)']);
    expect(new Set(await client.httpGet(`http://${VIP}/`, 4))).toEqual(new Set(['alpha_server', 'bravo_server']));
  });

  it('a weight change goes through the runtime API', async () => {
    const worker = await workerPid();
    const weighted = baseConfig();
    Object.assign(weighted.layer7?.[0] as object, { xForwardedFor: false });
    Object.assign(weighted.layer7?.[0]?.realServers?.[1] as object, { weight: 3 });
    const { changes } = await driver.apply(input(weighted));
    expect(changes).toEqual(['layer7: set weight web/bravo 1 -> 3']);
    expect(await workerPid()).toBe(worker);
    // 1:3 over 12 requests: HAProxy's weighted round robin interleaves, so about 9 go to bravo.
    const bodies = await client.httpGet(`http://${VIP}/`, 12);
    expect(bodies.filter((b) => b === 'bravo_server').length).toBeGreaterThanOrEqual(8);
    expect(bodies.filter((b) => b === 'alpha_server').length).toBeGreaterThanOrEqual(2);
    expect(await readFile(join(dir, 'state', 'haproxy.cfg'), 'utf8')).toContain(
      `server bravo ${SERVERS.bravo}:8080 weight 3`,
    );
  });

  it('puts back an admin state changed on the HAProxy socket (drift)', async () => {
    await new MasterClient({ socketPath: join(dir, 'state', 'master.sock') })
      .worker()
      .setServerState('web', 'bravo', 'maint');
    expect(await driver.drift?.()).toEqual(['layer7: web/bravo online (HAProxy state maint -> ready, no reload)']);
  });

  it('HAProxy killed out of band comes back with its admin states', async () => {
    const weighted = baseConfig();
    Object.assign(weighted.layer7?.[0] as object, { xForwardedFor: false });
    Object.assign(weighted.layer7?.[0]?.realServers?.[1] as object, { weight: 3 });
    admin.set('web/alpha', 'drain');
    expect((await driver.apply(input(weighted))).changes).toEqual([
      'layer7: web/alpha drain (HAProxy state ready -> drain, no reload)',
    ]);
    const master = driver.pid as number;
    process.kill(master, 'SIGKILL');
    await waitFor('HAProxy running again', async () =>
      records.some((r) => r.message.startsWith('HAProxy runs again')) ? true : undefined,
    );
    expect(driver.pid).not.toBe(master);
    expect(records.some((r) => r.level === 'error' && r.message.startsWith('HAProxy exited on its own'))).toBe(true);
    const states = await new MasterClient({ socketPath: join(dir, 'state', 'master.sock') })
      .worker()
      .showServersState('web');
    expect(states.find((s) => s.server === 'alpha')?.adminState).toBe('drain');
    expect(await client.httpGet(`http://${VIP}/`, 4)).toEqual(Array(4).fill('bravo_server'));
    admin.set('web/alpha', 'online');
    await driver.apply(input(weighted));
  });

  it('an invalid change is refused with the diagnostics and the old configuration keeps serving', async () => {
    const worker = await workerPid();
    const broken = baseConfig();
    (broken.certificates as { label: string; file: string }[])[0] = { label: 'site', file: badCertificate };
    const failure = await driver.apply(input(broken)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HaproxyRefusedError);
    expect(failure).toMatchObject({ code: 'ENGINE_APPLY_FAILED' });
    expect((failure as HaproxyRefusedError).diagnostics.some((d) => d.severity === 'alert')).toBe(true);
    expect((failure as Error).message).toContain('the running configuration keeps serving');
    expect(await workerPid()).toBe(worker);
    expect(await client.httpGet(`http://${VIP}/images/x`, 2)).toEqual(['charlie_server', 'charlie_server']);
    expect(await curl(['--cacert', join(dir, 'site.crt'), `https://${VIP}/images/a`])).toBe('charlie_server');
  });

  it('listens on a VIP this node does not hold yet, and serves once the address arrives', async () => {
    await lb.addAddress(lbClientIf, `${LATER_VIP}/24`);
    expect(await client.httpGet(`http://${LATER_VIP}/`, 2)).toEqual(['alpha_server', 'alpha_server']);
  });

  it('stops HAProxy when no Layer 7 service is left, and on stopDataPlane()', async () => {
    const master = driver.pid as number;
    const { changes } = await driver.apply(input({}));
    expect(changes).toEqual(['layer7: stop HAProxy (no Layer 7 service or SSL termination left)']);
    expect(driver.pid).toBeUndefined();
    expect(() => process.kill(master, 0)).toThrow();
    expect(await driver.observe()).toEqual(new Map());
    await driver.apply(input(baseConfig()));
    const again = driver.pid as number;
    expect(again).toBeGreaterThan(0);
    await driver.stopDataPlane();
    expect(driver.pid).toBeUndefined();
    expect(() => process.kill(again, 0)).toThrow();
  });
});
