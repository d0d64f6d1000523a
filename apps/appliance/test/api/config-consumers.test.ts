import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderLayer7 } from '../../src/engine/layer7/render.js';
import { type Answer, type Client, type Harness, startHarness } from './harness.js';

/**
 * A write is checked by what will consume it (the Layer 7 model and the HAProxy renderer)
 * before a version exists: values the schema used to take but HAProxy refuses are 422 with
 * the field, nothing is stored, and the next valid Layer 7 change still applies.
 */

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
});
afterEach(() => h.close());

const v = () => h.store.current().version;
const RENDER_OPTIONS = { adminSocket: '/run/test/admin.sock', serverStateFile: '/run/test/state' };

const site = (extra: Record<string, unknown> = {}) => ({
  label: 'site',
  vip: '198.51.100.10',
  ports: [80],
  realServers: [{ label: 'a', address: '198.51.100.21', port: 8080 }],
  ...extra,
});

/** The answer is a 422 naming `field`, and the store holds the version it held before. */
async function expectRefused(answer: Promise<Answer>, field: string) {
  const before = h.store.current();
  const { status, text, body } = await answer;
  expect(status, text).toBe(422);
  expect(body.error.code).toBe('CONFIG_REJECTED');
  expect(body.error.field).toBe(field);
  expect(body.error.issues[0]).toMatchObject({ field });
  expect(h.store.current()).toBe(before);
}

/** A valid Layer 7 change after a refusal is stored, and the real renderer takes the result. */
async function expectLayer7StillApplies() {
  const before = v();
  const answer = await admin.post(`/api/v1/layer7/services?version=${before}`, {
    ...site(),
    label: 'after',
    ports: [8081],
  });
  expect(answer.status, answer.text).toBe(201);
  expect(v()).toBe(before + 1);
  expect(renderLayer7(h.store.current().config, RENDER_OPTIONS).text).toContain('frontend after');
}

describe('values HAProxy or its tools refuse are refused before they are stored', () => {
  it('a cookie name with "#" (a comment in haproxy.cfg)', async () => {
    await expectRefused(
      admin.post(
        `/api/v1/layer7/services?version=${v()}`,
        site({ persistence: { type: 'cookie-insert', cookieName: 'SID#x' } }),
      ),
      'layer7[0].persistence.cookieName',
    );
    await expectLayer7StillApplies();
  });

  it('a URL-rule value starting with "-" (a flag to HAProxy), as a suffix and as a host', async () => {
    await admin.post(`/api/v1/layer7/services?version=${v()}`, site({ label: 'images', ports: [82] }));
    await expectRefused(
      admin.post(
        `/api/v1/layer7/services?version=${v()}`,
        site({ urlRules: [{ match: 'path-suffix', value: "-i'#", service: 'images' }] }),
      ),
      'layer7[1].urlRules[0].value',
    );
    await expectRefused(
      admin.post(
        `/api/v1/layer7/services?version=${v()}`,
        site({ urlRules: [{ match: 'host', value: '-m', service: 'images' }] }),
      ),
      'layer7[1].urlRules[0].value',
    );
    await expectLayer7StillApplies();
  });

  it('an interface name starting with "-" (an option to ip)', async () => {
    await expectRefused(
      admin.post(`/api/v1/floating-ips?version=${v()}`, { address: '192.0.2.50/24', interface: '-eth0' }),
      'floatingIps[0].interface',
    );
    await expectLayer7StillApplies();
  });

  it('a certificate path with a space', async () => {
    await expectRefused(
      admin.post(`/api/v1/certificates?version=${v()}`, { label: 'site', file: '/etc/sluice/my site.pem' }),
      'certificates[0].file',
    );
    await expectLayer7StillApplies();
  });

  it('what only the Layer 7 model refuses (more ports than HAProxy binds) is refused with its field', async () => {
    await expectRefused(
      admin.post(`/api/v1/layer7/services?version=${v()}`, site({ ports: [{ from: 1000, to: 3000 }] })),
      'layer7[0].ports',
    );
    // The whole configuration and a batch go through the same check.
    const { body } = await admin.get('/api/v1/config');
    await expectRefused(
      admin.put(`/api/v1/config?version=${v()}`, {
        ...body.config,
        layer7: [site({ ports: [{ from: 1000, to: 3000 }] })],
      }),
      'layer7[0].ports',
    );
    await expectRefused(
      admin.post(`/api/v1/batch?version=${v()}`, {
        operations: [{ method: 'POST', path: '/layer7/services', body: site({ ports: [{ from: 1, to: 2000 }] }) }],
      }),
      'layer7[0].ports',
    );
    await expectLayer7StillApplies();
  });

  it('a restore of a backup whose configuration the Layer 7 model refuses changes nothing', async () => {
    const backup = (await admin.get('/api/v1/backup')).body;
    const { checksum: _old, ...content } = backup;
    content.config = { ...content.config, layer7: [site({ ports: [{ from: 1000, to: 3000 }] })] };
    const checksum = `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
    const before = h.store.current();
    const restored = await admin.post('/api/v1/restore', { ...content, checksum });
    expect(restored.status, restored.text).toBe(400);
    expect(restored.body.error).toMatchObject({ code: 'BACKUP_INVALID', field: 'layer7[0].ports' });
    expect(h.store.current()).toBe(before);
  });
});

describe('certificate files', () => {
  it('a FIFO or a device as a certificate file is refused at write time with the field', async () => {
    const dir = join(h.dir, 'certs');
    await mkdir(dir);
    const fifo = join(dir, 'fifo.pem');
    execFileSync('mkfifo', [fifo]);
    await expectRefused(
      admin.post(`/api/v1/certificates?version=${v()}`, { label: 'site', file: fifo }),
      'certificates[0].file',
    );
    await expectRefused(
      admin.post(`/api/v1/certificates?version=${v()}`, { label: 'site', file: '/dev/zero' }),
      'certificates[0].file',
    );
    // A file that is not there yet is stored: it may be copied in later (the apply says so).
    const later = await admin.post(`/api/v1/certificates?version=${v()}`, {
      label: 'site',
      file: join(dir, 'later.pem'),
    });
    expect(later.status, later.text).toBe(201);
  });

  it('a rollback to a version its consumers no longer take is refused with 422 and stores nothing', async () => {
    const dir = join(h.dir, 'certs');
    await mkdir(dir);
    const file = join(dir, 'site.pem');
    const withCertificate = (await admin.post(`/api/v1/certificates?version=${v()}`, { label: 'site', file })).body
      .version;
    expect(withCertificate).toBe(v());
    expect((await admin.delete(`/api/v1/certificates/site?version=${v()}`)).status).toBe(200);
    // The file that version names has become a FIFO since.
    await rm(file, { force: true });
    execFileSync('mkfifo', [file]);
    await expectRefused(
      admin.post('/api/v1/config/rollback', { to: withCertificate, version: v() }),
      'certificates[0].file',
    );
  });
});
