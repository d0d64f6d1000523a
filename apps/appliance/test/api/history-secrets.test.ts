import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactChanges, SECRET_FIELDS } from '../../src/api/secrets.js';
import { configJsonSchema } from '../../src/model/json-schema.js';
import { makeTerminationCertificate } from '../../src/web/termination-certificates.js';
import { ADMIN_PASSWORD, type Answer, harnessEachTest } from './harness.js';

const each = harnessEachTest();
const v = () => each.h.store.current().version;

const heartbeat = (key: string) => ({
  enabled: true,
  peer: { name: 'lbslave', address: '203.0.113.2' },
  links: [{ interface: 'eth0' }],
  key,
});

/** Every secret any stored version holds: each password hash and heartbeat key ever stored. */
async function storedSecrets(): Promise<string[]> {
  const secrets = new Set<string>();
  for (let n = 1; n <= v(); n++) {
    const { config } = await each.h.store.get(n);
    for (const user of config.administration.users) secrets.add(user.passwordHash);
    if (config.heartbeat !== undefined) secrets.add(config.heartbeat.key);
  }
  return [...secrets];
}

/** An answer's text holds none of `secrets`, and (for the hashes' sake) no modular crypt string. */
function expectNoSecret(answer: Answer, secrets: readonly string[], what: string): void {
  expect(answer.status, `${what}: ${answer.text}`).toBe(200);
  for (const secret of secrets) expect(answer.text, what).not.toContain(secret);
  expect(answer.text, what).not.toMatch(/\$scrypt\$/);
}

describe('the history shows no secret, to any role', () => {
  it('versions, diffs and write answers redact password hashes and heartbeat keys, and still show them changed', async () => {
    const { h, admin } = each;
    const writes: [string, Answer][] = [];
    const write = async (what: string, answer: Promise<Answer>) => {
      const done = await answer;
      expect(done.status, `${what}: ${done.text}`).toBeLessThan(300);
      writes.push([what, done]);
    };
    // Each kind of secret the configuration can hold, changed at least once.
    await write(
      'add user',
      admin.post(`/api/v1/users?version=${v()}`, { username: 'ops', password: 'ops-password-1' }),
    );
    await write('add heartbeat', admin.put(`/api/v1/heartbeat?version=${v()}`, heartbeat('first-shared-secret-key')));
    const certificate = await makeTerminationCertificate(join(h.dir, 'certificates'), 'site', ['192.0.2.10']);
    const site = { label: 'site', file: certificate.file };
    await write('add certificate', admin.post(`/api/v1/certificates?version=${v()}`, site));
    const beforePassword = v();
    await write('change password', admin.put(`/api/v1/users/ops?version=${v()}`, { password: 'ops-password-2' }));
    await write('change key', admin.put(`/api/v1/heartbeat?version=${v()}`, heartbeat('second-shared-secret-key')));
    await write(
      'own password',
      admin.post('/api/v1/session/password', { current: ADMIN_PASSWORD, new: 'a new admin password' }),
    );
    await write('rollback', admin.post(`/api/v1/config/rollback?version=${v()}`, { to: beforePassword }));

    const secrets = await storedSecrets();
    // Two hashes of ops, the first-boot and two admin ones, two keys: all of them differ.
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const pem = await readFile(certificate.file, 'utf8');
    const privateKey = pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----'));
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n\S{40}/);
    const key = privateKey.split('\n')[1] as string;

    // A write answers with its changes (the edited item itself, as GET shows it to an administrator, aside).
    for (const [what, answer] of writes) {
      const { item: _item, ...rest } = answer.body;
      const text = JSON.stringify(rest);
      for (const secret of secrets) expect(text, what).not.toContain(secret);
    }

    const viewer = h.client();
    await write(
      'add viewer',
      admin.post(`/api/v1/users?version=${v()}`, { username: 'viewer', password: 'viewer-password', role: 'readonly' }),
    );
    expect((await viewer.login('viewer', 'viewer-password')).status).toBe(200);
    const all = await storedSecrets();
    for (const [role, client] of [
      ['admin', admin],
      ['readonly', viewer],
    ] as const) {
      expectNoSecret(await client.get('/api/v1/config/versions?limit=1000'), all, `${role}: versions`);
      expectNoSecret(await client.get('/api/v1/config/diff'), all, `${role}: diff`);
      for (let from = 1; from <= v(); from++) {
        const one = await client.get(`/api/v1/config/versions/${from}`);
        expectNoSecret(one, all, `${role}: version ${from}`);
        expect(one.text).not.toContain(key);
        for (let to = 1; to <= v(); to++) {
          expectNoSecret(
            await client.get(`/api/v1/config/diff?from=${from}&to=${to}`),
            all,
            `${role}: diff ${from}-${to}`,
          );
        }
      }
    }

    // Redacted, not dropped: a change of a secret is still a change.
    const changed = await admin.get(`/api/v1/config/diff?from=${beforePassword}&to=${beforePassword + 2}`);
    expect(changed.body.changes).toHaveLength(2);
    expect(changed.body.changes).toEqual(
      expect.arrayContaining([
        { path: 'administration.users["ops"].passwordHash', op: 'changed', before: REDACTED, after: REDACTED },
        { path: 'heartbeat.key', op: 'changed', before: REDACTED, after: REDACTED },
      ]),
    );
    const added = await admin.get(`/api/v1/config/diff?from=${beforePassword - 3}&to=${beforePassword}`);
    expect(added.body.changes).toHaveLength(3);
    expect(added.body.changes).toEqual(
      expect.arrayContaining([
        { path: 'certificates["site"]', op: 'added', after: site },
        { path: 'heartbeat', op: 'added', after: { ...heartbeat(REDACTED), autoFailback: true, pingNodes: [] } },
        {
          path: 'administration.users["ops"]',
          op: 'added',
          after: { username: 'ops', passwordHash: REDACTED, role: 'admin' },
        },
      ]),
    );
    const version = await admin.get(`/api/v1/config/versions/${beforePassword}`);
    expect(version.body.config.heartbeat.key).toBe(REDACTED);
    expect(version.body.config.administration.users.map((u: { passwordHash: string }) => u.passwordHash)).toEqual([
      REDACTED,
      REDACTED,
    ]);
    // A version read back is no configuration to store again: refused at the field, nothing broken stored.
    const again = await admin.put(`/api/v1/config?version=${v()}`, version.body.config);
    expect(again.status).toBe(422);
    expect(again.body.error.issues.map((i: { field: string }) => i.field)).toEqual(
      expect.arrayContaining(['administration.users[0].passwordHash', 'heartbeat.key']),
    );
  });
});

