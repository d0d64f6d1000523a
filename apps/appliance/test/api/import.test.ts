import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessEachTest, layer4Service } from './harness.js';

const CORPUS = join(import.meta.dirname, '..', 'import', 'corpus');
const corpus = (path: string) => readFile(join(CORPUS, path), 'utf8');

const each = harnessEachTest();

/** keepalived.conf with its includes, uploaded as the WUI and the CLI upload them: relative names. */
async function keepalivedUpload() {
  return {
    format: 'keepalived',
    file: 'include.conf',
    files: {
      'include.conf': await corpus('keepalived/include.conf'),
      'conf.d/a-web.conf': await corpus('keepalived/conf.d/a-web.conf'),
      'conf.d/b-dns.conf': await corpus('keepalived/conf.d/b-dns.conf'),
      'extra/vrrp.conf': await corpus('keepalived/extra/vrrp.conf'),
    },
  };
}

describe('POST /config/import (preview) and /config/import/apply', () => {
  it('previews without storing: the changes, the notes with file and line, what it replaces; apply stores the same', async () => {
    const { h, admin } = each;
    // A service of the same label as one the import makes: the preview says it is replaced.
    await admin.post(`/api/v1/layer4/services?version=${await admin.version()}`, layer4Service('vs_192.0.2.120_80'));
    const before = h.store.current();
    const upload = await keepalivedUpload();
    const preview = await admin.post('/api/v1/config/import', upload);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body).toMatchObject({ format: 'keepalived', baseVersion: before.version, errors: [] });
    expect(preview.body.files).toEqual(['include.conf', 'conf.d/a-web.conf', 'conf.d/b-dns.conf', 'extra/vrrp.conf']);
    expect(preview.body.replaced).toEqual(['layer4["vs_192.0.2.120_80"]']);
    expect(preview.body.notes.length).toBeGreaterThan(0);
    for (const note of preview.body.notes) {
      expect(note).toMatchObject({ file: expect.any(String), line: expect.any(Number), kind: expect.any(String) });
    }
    expect(preview.body.changes.some((c: { path: string }) => c.path.startsWith('layer4['))).toBe(true);
    // Nothing stored by a preview.
    expect(h.store.current().version).toBe(before.version);

    const applied = await admin.post(`/api/v1/config/import/apply?version=${before.version}`, upload);
    expect(applied.status, applied.text).toBe(200);
    const stored = h.store.current();
    expect(stored.version).toBe(before.version + 1);
    expect(stored.comment).toBe('imported from keepalived include.conf');
    const labels = stored.config.layer4.map((s) => s.label);
    expect(labels.filter((l) => l === 'vs_192.0.2.120_80')).toHaveLength(1);
    expect(stored.config.layer4.find((s) => s.label === 'vs_192.0.2.120_80')?.forwarding).toBe('dr');
  });

  it('apply against a version that is no longer current is a 409 and stores nothing', async () => {
    const { h, admin } = each;
    const base = await admin.version();
    await admin.post(`/api/v1/layer4/services?version=${base}`, layer4Service('web'));
    const after = h.store.current().version;
    const applied = await admin.post(`/api/v1/config/import/apply?version=${base}`, await keepalivedUpload());
    expect(applied.status).toBe(409);
    expect(applied.body.error.code).toBe('STORE_CONFLICT');
    expect(h.store.current().version).toBe(after);
  });

  it('broken input: IMPORT_INVALID with file:line, nothing stored; an include outside the upload reads nothing', async () => {
    const { h, admin } = each;
    const before = h.store.current().version;
    const broken = await admin.post('/api/v1/config/import', {
      format: 'keepalived',
      file: 'k.conf',
      files: { 'k.conf': 'virtual_server 192.0.2.10 80 {\n  lb_kind DR\n' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatchObject({ code: 'IMPORT_INVALID', field: expect.stringMatching(/^k\.conf:\d+$/) });
    for (const target of ['/etc/shadow', '../../../etc/shadow', '../secret.conf']) {
      const outside = await admin.post('/api/v1/config/import', {
        format: 'keepalived',
        file: 'k.conf',
        files: { 'k.conf': `include ${target}\n` },
      });
      expect(outside.status, target).toBe(400);
      expect(outside.body.error).toMatchObject({ code: 'IMPORT_INVALID', field: 'k.conf:1' });
      expect(outside.text).not.toContain('root:');
    }
    const hostile = await admin.post('/api/v1/config/import', {
      format: 'haproxy',
      file: 'h.cfg\nforged: line',
      files: { 'h.cfg\nforged: line': 'frontend x\n' },
    });
    expect(hostile.status).toBe(400);
    expect(hostile.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'file' });
    const unknown = await admin.post('/api/v1/config/import', { format: 'nginx', file: 'a', files: { a: '' } });
    expect(unknown.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'format' });
    expect(h.store.current().version).toBe(before);
  });

  it('an import the configuration would refuse is shown with its errors and cannot be applied', async () => {
    const { h, admin } = each;
    // The ipvsadm save's VIP is also a Layer 4 service of another label already: a duplicate listener.
    const save = '-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 192.0.2.21:80 -g -w 1\n';
    await admin.post(`/api/v1/layer4/services?version=${await admin.version()}`, layer4Service('other'));
    const before = h.store.current().version;
    const upload = { format: 'ipvsadm', file: 'rules.txt', files: { 'rules.txt': save } };
    const preview = await admin.post('/api/v1/config/import', upload);
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.errors).toContainEqual(expect.objectContaining({ code: 'CONFIG_DUPLICATE_LISTENER' }));
    const applied = await admin.post(`/api/v1/config/import/apply?version=${before}`, upload);
    expect(applied.status).toBe(422);
    expect(applied.body.error.code).toBe('CONFIG_REJECTED');
    expect(h.store.current().version).toBe(before);
  });
});
