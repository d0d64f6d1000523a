// Layer 7 behaviour with real HAProxy, real servers and a real client in network
// namespaces: persistence, URL switching, X-Forwarded-For, SSL termination, RDP cookies.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NamespaceProcess } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkModel, type HaproxyConfig, type HeaderAction, type Supervisor } from '../src/index.js';
import { pair, prng, randomString, STRING_FIELDS } from './helpers/fuzz.js';
import { CLIENT, CLIENT6, makeRig, type Rig, SERVERS, VIP, VIP6, waitFor } from './helpers/rig.js';
import { makeTestPki } from './helpers/tls.js';

let rig: Rig;
let supervisor: Supervisor;
let pki: Awaited<ReturnType<typeof makeTestPki>>;
const echoes: NamespaceProcess[] = [];

function model(): HaproxyConfig {
  return {
    global: { adminSocket: { path: join(rig.dir, 'admin.sock') }, log: [] },
    defaults: { timeouts: { connect: 2000, client: 10_000, server: 10_000 } },
    frontends: [
      {
        name: 'web',
        binds: [
          { address: VIP, ports: [80] },
          { address: VIP6, ports: [80] },
          { address: VIP, ports: [443], tls: { certificates: [pki.site] } },
        ],
        forwardFor: true,
        forwardedProto: true,
        hsts: true,
        headers: [{ action: 'set', name: 'X-Literal', value: LITERAL }, ...FUZZ.headers],
        rules: [
          { name: 'images', backend: 'images', conditions: [{ kind: 'pathPrefix', values: ['/images/'] }] },
          { name: 'png', backend: 'images', conditions: [{ kind: 'pathRegex', values: ["^/re/[^']*\\.png$"] }] },
          { name: 'sticky', backend: 'by_source', conditions: [{ kind: 'pathPrefix', values: ['/sticky/'] }] },
          { name: 'secure', backend: 'app', conditions: [{ kind: 'pathPrefix', values: ['/secure/'] }] },
          { name: 'reencrypt', backend: 'reencrypt', conditions: [{ kind: 'pathPrefix', values: ['/reencrypt/'] }] },
          { name: 'wrong_name', backend: 'wrong_name', conditions: [{ kind: 'pathPrefix', values: ['/wrong-name/'] }] },
          { name: 'pp1', backend: 'pp1', conditions: [{ kind: 'pathPrefix', values: ['/pp1/'] }] },
          { name: 'pp2', backend: 'pp2', conditions: [{ kind: 'pathPrefix', values: ['/pp2/'] }] },
        ],
        defaultBackend: 'app',
      },
      {
        name: 'plain',
        binds: [{ address: VIP, ports: [8081] }],
        redirectToHttps: true,
        defaultBackend: 'app',
      },
      {
        name: 'rdp',
        mode: 'tcp',
        binds: [{ address: VIP, ports: [3389] }],
        defaultBackend: 'terminal',
      },
    ],
    backends: [
      {
        name: 'app',
        balance: { algorithm: 'roundrobin' },
        persistence: { type: 'cookie-insert', cookie: 'SRV' },
        healthCheck: { intervalMs: 200, rise: 1, fall: 1 },
        servers: SERVERS.map((address, i) => ({ name: `s${i + 1}`, address, port: 8080 })),
      },
      {
        name: 'images',
        servers: [{ name: 'img', address: SERVERS[1], port: 8080 }],
      },
      {
        name: 'by_source',
        balance: { algorithm: 'roundrobin' },
        persistence: { type: 'source', expireSeconds: 600 },
        servers: SERVERS.map((address, i) => ({ name: `s${i + 1}`, address, port: 8080 })),
      },
      {
        name: 'reencrypt',
        servers: [
          {
            name: 'tls1',
            address: SERVERS[0],
            port: 8443,
            check: false,
            tls: { verify: 'required', ca: pki.ca, sni: 'site.example.com' },
          },
        ],
      },
      {
        name: 'wrong_name',
        servers: [
          {
            name: 'tls1',
            address: SERVERS[0],
            port: 8443,
            check: false,
            tls: { verify: 'required', ca: pki.ca, verifyHost: 'other.example.com' },
          },
        ],
      },
      { name: 'pp1', servers: [{ name: 'p', address: SERVERS[1], port: 9090, check: false, sendProxy: 'v1' }] },
      { name: 'pp2', servers: [{ name: 'p', address: SERVERS[1], port: 9090, check: false, sendProxy: 'v2' }] },
      {
        name: 'terminal',
        mode: 'tcp',
        balance: { algorithm: 'roundrobin' },
        persistence: { type: 'rdp-cookie' },
        servers: SERVERS.map((address, i) => ({ name: `ts${i + 1}`, address, port: 3389 })),
      },
    ],
  };
}

// Every character the quoting has to get right, and it must arrive unchanged.
const LITERAL = `100% 'single' "double" $HOME \\x41 #hash`;

