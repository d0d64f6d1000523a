import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../src/index.js';
import { makeCerts, type TestCerts } from './support/certs.js';
import { makeRig, type Rig, type RunSpec } from './support/rig.js';

const SERVER = '192.0.2.2';
const SERVER6 = '2001:db8::2';
let rig: Rig;
let certs: TestCerts;

/** Writes `fixture` as an executable with this Node in its shebang line (external checks need a program). */
async function program(fixture: string): Promise<string> {
  const path = join(rig.dir, fixture.replace(/\.mjs$/, ''));
  const source = await readFile(join(import.meta.dirname, 'fixtures', fixture), 'utf8');
  await writeFile(path, `#!${process.execPath}\n${source}`);
  await chmod(path, 0o755);
  return path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  [rig, certs] = await Promise.all([makeRig(), makeCerts()]);
  const pem = async (name: string, text: string) => {
    const file = join(certs.dir, name);
    await writeFile(file, text);
    return file;
  };
  await Promise.all([
    rig.server.serveHttp({ name: 'alpha', port: 80 }),
    rig.server.serveTcp({ name: 'echo', port: 7000 }),
    rig.serve('http', 8080),
    rig.serve('http', 443, { cert: await pem('good.pem', certs.good.cert), key: await pem('key.pem', certs.good.key) }),
    rig.serve('http', 9443, {
      cert: join(certs.dir, 'good.pem'),
      key: join(certs.dir, 'key.pem'),
      clientCa: certs.caFile,
    }),
    rig.serve('http', 8443, { cert: await pem('expired.pem', certs.expired.cert), key: join(certs.dir, 'key.pem') }),
    rig.serve('agent', 3333, { reply: 'drain\n' }),
    rig.serve('agent', 3334, { reply: '50%\n' }),
    rig.serve('agent', 3335, { reply: 'down # maintenance window\n' }),
    rig.serve('agent', 3336, { reply: 'up 75% ready\n' }),
    rig.serve('banner', 25, { banner: '220-mail.example.test ESMTP\r\n220 ready\r\n' }),
    rig.serve('banner', 110, { banner: '-ERR go away\r\n' }),
    rig.serve('banner', 143, { banner: '* OK IMAP4rev1 ready\r\n' }),
    rig.serve('dns', 53, { name: 'www.example.test', address: '192.0.2.80' }, SERVER),
  ]);
});

afterAll(async () => {
  await rig?.lab.destroy();
  if (rig) await rm(rig.dir, { recursive: true, force: true });
  if (certs) await rm(certs.dir, { recursive: true, force: true });
});

const CONNECT_CHECKS: RunSpec[] = [
  { check: { type: 'connect' }, address: SERVER, port: 80 },
  { check: { type: 'connect' }, address: SERVER6, port: 80 },
  { check: { type: 'connect' }, address: SERVER, port: 81 },
  { check: { type: 'connect' }, address: SERVER6, port: 81 },
  { check: { type: 'connect' }, address: '198.51.100.7', port: 80, timeoutMs: 1000 },
  { check: { type: 'connect' }, address: '192.0.2.99', port: 80, timeoutMs: 10_000 },
  { check: { type: 'connect' }, address: '2001:DB8:0::2', port: 80 },
  { check: { type: 'connect' }, address: '::ffff:192.0.2.2', port: 81 },
];

describe.each(['native', 'socket'] as const)('connect (%s path)', (path) => {
  it('tells up, refused, blackholed (timeout) and unreachable apart, over IPv4 and IPv6', async () => {
    const results = await rig.run(CONNECT_CHECKS, path);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual([
      'ok',
      'ok',
      'refused',
      'refused',
      'timeout',
      'unreachable',
      'ok',
      // A v4-mapped address goes out over IPv4 from a v6 socket.
      'refused',
    ]);
  });
});

describe('connect: the native and socket paths', () => {
  it('give identical results, detail text included', async () => {
    const [native, socket] = await Promise.all([rig.run(CONNECT_CHECKS, 'native'), rig.run(CONNECT_CHECKS, 'socket')]);
    const strip = (results: Array<CheckResult & { latencyMs: number }>) =>
      results.map(({ latencyMs: _, ...result }) => result);
    expect(strip(native)).toEqual(strip(socket));
    expect(native[2]).toEqual(expect.objectContaining({ detail: 'connect ECONNREFUSED 192.0.2.2:81' }));
    expect(native[4]).toEqual(expect.objectContaining({ detail: 'no conclusive answer within 1000 ms' }));
  });
});