describe('redactChanges', () => {
  const hash = '$scrypt$ln=4,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';
  const user = { username: 'ops', passwordHash: hash, role: 'admin' };
  it('redacts a secret wherever the diff put it: by index, in a whole list, in the whole section, at the root', () => {
    const changes = redactChanges([
      { path: 'administration.users[0]', op: 'changed', before: user, after: { ...user, role: 'readonly' } },
      { path: 'administration.users', op: 'changed', before: [], after: [user] },
      { path: 'administration', op: 'added', after: { httpPort: 9080, users: [user] } },
      { path: 'heartbeat', op: 'removed', before: heartbeat('first-shared-secret-key') },
      { path: '', op: 'changed', before: { administration: { users: [user] } }, after: null },
      { path: 'layer4["web"].description', op: 'changed', before: hash, after: 'x' },
    ]);
    expect(JSON.stringify(changes.slice(0, 5))).not.toContain(hash);
    expect(JSON.stringify(changes)).not.toContain('first-shared-secret-key');
    expect(changes[0]).toEqual({
      path: 'administration.users[0]',
      op: 'changed',
      before: { ...user, passwordHash: REDACTED },
      after: { ...user, passwordHash: REDACTED, role: 'readonly' },
    });
    expect(changes[4]?.after).toBeNull();
    // Not a secret's field: shown as it is, even when it looks like one.
    expect(changes[5]?.before).toBe(hash);
  });
});

describe('SECRET_FIELDS', () => {
  it('names every field of the configuration schema that holds a password, key, token or hash', () => {
    const schema = configJsonSchema() as JsonSchema;
    const found: string[] = [];
    const walk = (node: JsonSchema | undefined, path: string[]): void => {
      if (node === undefined) return;
      if (node.$ref !== undefined) {
        walk(schema.$defs?.[node.$ref.replace('#/$defs/', '')], path);
        return;
      }
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        if (/pass|secret|key|token|hash|credential|private|community/i.test(name))
          found.push([...path, name].join('.'));
        walk(child, [...path, name]);
      }
      walk(node.items, [...path, '*']);
      for (const choice of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) walk(choice, path);
    };
    walk(schema, []);
    expect(found.sort()).toEqual(SECRET_FIELDS.map((fields) => fields.join('.')).sort());
  });
});

interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}
