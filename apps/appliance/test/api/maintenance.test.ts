import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Client, type Harness, layer4Service, startHarness } from './harness.js';

let h: Harness;
let admin: Client;
beforeEach(async () => {
  h = await startHarness();
  admin = await h.admin();
  await admin.post(`/api/v1/layer4/services?version=${await admin.version()}`, layer4Service('web'));
  await admin.post('/api/v1/runtime/layer4/services/web/real-servers/alpha', { state: 'offline' });
});
afterEach(() => h.close());

describe('backup and restore', () => {
  it('a backup restores configuration and admin states as a new version', async () => {
    const backup = await admin.get('/api/v1/backup');
    expect(backup.status).toBe(200);
    expect(backup.headers.get('content-disposition')).toMatch(/^attachment; filename="sluice-backup-v\d+-/);
    expect(backup.body).toMatchObject({
      format: 'sluice-backup',
      formatVersion: 1,
      adminStates: [{ server: 'alpha' }],
    });
    expect(backup.body.history.length).toBeGreaterThan(2);
    expect(backup.body.config.administration.users[0].passwordHash).toMatch(/^\$scrypt\$/);
    expect(backup.body.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);

    await admin.delete(`/api/v1/layer4/services/web?version=${await admin.version()}`);
    await admin.post('/api/v1/runtime/layer4/services/web', { state: 'online' }).catch(() => undefined);
    const before = h.store.current().version;
    const restored = await admin.post('/api/v1/restore', backup.body);
    expect(restored.status, restored.text).toBe(200);
    expect(restored.body.version).toBe(before + 1);
    expect(h.store.current().config.layer4.map((s) => s.label)).toEqual(['web']);
    expect(h.adminStates.list().map((e) => e.server)).toEqual(['alpha']);
    expect(h.store.current().comment).toMatch(/^restore of the backup of version/);
    // The peer gets the restored admin states too, not only the version.
    await h.pipeline.idle();
    expect(h.ha.replicated.at(-1)).toEqual({ version: before + 1, adminStates: 1 });
  });

  it('a bad backup changes nothing: BACKUP_INVALID', async () => {
    const backup = (await admin.get('/api/v1/backup')).body;
    const before = h.store.current();
    const states = h.adminStates.list();
    const edited = { ...backup, config: { ...backup.config, layer4: [] } };
    const { checksum: _checksum, ...unsigned } = backup;
    const cases = [
      edited,
      unsigned,
      { ...backup, format: 'other' },
      { hello: 'world' },
      { ...backup, checksum: 'sha256:00' },
    ];
    for (const bad of cases) {
      const answer = await admin.post('/api/v1/restore', bad);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('BACKUP_INVALID');
    }
    expect((await admin.post('/api/v1/restore', [])).body.error.code).toBe('BACKUP_INVALID');
    expect(h.store.current()).toBe(before);
    expect(h.adminStates.list()).toEqual(states);
  });

  it('a backup whose configuration fails validation names the issues', async () => {
    const { createHash } = await import('node:crypto');
    const backup = (await admin.get('/api/v1/backup')).body;
    const { checksum: _c, ...content } = backup;
    content.config = { ...content.config, layer4: [{ label: 'x', vip: 'bad' }] };
    const resigned = {
      ...content,
      checksum: `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`,
    };
    const answer = await admin.post('/api/v1/restore', resigned);
    expect(answer.body.error.code).toBe('BACKUP_INVALID');
    expect(answer.body.error.issues.length).toBeGreaterThan(0);
  });

  it('factory reset needs its confirmation and keeps the administrators', async () => {
    const wrong = await admin.post('/api/v1/factory-reset', { confirm: 'yes' });
    expect(wrong.body.error).toMatchObject({ code: 'API_BAD_REQUEST', field: 'confirm' });
    expect((await admin.post('/api/v1/factory-reset', {})).status).toBe(400);
    const reset = await admin.post('/api/v1/factory-reset', { confirm: 'factory-reset' });
    expect(reset.status).toBe(200);
    const config = h.store.current().config;
    expect(config.layer4).toEqual([]);
    expect(config.administration.users.map((u) => u.username)).toEqual(['admin']);
    expect(h.adminStates.list()).toEqual([]);
    expect((await admin.get('/api/v1/status')).status).toBe(200);
  });
});