describe('negotiate', () => {
  it('passes on the expected status and content, and says which one failed otherwise', async () => {
    const results = await rig.run([
      { check: { type: 'negotiate', expectContent: 'alpha' }, address: SERVER, port: 80 },
      { check: { type: 'negotiate', expectRegex: '^alp' }, address: SERVER6, port: 80 },
      { check: { type: 'negotiate', expectContent: 'beta' }, address: SERVER, port: 80 },
      { check: { type: 'negotiate', expectRegex: '^beta$' }, address: SERVER, port: 80 },
      { check: { type: 'negotiate', path: '/status/503' }, address: SERVER, port: 8080 },
      { check: { type: 'negotiate', path: '/status/503', expectStatus: [503] }, address: SERVER, port: 8080 },
      { check: { type: 'negotiate', path: '/status/200', expectStatus: [204] }, address: SERVER, port: 8080 },
      {
        check: { type: 'negotiate', path: '/host', host: 'www.example.test', expectContent: 'host=www.example.test' },
        address: SERVER,
        port: 8080,
      },
      { check: { type: 'negotiate', method: 'HEAD', headers: { 'x-probe': '1' } }, address: SERVER, port: 8080 },
      { check: { type: 'negotiate' }, address: SERVER, port: 81 },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual([
      'ok',
      'ok',
      'content-mismatch',
      'content-mismatch',
      'bad-status',
      'ok',
      'bad-status',
      'ok',
      'ok',
      'refused',
    ]);
    expect(results[4]).toMatchObject({ status: 503 });
    expect(results[2]?.detail).toContain('alpha');
  });

  it('times out a slow server, and passes it with a longer timeout', async () => {
    const [slow, patient] = await rig.run([
      { check: { type: 'negotiate', path: '/slow?ms=1500' }, address: SERVER, port: 8080, timeoutMs: 500 },
      {
        check: { type: 'negotiate', path: '/slow?ms=1500', expectContent: 'slow' },
        address: SERVER,
        port: 8080,
        timeoutMs: 5000,
      },
    ]);
    expect(slow).toMatchObject({ ok: false, reason: 'timeout' });
    expect(patient).toMatchObject({ ok: true, status: 200 });
  });

  it('judges a redirect as a status, or follows it when asked', async () => {
    const results = await rig.run([
      { check: { type: 'negotiate', path: '/redirect', expectStatus: [200] }, address: SERVER, port: 8080 },
      { check: { type: 'negotiate', path: '/redirect', expectStatus: [302] }, address: SERVER, port: 8080 },
      {
        check: { type: 'negotiate', path: '/redirect', expectStatus: [200], redirects: 1 },
        address: SERVER,
        port: 8080,
      },
    ]);
    expect(results.map((r) => [r.reason ?? 'ok', r.status])).toEqual([
      ['bad-status', 302],
      ['ok', 302],
      ['ok', 200],
    ]);
  });

  it('verifies HTTPS: trusted passes, untrusted and expired fail with `tls`', async () => {
    const https = { type: 'negotiate', scheme: 'https', servername: 'www.example.test' } as const;
    const results = await rig.run([
      { check: { ...https, ca: certs.ca }, address: SERVER, port: 443 },
      { check: { ...https, ca: certs.ca, host: 'www.example.test' }, address: SERVER, port: 443 },
      { check: { type: 'negotiate', scheme: 'https', ca: certs.ca }, address: SERVER, port: 443 },
      { check: https, address: SERVER, port: 443 },
      { check: { ...https, ca: certs.ca }, address: SERVER, port: 8443 },
      { check: { ...https, verify: false }, address: SERVER, port: 8443 },
      { check: { ...https, ca: certs.ca, servername: 'other.example.test' }, address: SERVER, port: 443 },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'tls', 'tls', 'ok', 'tls']);
    expect(results[4]?.detail).toMatch(/expired/i);
  });

  it('presents a client certificate when the server requires one', async () => {
    const mtls = { type: 'negotiate', scheme: 'https', servername: 'www.example.test', ca: certs.ca } as const;
    const [withCert, without] = await rig.run([
      { check: { ...mtls, cert: certs.client.cert, key: certs.client.key }, address: SERVER, port: 9443 },
      { check: mtls, address: SERVER, port: 9443 },
    ]);
    expect(withCert).toMatchObject({ ok: true, status: 200 });
    // TLS 1.3: the client finishes its handshake before the server judges the (missing)
    // certificate, so what the client sees is the server closing on it.
    expect(without).toMatchObject({ ok: false, reason: 'reset' });
  });
});

describe('tls', () => {
  it('warns before expiry and fails an expired certificate even unverified', async () => {
    const results = await rig.run([
      {
        check: { type: 'tls', servername: 'www.example.test', ca: certs.ca, warnDays: 14 },
        address: SERVER,
        port: 443,
      },
      { check: { type: 'tls', servername: 'www.example.test', ca: certs.ca, warnDays: 0 }, address: SERVER, port: 443 },
      { check: { type: 'tls', servername: 'www.example.test' }, address: SERVER, port: 443 },
      { check: { type: 'tls', verify: false }, address: SERVER, port: 8443 },
    ]);
    expect(results[0]).toMatchObject({ ok: true, warnings: [expect.stringMatching(/expires in [01] days/)] });
    expect(results[1]).toMatchObject({ ok: true });
    expect(results[1]?.warnings).toBeUndefined();
    expect(results[2]).toMatchObject({ ok: false, reason: 'tls' });
    expect(results[3]).toMatchObject({
      ok: false,
      reason: 'tls',
      detail: expect.stringContaining('expired on 2020-01-02'),
    });
  });
});

describe('external', () => {
  it('passes virtual and real addresses as arguments and environment; exit 0 is up', async () => {
    const command = await program('args.mjs');
    const virtual = { address: '203.0.113.10', port: 80 };
    const [up, down, weighted] = await rig.run([
      {
        check: { type: 'external', command, args: ['--deep'], env: { MODE: 'm' } },
        address: SERVER,
        port: 8080,
        virtual,
      },
      { check: { type: 'external', command, env: { EXIT_CODE: '1' } }, address: SERVER, port: 8080, virtual },
      {
        check: { type: 'external', command, env: { EXIT_CODE: '12' }, dynamicWeight: true },
        address: SERVER,
        port: 8080,
      },
    ]);
    expect(up?.ok).toBe(true);
    expect(JSON.parse(up?.output ?? '')).toEqual({
      args: ['--deep', '203.0.113.10', '80', SERVER, '8080'],
      vip: '203.0.113.10',
      rport: '8080',
      mode: 'm',
    });
    expect(down).toMatchObject({ ok: false, reason: 'exit-status', detail: expect.stringContaining('exited with 1') });
    expect(weighted).toMatchObject({ ok: true, weight: 10 });
  });

  it('kills a hung command and its children at the timeout', async () => {
    const command = await program('hang.mjs');
    const pidFile = join(rig.dir, 'hang.pids');
    const [result] = await rig.run([
      { check: { type: 'external', command, args: [pidFile] }, address: SERVER, port: 8080, timeoutMs: 4000 },
    ]);
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    const pids = JSON.parse(await readFile(pidFile, 'utf8')) as { script: number; child: number };
    await expect.poll(() => alive(pids.script) || alive(pids.child), { timeout: 5000 }).toBe(false);
  });

  it('reports a command that cannot start', async () => {
    const [result] = await rig.run([
      { check: { type: 'external', command: '/nonexistent/check' }, address: SERVER, port: 80 },
    ]);
    expect(result).toMatchObject({ ok: false, reason: 'error', detail: expect.stringContaining('/nonexistent/check') });
  });
});

describe('agent', () => {
  it('reads drain, 50%, down and combined replies', async () => {
    const results = await rig.run([
      { check: { type: 'agent', port: 3333 }, address: SERVER },
      { check: { type: 'agent', port: 3334 }, address: SERVER },
      { check: { type: 'agent', port: 3335 }, address: SERVER },
      { check: { type: 'agent', port: 3336 }, address: SERVER6 },
      { check: { type: 'agent', port: 3399 }, address: SERVER },
    ]);
    expect(results[0]).toMatchObject({ ok: true, admin: 'drain' });
    expect(results[0]?.weight).toBeUndefined();
    expect(results[1]).toMatchObject({ ok: true, weight: 50 });
    expect(results[2]).toMatchObject({
      ok: false,
      reason: 'agent-down',
      detail: expect.stringContaining('maintenance'),
    });
    expect(results[3]).toMatchObject({ ok: true, weight: 75, admin: 'ready' });
    expect(results[4]).toMatchObject({ ok: false, reason: 'refused' });
  });
});

describe('protocol checks', () => {
  it('judges SMTP, POP3 and IMAP greetings', async () => {
    const results = await rig.run([
      { check: { type: 'smtp' }, address: SERVER },
      { check: { type: 'pop3' }, address: SERVER },
      { check: { type: 'imap' }, address: SERVER6 },
      { check: { type: 'ftp' }, address: SERVER },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual(['ok', 'protocol', 'ok', 'refused']);
    expect(results[1]?.detail).toContain('-ERR go away');
  });

  it('asks DNS and compares the answer', async () => {
    const results = await rig.run([
      { check: { type: 'dns', name: 'www.example.test' }, address: SERVER },
      { check: { type: 'dns', name: 'www.example.test', expect: '192.0.2.80' }, address: SERVER },
      { check: { type: 'dns', name: 'www.example.test', expect: '192.0.2.81' }, address: SERVER },
      { check: { type: 'dns', name: 'nx.example.test' }, address: SERVER },
      { check: { type: 'dns', name: 'www.example.test', recordType: 'AAAA' }, address: SERVER },
      { check: { type: 'dns', name: 'www.example.test', port: 5353 }, address: SERVER, timeoutMs: 2000 },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual([
      'ok',
      'ok',
      'dns-mismatch',
      'dns-mismatch',
      'dns-mismatch',
      'refused',
    ]);
    expect(results[3]?.detail).toContain('NXDOMAIN');
  });

  it('runs a send/expect script', async () => {
    const results = await rig.run([
      {
        check: { type: 'send-expect', steps: [{ expect: 'echo' }, { send: 'ping\n' }, { expectRegex: 'pi+ng' }] },
        address: SERVER,
        port: 7000,
      },
      {
        check: { type: 'send-expect', steps: [{ send: 'ping\n' }, { expect: 'pong' }] },
        address: SERVER,
        port: 7000,
        timeoutMs: 1000,
      },
      { check: { type: 'send-expect', steps: [{ expect: '+OK' }] }, address: SERVER, port: 3333 },
    ]);
    expect(results.map((r) => r.reason ?? 'ok')).toEqual(['ok', 'timeout', 'content-mismatch']);
  });
});
