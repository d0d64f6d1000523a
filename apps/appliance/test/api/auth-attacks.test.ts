import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scryptComputations, verifyPassword } from '../../src/auth/index.js';
import { ADMIN_PASSWORD, type Answer, type Harness, startHarness } from './harness.js';

/**
 * The promises of authentication under attack (issue #17): limits that hold against
 * bursts, no lock-out by strangers, bounded hash cost, credentials that die with their
 * password and never come back, and an audit log that a flood cannot turn over.
 */
describe('authentication under attack', () => {
  let h: Harness;
  afterEach(() => h?.close());

  /** A login from another loopback address (127.0.0.0/8 is all local): a different client. */
  function loginFrom(localAddress: string, username: string, password: string): Promise<Answer> {
    const url = new URL(h.base);
    const body = JSON.stringify({ username, password });
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          localAddress,
          method: 'POST',
          path: '/api/v1/session',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers))
              if (typeof value === 'string') headers.set(name, value);
            resolve({ status: res.statusCode ?? 0, headers, body: text ? JSON.parse(text) : undefined, text });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('item 1: 200 concurrent wrong guesses compute at most the allowed hashes; the rest are 429', async () => {
    h = await startHarness();
    await h.admin();
    const before = scryptComputations();
    const client = h.client();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => client.login('admin', `wrong-guess-${i}`)));
    const hashes = scryptComputations() - before;
    const statuses = answers.map((answer) => answer.status);
    expect(hashes).toBeGreaterThanOrEqual(1);
    expect(hashes).toBeLessThanOrEqual(h.auth.limiter.limit);
    expect(statuses.filter((status) => status === 401)).toHaveLength(hashes);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(200 - hashes);
    for (const answer of limited) {
      expect(answer.body.error.code).toBe('AUTH_RATE_LIMITED');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // The right password in a burst of wrong ones from the same client is no way in either.
    h.clock.advance(301_000);
    const burst = await Promise.all([
      ...Array.from({ length: 39 }, (_, i) => client.login('admin', `wrong-again-${i}`)),
      client.login('admin', ADMIN_PASSWORD),
    ]);
    expect(burst.filter((answer) => answer.status === 401).length).toBeLessThanOrEqual(h.auth.limiter.limit);
  });

  it('item 2: guesses from other addresses do not lock a user out; the guesser backs off', async () => {
    h = await startHarness();
    await h.admin();
    for (let i = 0; i < 8; i++) await loginFrom('127.0.0.2', 'admin', `stranger-${i}`);
    for (let i = 0; i < 8; i++) await loginFrom('127.0.0.3', 'admin', `stranger-${i}`);
    expect((await loginFrom('127.0.0.2', 'admin', ADMIN_PASSWORD)).status).toBe(429);
    const own = await loginFrom('127.0.0.4', 'admin', ADMIN_PASSWORD);
    expect(own.status, own.text).toBe(200);
    // One address spraying names is capped per address (20 failures in the window).
    const spray: number[] = [];
    for (let i = 0; i < 21; i++) spray.push((await loginFrom('127.0.0.5', `name-${i}`, 'whatever-it-is')).status);
    expect(spray.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(spray[20]).toBe(429);
    expect((await loginFrom('127.0.0.6', 'admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('item 3: a stored scrypt hash cannot raise its own cost; a costly one is refused uncomputed', async () => {
    h = await startHarness();
    const admin = await h.admin();
    const version = await admin.version();
    const costly = `$scrypt$ln=20,r=32,p=1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
    const made = await admin.post(`/api/v1/users?version=${version}`, { username: 'costly', passwordHash: costly });
    expect(made.status, made.text).toBe(422);
    expect(made.body.error.issues[0]).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(made.body.error.issues[0].field).toMatch(/passwordHash$/);
    expect(h.store.current().version).toBe(version);
    // A hash over the bound that got into a configuration some other way is not computed.
    const before = scryptComputations();
    expect(await verifyPassword('x', `$scrypt$ln=17,r=8,p=1$${'A'.repeat(22)}$${'A'.repeat(43)}`)).toBe(false);
    expect(scryptComputations()).toBe(before);
  });

  it("item 4: tokens and sessions die with their user's password change and an admin's reset", async () => {
    h = await startHarness();
    const admin = await h.admin();
    await admin.post(`/api/v1/users?version=${await admin.version()}`, { username: 'ops', password: 'ops-password-1' });
    const ops = h.client();
    expect((await ops.login('ops', 'ops-password-1')).status).toBe(200);
    const bot = h.client();
    bot.bearer = (await ops.post('/api/v1/tokens', { name: 'ci' })).body.token;
    expect((await bot.get('/api/v1/status')).status).toBe(200);
    const changed = await ops.post('/api/v1/session/password', { current: 'ops-password-1', new: 'ops-password-2' });
    expect(changed.status, changed.text).toBe(200);
    expect((await bot.get('/api/v1/status')).status).toBe(401);
    // The session that made the change goes on.
    expect((await ops.get('/api/v1/status')).status).toBe(200);

    bot.bearer = (await ops.post('/api/v1/tokens', { name: 'ci-2' })).body.token;
    expect((await bot.get('/api/v1/status')).status).toBe(200);
    const reset = await admin.put(`/api/v1/users/ops?version=${await admin.version()}`, {
      username: 'ops',
      password: 'ops-password-3',
    });
    expect(reset.status, reset.text).toBe(200);
    expect((await bot.get('/api/v1/status')).status).toBe(401);
    expect((await ops.get('/api/v1/status')).status).toBe(401);

    // A change the API did not see (the HA peer's version, a restore) ends them too.
    expect((await ops.login('ops', 'ops-password-3')).status).toBe(200);
    bot.bearer = (await ops.post('/api/v1/tokens', { name: 'ci-3' })).body.token;
    const current = h.store.current();
    const adminHash = current.config.administration.users.find((u) => u.username === 'admin')?.passwordHash;
    await h.store.commit({
      config: {
        ...current.config,
        administration: {
          ...current.config.administration,
          users: current.config.administration.users.map((u) =>
            u.username === 'ops' ? { ...u, passwordHash: adminHash as string } : u,
          ),
        },
      },
      baseVersion: current.version,
      author: 'peer',
    });
    expect((await bot.get('/api/v1/status')).status).toBe(401);
    expect((await ops.get('/api/v1/status')).status).toBe(401);
  });

  it('item 4: a user removed and added again with the same hash gets none of its tokens back', async () => {
    h = await startHarness();
    const admin = await h.admin();
    await admin.post(`/api/v1/users?version=${await admin.version()}`, { username: 'ops', password: 'ops-password-1' });
    const ops = h.client();
    await ops.login('ops', 'ops-password-1');
    const bot = h.client();
    bot.bearer = (await ops.post('/api/v1/tokens', { name: 'ci' })).body.token;
    expect((await bot.get('/api/v1/status')).status).toBe(200);
    // Removed and added back by whole-configuration writes (PUT /config, a restore), not the users route.
    const withOps = h.store.current();
    const users = withOps.config.administration.users;
    const administration = withOps.config.administration;
    await h.store.commit({
      config: {
        ...withOps.config,
        administration: { ...administration, users: users.filter((u) => u.username !== 'ops') },
      },
      baseVersion: withOps.version,
      author: 'admin',
    });
    await h.auth.tokens.settled();
    expect(h.auth.tokens.list()).toEqual([]);
    await h.store.commit({
      config: { ...withOps.config, administration: { ...administration, users } },
      baseVersion: h.store.current().version,
      author: 'admin',
    });
    expect((await bot.get('/api/v1/status')).status).toBe(401);
  });

  it('item 4: a token stored before tokens carried a credential dies at the next password change', async () => {
    h = await startHarness();
    const admin = await h.admin();
    const made = await admin.post('/api/v1/tokens', { name: 'legacy' });
    const file = join(h.dir, 'api-tokens.json');
    const stored = JSON.parse(await readFile(file, 'utf8'));
    for (const token of stored.tokens) delete token.credential;
    await writeFile(file, JSON.stringify(stored));
    h = await h.restart();
    const bot = h.client();
    bot.bearer = made.body.token;
    expect((await bot.get('/api/v1/status')).status).toBe(200);
    const again = await h.admin();
    await again.post('/api/v1/session/password', { current: ADMIN_PASSWORD, new: 'another admin password' });
    expect((await bot.get('/api/v1/status')).status).toBe(401);
  });

  it('item 4: the CLI token mints no API token, and a stored one named for the CLI is no CLI token', async () => {
    h = await startHarness();
    await h.admin();
    const cli = h.client();
    cli.bearer = (await readFile(join(h.dir, 'cli.token'), 'utf8')).trim();
    const minted = await cli.post('/api/v1/tokens', { name: 'from-cli' });
    expect(minted.status, minted.text).toBe(403);
    expect(minted.body.error.code).toBe('AUTH_FORBIDDEN');
    expect(h.auth.tokens.list()).toEqual([]);
    expect((await cli.post('/api/v1/session/password', { current: 'x', new: 'long enough now' })).status).toBe(400);

    // A user named "cli" is a user like any other: its read-only token is no CLI token.
    const admin = await h.admin();
    await admin.post(`/api/v1/users?version=${await admin.version()}`, {
      username: 'cli',
      password: 'cli-user-password',
      role: 'readonly',
    });
    const named = h.client();
    await named.login('cli', 'cli-user-password');
    const reader = h.client();
    reader.bearer = (await named.post('/api/v1/tokens', { name: 'dashboard' })).body.token;
    expect((await reader.get('/api/v1/session')).body).toMatchObject({ user: 'cli', role: 'readonly' });
    const write = await reader.post(`/api/v1/health-checks?version=${await reader.version()}`, {
      label: 'chk',
      type: 'ping',
    });
    expect(write.status).toBe(403);
    const own = await named.post('/api/v1/session/password', {
      current: 'cli-user-password',
      new: 'cli-user-password-2',
    });
    expect(own.status, own.text).toBe(200);
    await h.store.commit({
      config: {
        ...h.store.current().config,
        administration: {
          ...h.store.current().config.administration,
          users: h.store.current().config.administration.users.filter((u) => u.username !== 'cli'),
        },
      },
      baseVersion: h.store.current().version,
      author: 'admin',
    });
    await h.auth.tokens.settled();

    // A token an earlier version let the CLI token mint (user "cli") is dropped at start.
    await h.auth.tokens.create('old', 'cli', 'admin', new Date(), 'x');
    h = await h.restart();
    expect(h.auth.tokens.list()).toEqual([]);
  });

  it('item 4: a rollback brings back neither a removed user nor an old or first-boot password', async () => {
    h = await startHarness();
    const initial = (await readFile(join(h.dir, 'initial-password'), 'utf8')).trim();
    const firstBoot = h.store.current().version;
    const admin = await h.admin();
    await admin.post(`/api/v1/users?version=${await admin.version()}`, { username: 'ops', password: 'ops-password-1' });
    const withOps = h.store.current().version;
    const ops = h.client();
    await ops.login('ops', 'ops-password-1');
    const bot = h.client();
    bot.bearer = (await ops.post('/api/v1/tokens', { name: 'ci' })).body.token;
    expect((await admin.delete(`/api/v1/users/ops?version=${await admin.version()}`)).status).toBe(200);

    const back = await admin.post('/api/v1/config/rollback', { to: withOps, version: await admin.version() });
    expect(back.status, back.text).toBe(200);
    expect(h.store.current().config.administration.users.map((u) => u.username)).toEqual(['admin']);
    expect((await bot.get('/api/v1/status')).status).toBe(401);
    expect((await h.client().login('ops', 'ops-password-1')).status).toBe(401);

    const first = await admin.post('/api/v1/config/rollback', { to: firstBoot, version: await admin.version() });
    expect(first.status, first.text).toBe(200);
    expect((await h.client().login('admin', initial)).status).toBe(401);
    expect((await h.client().login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('item 4: the first-boot password never logs in again once changed, even stored again', async () => {
    h = await startHarness();
    const initial = (await readFile(join(h.dir, 'initial-password'), 'utf8')).trim();
    const firstHash = h.store.current().config.administration.users[0]?.passwordHash as string;
    await h.admin();
    // A restore of a backup taken at first boot stores the old hash as a new version.
    const current = h.store.current();
    await h.store.commit({
      config: {
        ...current.config,
        administration: {
          ...current.config.administration,
          users: [{ username: 'admin', passwordHash: firstHash, role: 'admin' }],
        },
      },
      baseVersion: current.version,
      author: 'restore',
    });
    expect((await h.client().login('admin', initial)).status).toBe(401);
    h = await h.restart();
    expect((await h.client().login('admin', initial)).status).toBe(401);
  });

  it('item 17: a flood of failed logins writes a bounded number of audit records with counts', async () => {
    h = await startHarness();
    await h.admin();
    const client = h.client();
    for (let i = 0; i < 50; i++) await client.login('admin', `wrong-${i}`);
    h.clock.advance(61_000);
    await client.login('someone', 'not-the-password'); // the next login writes the counts of ended windows
    const records = h.logs.query({ channels: ['audit'], text: 'failed login' });
    expect(records.length).toBeLessThanOrEqual(5);
    const messages = records.map((record) => record.message);
    expect(messages).toContain('failed login of "admin" from 127.0.0.1 (AUTH_FAILED)');
    expect(messages.some((m) => m.startsWith('4 more failed logins of "admin" from 127.0.0.1'))).toBe(true);
    expect(messages.some((m) => m.startsWith('44 more failed logins of any user from 127.0.0.1'))).toBe(true);
    expect(records.every((record) => record.level === 'warn')).toBe(true);
    const counted = records.reduce((sum, record) => sum + Number(record.fields?.count ?? 0), 0);
    expect(counted).toBe(51);
  });
});
