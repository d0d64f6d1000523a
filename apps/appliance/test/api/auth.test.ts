import { readFile, stat } from 'node:fs/promises';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/index.js';
import { configSchema } from '../../src/model/schema.js';
import { selfSignedCertificate } from '../../src/web/certificates.js';
import { ADMIN_PASSWORD, type Harness, startHarness } from './harness.js';

describe('API authentication', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('first boot: admin with a random password in initial-password (0600) that must be changed', async () => {
    h = await startHarness();
    const file = join(h.dir, 'initial-password');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const initial = (await readFile(file, 'utf8')).trim();
    expect(initial).toBe(h.auth.initialPassword);
    expect(initial.length).toBeGreaterThanOrEqual(20);
    expect(h.store.current().config.administration.users.map((u) => u.username)).toEqual(['admin']);

    const client = h.client();
    const login = await client.login('admin', initial);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: 'admin', role: 'admin', mustChangePassword: true });
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sluice_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain('Secure'); // plain HTTP here; TLS requests get Secure

    const blocked = await client.get('/api/v1/config');
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('AUTH_PASSWORD_CHANGE_REQUIRED');
    expect((await client.get('/api/v1/session')).body).toMatchObject({ mustChangePassword: true });

    const weak = await client.post('/api/v1/session/password', { current: initial, new: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'new' });
    const wrong = await client.post('/api/v1/session/password', { current: 'not-it-at-all', new: ADMIN_PASSWORD });
    expect(wrong.status).toBe(401);

    const before = h.store.current().version;
    const changed = await client.post('/api/v1/session/password', { current: initial, new: ADMIN_PASSWORD });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.version).toBe(before + 1);
    expect(h.store.current().author).toBe('admin');
    await expect(stat(file)).rejects.toThrow();
    expect((await client.get('/api/v1/config')).status).toBe(200);
    // The stored hash is scrypt in modular crypt format, which the schema accepts.
    const hash = h.store.current().config.administration.users[0]?.passwordHash ?? '';
    expect(hash).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect(await verifyPassword(ADMIN_PASSWORD, hash)).toBe(true);

    // The same store opened again: no second first boot, the password holds.
    const again = await h.restart();
    h = again;
    expect(h.auth.initialPassword).toBeUndefined();
    const relogin = await h.client().login('admin', ADMIN_PASSWORD);
    expect(relogin.body).toMatchObject({ mustChangePassword: false });
  });

  it('the session cookie is Secure over TLS', async () => {
    h = await startHarness();
    await h.admin();
    const { cert, key } = selfSignedCertificate(['localhost'], new Date());
    const server = createHttpsServer({ cert, key }, (req, res) => h.api.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const body = JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD });
    const setCookie = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          method: 'POST',
          path: '/api/v1/session',
          rejectUnauthorized: false,
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    server.close();
    expect(setCookie).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('password hashes: scrypt, random salt, checked in constant time, within the schema', async () => {
    const a = await hashPassword('secret password', { ln: 4, r: 8, p: 1 });
    const b = await hashPassword('secret password', { ln: 4, r: 8, p: 1 });
    expect(a).not.toBe(b);
    expect(await verifyPassword('secret password', a)).toBe(true);
    expect(await verifyPassword('secret passworD', a)).toBe(false);
    expect(await verifyPassword('x', '$2b$12$abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu')).toBe(false);
    expect(
      await verifyPassword(
        'x',
        '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ).toBe(false);
    expect(configSchema.safeParse({ administration: { users: [{ username: 'u', passwordHash: a }] } }).success).toBe(
      true,
    );
  });

  it('rejects a wrong password with 401 and limits failures per address and per user (429, Retry-After)', async () => {
    h = await startHarness();
    await h.admin();
    const client = h.client();
    for (let i = 0; i < 5; i++) {
      const answer = await client.login('admin', `wrong-${i}`);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('AUTH_FAILED');
    }
    const limited = await client.login('admin', ADMIN_PASSWORD);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('AUTH_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBe(300);
    h.clock.advance(120_000);
    expect(Number((await client.login('admin', ADMIN_PASSWORD)).headers.get('retry-after'))).toBe(180);
    // Unknown users get the same answer as a wrong password, limited alike.
    for (let i = 0; i < 5; i++) expect((await client.login('nobody', `whatever-${i}`)).status).toBe(401);
    expect((await client.login('nobody', 'whatever-it-is')).status).toBe(429);
    h.clock.advance(181_000);
    expect((await client.login('admin', ADMIN_PASSWORD)).status).toBe(200);

    const audit = await (await h.admin()).get('/api/v1/logs?channel=audit&q=login');
    const messages = audit.body.records.map((r: { message: string }) => r.message);
    expect(messages.some((m: string) => m.includes('failed login of "admin"'))).toBe(true);
    expect(messages.some((m: string) => m.startsWith('login of "admin"'))).toBe(true);
  });

  it('limits failures per address and user name, not per user name alone', async () => {
    h = await startHarness();
    await h.admin();
    for (let i = 0; i < 5; i++) h.auth.limiter.fail('192.0.2.7\nadmin');
    expect((await h.client().login('admin', ADMIN_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 5; i++) h.auth.limiter.fail('127.0.0.1\nadmin');
    expect((await h.client().login('admin', ADMIN_PASSWORD)).status).toBe(429);
  });

  it('requires the CSRF token on cookie-authenticated writes', async () => {
    h = await startHarness();
    const admin = await h.admin();
    const version = await admin.version();
    const body = { label: 'chk', type: 'connect' };
    const none = await admin.post(`/api/v1/health-checks?version=${version}`, body, { 'x-csrf-token': '' });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('AUTH_CSRF');
    const wrong = await admin.post(`/api/v1/health-checks?version=${version}`, body, {
      'x-csrf-token': 'x'.repeat(43),
    });
    expect(wrong.body.error.code).toBe('AUTH_CSRF');
    expect(h.store.current().version).toBe(version);
    const right = await admin.post(`/api/v1/health-checks?version=${version}`, body);
    expect(right.status).toBe(201);
  });

  it('ends idle sessions and logs out', async () => {
    h = await startHarness();
    const admin = await h.admin();
    h.clock.advance(29 * 60_000);
    expect((await admin.get('/api/v1/status')).status).toBe(200);
    h.clock.advance(31 * 60_000);
    const expired = await admin.get('/api/v1/status');
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('AUTH_REQUIRED');
    const again = await h.admin();
    const out = await again.delete('/api/v1/session');
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await again.get('/api/v1/status')).status).toBe(401);
  });

  it('rejects malformed and forged credentials with 401', async () => {
    h = await startHarness();
    await h.admin();
    const c = h.client();
    for (const headers of [
      { cookie: 'sluice_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { cookie: 'sluice_session=../../etc/passwd' },
      { cookie: '; ; =; sluice_session' },
      { authorization: 'Bearer sluice_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: 'Bearer ' },
    ]) {
      const answer = await c.get('/api/v1/config', headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
    }
  });

  it('API tokens: bearer without CSRF, stored hashed, role-limited, revocable', async () => {
    h = await startHarness();
    const admin = await h.admin();
    const made = await admin.post('/api/v1/tokens', { name: 'ci', role: 'admin' });
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^sluice_[0-9a-f]{16}\./);
    const stored = await readFile(join(h.dir, 'api-tokens.json'), 'utf8');
    expect(stored).not.toContain(made.body.token.split('.')[1]);
    expect((await stat(join(h.dir, 'api-tokens.json'))).mode & 0o777).toBe(0o600);

    const bot = h.client();
    bot.bearer = made.body.token;
    const version = await bot.version();
    const write = await bot.post(`/api/v1/health-checks?version=${version}`, { label: 'chk', type: 'ping' });
    expect(write.status).toBe(201);
    expect(h.store.current().author).toBe('admin');
    // The scheme is case-insensitive (RFC 9110).
    expect((await h.client().get('/api/v1/status', { authorization: `bearer ${made.body.token}` })).status).toBe(200);

    const ro = await admin.post('/api/v1/tokens', { name: 'dashboard', role: 'readonly' });
    const reader = h.client();
    reader.bearer = ro.body.token;
    expect((await reader.get('/api/v1/status')).status).toBe(200);
    const denied = await reader.delete(`/api/v1/health-checks/chk?version=${await reader.version()}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('AUTH_FORBIDDEN');

    const list = await admin.get('/api/v1/tokens');
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(['ci', 'dashboard']);
    expect(JSON.stringify(list.body)).not.toContain('hash');
    expect((await admin.delete(`/api/v1/tokens/${made.body.id}`)).status).toBe(200);
    expect((await bot.get('/api/v1/status')).status).toBe(401);
    expect((await admin.delete(`/api/v1/tokens/${made.body.id}`)).status).toBe(404);

    // Tokens survive a restart (hashed on disk).
    h = await h.restart();
    reader.base = h.base;
    expect((await reader.get('/api/v1/status')).status).toBe(200);
  });

  it('the CLI token in cli.token (0600) is an admin bearer token, new at every start', async () => {
    h = await startHarness();
    const file = join(h.dir, 'cli.token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const cli = h.client();
    cli.bearer = (await readFile(file, 'utf8')).trim();
    // The CLI is not held up by the first-boot password of the web administrator.
    const answer = await cli.get('/api/v1/session');
    expect(answer.body).toMatchObject({ user: 'cli', role: 'admin', via: 'token' });
    expect((await cli.get('/api/v1/config')).status).toBe(200);
    const old = cli.bearer;
    h = await h.restart();
    cli.base = h.base;
    expect((await cli.get('/api/v1/config')).status).toBe(401);
    cli.bearer = (await readFile(file, 'utf8')).trim();
    expect(cli.bearer).not.toBe(old);
    expect((await cli.get('/api/v1/config')).status).toBe(200);
  });

  it('users: created with a password, read-only role, hashes never shown, last admin kept', async () => {
    h = await startHarness();
    const admin = await h.admin();
    let version = await admin.version();
    const made = await admin.post(`/api/v1/users?version=${version}`, {
      username: 'viewer',
      password: 'viewer-password',
      role: 'readonly',
    });
    expect(made.status, made.text).toBe(201);
    expect(made.body.item).toEqual({ username: 'viewer', role: 'readonly' });
    const list = await admin.get('/api/v1/users');
    expect(JSON.stringify(list.body)).not.toContain('passwordHash');

    const viewer = h.client();
    expect((await viewer.login('viewer', 'viewer-password')).body.role).toBe('readonly');
    const config = await viewer.get('/api/v1/config');
    expect(JSON.stringify(config.body)).not.toContain('$scrypt$');
    version = await viewer.version();
    const denied = await viewer.put(`/api/v1/network?version=${version}`, { interfaces: [] });
    expect(denied.body.error.code).toBe('AUTH_FORBIDDEN');
    // A read-only user may still change its own password.
    const own = await viewer.post('/api/v1/session/password', { current: 'viewer-password', new: 'viewer-password-2' });
    expect(own.status, own.text).toBe(200);

    const unknownField = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'x',
      password: 'long-enough',
      admin: true,
    });
    expect(unknownField.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'admin' });
    const plain = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'y',
      passwordHash: 'plaintext',
    });
    expect(plain.status).toBe(422);
    expect(plain.body.error.issues[0].field).toMatch(/passwordHash$/);

    const lastAdmin = await admin.delete(`/api/v1/users/admin?version=${await admin.version()}`);
    expect(lastAdmin.status).toBe(422);
    expect(lastAdmin.body.error.issues[0]).toMatchObject({ code: 'CONFIG_CONFLICT', field: 'administration.users' });

    // Removing a user ends its sessions.
    const removed = await admin.delete(`/api/v1/users/viewer?version=${await admin.version()}`);
    expect(removed.status).toBe(200);
    expect((await viewer.get('/api/v1/status')).status).toBe(401);
  });

  it("one password rule: under 12 characters is refused in the rule's words, by the password change and by /users", async () => {
    h = await startHarness();
    const admin = await h.admin();
    const short = 'ten chars!'; // 10: the length the old page's "at least 12" let through
    const changed = await admin.post('/api/v1/session/password', { current: ADMIN_PASSWORD, new: short });
    expect(changed.status).toBe(400);
    expect(changed.body.error).toMatchObject({
      code: 'API_BAD_REQUEST',
      field: 'new',
      message: expect.stringContaining('is too short: use at least 12 characters (this one has 10)'),
    });
    const made = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'ops',
      password: 'eleven char',
    });
    expect(made.status).toBe(400);
    expect(made.body.error).toMatchObject({
      field: 'password',
      message: expect.stringContaining('is too short: use at least 12 characters (this one has 11)'),
    });
    const twelve = await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'ops',
      password: 'twelve chars',
    });
    expect(twelve.status, twelve.text).toBe(201);
    // The OpenAPI document says the same bounds.
    const doc = (await admin.get('/api/v1/openapi.json')).body;
    const schema = doc.paths['/api/v1/session/password'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.new).toMatchObject({ minLength: 12, maxLength: 256 });
  });

  it('a user created with mustChangePassword must change it first', async () => {
    h = await startHarness();
    const admin = await h.admin();
    await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'newbie',
      password: 'temporary-password',
      mustChangePassword: true,
    });
    const newbie = h.client();
    await newbie.login('newbie', 'temporary-password');
    expect((await newbie.get('/api/v1/status')).body.error.code).toBe('AUTH_PASSWORD_CHANGE_REQUIRED');
    await newbie.post('/api/v1/session/password', { current: 'temporary-password', new: 'permanent-password' });
    expect((await newbie.get('/api/v1/status')).status).toBe(200);
  });
});