/**
 * The netns half of the property test (strings-property.test.ts): a sample of the random
 * header values and names the model accepts, each set on the request by the real HAProxy.
 * Names get a numbered prefix so none can be a header HTTP gives meaning to (Host, ...).
 */
const FUZZ = (() => {
  const random = prng(1717);
  const values: string[] = [];
  const names: string[] = [];
  const accepts = (field: string, value: string) => {
    const p = pair(0);
    const config: HaproxyConfig = { global: { adminSocket: false }, frontends: [p.frontend], backends: [p.backend] };
    STRING_FIELDS[field]?.set(p, value, config, 0);
    try {
      checkModel(config);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 5000 && (values.length < 40 || names.length < 15); i++) {
    const value = randomString(random);
    if (values.length < 40 && accepts('frontend header value', value)) values.push(value);
    if (names.length < 15 && accepts('frontend header name', value)) names.push(value);
  }
  const headers: HeaderAction[] = [
    ...values.map((value, i) => ({ action: 'set' as const, name: `X-Fuzz-${i}`, value })),
    ...names.map((name, i) => ({ action: 'set' as const, name: `X-Fz${i}-${name}`, value: `name ${i}` })),
  ];
  return { values, names, headers };
})();

type Echo = { name: string; url: string; headers: Record<string, string>; peer: string };

beforeAll(async () => {
  rig = await makeRig();
  pki = await makeTestPki();
  for (const [i, host] of rig.servers.entries()) {
    echoes.push(await rig.echo(host, `s${i + 1}`, 8080));
    await host.serveTcp({ name: `ts${i + 1}`, port: 3389 });
  }
  // A TLS server for re-encryption, with the test certificate: openssl's s_server answers
  // every GET with its status page.
  const tls = rig.servers[0]?.spawn('openssl', ['s_server', '-accept', '8443', '-cert', pki.site, '-www', '-quiet']);
  if (!tls) throw new Error('no server');
  await waitFor('s_server', async () => {
    const { stdout } = await (rig.servers[0] as (typeof rig.servers)[number]).exec('ss', ['-Hltn', 'sport = :8443']);
    return stdout.includes('8443') ? true : undefined;
  });
  const pp = rig.servers[1]?.spawn(process.execPath, [rig.fixture('proxy-echo.mjs'), 'pp', '0.0.0.0', '9090']);
  await pp?.waitForLine('READY', 30_000);
  supervisor = rig.supervisor();
  const started = await supervisor.start(model());
  expect(started.diagnostics).toEqual([]);
  expect(started.applied).toBe(true);
  // Both servers pass their first health check before the tests start.
  await waitFor('servers up', async () => {
    const rows = await supervisor.runtime().showStat();
    return rows.filter((r) => r.proxy === 'app' && r.type === 'server' && r.status === 'UP').length === 2
      ? true
      : undefined;
  });
});

afterAll(async () => {
  await rig?.destroy();
  if (pki) await rm(pki.dir, { recursive: true, force: true });
});

async function get(path: string, extra: string[] = []): Promise<Echo> {
  const response = await rig.curl([...extra, `http://${VIP}${path}`]);
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as Echo;
}

describe('HAProxy in namespaces', () => {
  it('switches /images/ to its own backend and the rest to the default one', async () => {
    const images = await Promise.all([1, 2, 3].map(() => get('/images/logo.png')));
    expect(images.map((e) => e.name)).toEqual(['s2', 's2', 's2']);
    const others = [await get('/a'), await get('/b')];
    expect(new Set(others.map((e) => e.name))).toEqual(new Set(['s1', 's2']));
  });

  it('sends header values literally: quotes, %, $, backslashes and # survive', async () => {
    expect((await get('/literal')).headers['x-literal']).toBe(LITERAL);
  });

  it('sends random accepted header values and names to the real server byte for byte (#17 item 11)', async () => {
    expect(FUZZ.values.length).toBe(40);
    expect(FUZZ.names.length).toBe(15);
    const { headers } = await get('/fuzz');
    // Node reads header bytes as latin1: back to bytes, compared with the UTF-8 sent.
    const bytes = (text: string | undefined) => Buffer.from(text ?? '\u0000missing', 'latin1').toString('hex');
    const got = FUZZ.values.map((_, i) => bytes(headers[`x-fuzz-${i}`]));
    expect(got).toEqual(FUZZ.values.map((v) => Buffer.from(v, 'utf8').toString('hex')));
    expect(FUZZ.names.map((name, i) => headers[`x-fz${i}-${name.toLowerCase()}`])).toEqual(
      FUZZ.names.map((_, i) => `name ${i}`),
    );
  });

  it('matches a regex with an escaped dot and a quote in its class', async () => {
    expect((await get('/re/logo.png')).name).toBe('s2');
    const names = new Set([(await get('/re/logopng')).name, (await get('/re/logopng')).name]);
    expect(names).toEqual(new Set(['s1', 's2']));
  });

  it('hands the client address to the real server in X-Forwarded-For', async () => {
    const echo = await get('/xff');
    expect(echo.headers['x-forwarded-for']).toBe(CLIENT);
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    // Full proxy: the server's peer is the balancer, not the client.
    expect(echo.peer.replace(/^::ffff:/, '')).toBe('198.51.100.1');
  });

  it('keeps a client on its server with source persistence', async () => {
    const names = [];
    for (let i = 0; i < 6; i++) names.push((await get('/sticky/x')).name);
    expect(new Set(names).size).toBe(1);
    const table = await supervisor.runtime().command('show table by_source');
    // The table is IPv6 (the frontend listens on IPv6 too): IPv4 clients are stored mapped.
    expect(table).toContain('type: ipv6');
    expect(table).toContain(`key=::ffff:${CLIENT}`);
  });

  it('keeps an IPv6 client on its server with the default source table (#17 item 12)', async () => {
    const names = [];
    for (let i = 0; i < 6; i++) {
      const response = await rig.curl([`http://[${VIP6}]/sticky/v6`]);
      expect(response.status).toBe(200);
      names.push((JSON.parse(response.body) as Echo).name);
    }
    expect(new Set(names).size).toBe(1);
    const table = await supervisor.runtime().command('show table by_source');
    expect(table).toContain(`key=${CLIENT6}`);
  });

  it('terminates TLS with the test certificate; the server sees plain HTTP and X-Forwarded-Proto', async () => {
    const response = await rig.curl(['--cacert', pki.ca, `https://${VIP}/secure/`]);
    expect(response.status).toBe(200);
    const echo = JSON.parse(response.body) as Echo;
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers['x-forwarded-for']).toBe(CLIENT);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    // And the certificate really is the one made for this test.
    const { stdout } = await rig.client.exec('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{ssl_verify_result}',
      '--cacert',
      pki.ca,
      `https://${VIP}/`,
    ]);
    expect(stdout).toBe('0');
  });

  it('answers on IPv6 and hands the IPv6 client address in X-Forwarded-For', async () => {
    const response = await rig.curl([`http://[${VIP6}]/v6`]);
    expect(response.status).toBe(200);
    expect((JSON.parse(response.body) as Echo).headers['x-forwarded-for']).toBe(CLIENT6);
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const response = await rig.curl([`http://${VIP}:8081/some/page?q=1`]);
    expect(response.status).toBe(301);
    expect(response.headers.location).toBe(`https://${VIP}:8081/some/page?q=1`);
  });

  it('re-encrypts to a TLS server, verifying its certificate and name', async () => {
    const good = await rig.curl([`http://${VIP}/reencrypt/`]);
    expect(good.status).toBe(200);
    expect(good.body).toContain('s_server');
    // Same server, but HAProxy expects another name (verifyHost, no SNI): verification fails.
    const wrong = await rig.curl([`http://${VIP}/wrong-name/`]);
    expect(wrong.status).toBe(503);
  });

  it.each(['v1', 'v2'])('sends a PROXY protocol %s header with the client address to the server', async (version) => {
    const response = await rig.curl([`http://${VIP}/pp${version.slice(1)}/`]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ name: 'pp', proxy: version, source: CLIENT });
  });

  it('keeps an RDP client on one terminal server by its mstshash cookie', async () => {
    const first = await rig.node(rig.client, 'rdp-client.mjs', [VIP, '3389', 'alice']);
    const again = [];
    for (let i = 0; i < 4; i++) again.push(await rig.node(rig.client, 'rdp-client.mjs', [VIP, '3389', 'alice']));
    expect(first).toMatch(/^ts[12]$/);
    expect(again).toEqual([first, first, first, first]);
    const table = await supervisor.runtime().command('show table terminal');
    expect(table).toContain('key=alice');
  });

  it('keeps a client on its server with an inserted cookie, and moves it when that server goes down', async () => {
    const jar = join(rig.dir, 'cookies.txt');
    const first = await get('/app', ['-c', jar, '-b', jar]);
    const names = [];
    for (let i = 0; i < 4; i++) names.push((await get('/app', ['-c', jar, '-b', jar])).name);
    expect(names).toEqual([first.name, first.name, first.name, first.name]);

    const index = Number(first.name.slice(1)) - 1;
    await echoes[index]?.stop();
    await waitFor('server down', async () => {
      const rows = await supervisor.runtime().showStat();
      return rows.some((r) => r.proxy === 'app' && r.name === first.name && r.status.startsWith('DOWN'))
        ? true
        : undefined;
    });
    const moved = await get('/app', ['-c', jar, '-b', jar]);
    expect(moved.name).not.toBe(first.name);
    const after = await get('/app', ['-c', jar, '-b', jar]);
    expect(after.name).toBe(moved.name);
  });
});
