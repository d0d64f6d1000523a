/**
 * The commit pipeline in the real kernel: the daemon (in this process, its data plane in a
 * namespace of the rig's UML kernel with IPVS) takes versions from every path that stores
 * one, the API's write, a rollback, a restore and the HA peer, and each reaches IPVS the
 * same way: the store's audit entry, then the engine's apply of that version, then the
 * table as the real ipvsadm shows it. A burst of 100 commits is applied newest-first-wins:
 * no apply of a version older than one already applied, and the last apply is the newest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import type { StoredVersion } from '../../src/store/config-store.js';
import { ADMIN_PASSWORD, Client } from '../api/harness.js';

const VIP = '203.0.113.10';

function service(label: string, port: number, weight = 1) {
  return {
    label,
    vip: VIP,
    ports: [port],
    forwarding: 'nat',
    scheduler: 'rr',
    realServers: [{ label: 'alpha', address: '198.51.100.11', port: 8080, weight }],
  };
}

describe('commit pipeline: every path to a stored version reaches the kernel the same way', {
  timeout: 240_000,
}, () => {
  let lab: Lab;
  let lb: Host;
  let dir: string;
  let daemon: Daemon;
  let admin: Client;

  const ipvs = async () =>
    (await lb.exec('ipvsadm', ['-S', '-n'])).stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  const version = async () => (await admin.get('/api/v1/config')).body.version as number;
  /** The versions the engine applied in full, in the order it applied them. */
  const applies = () =>
    daemon.logs
      .query({ channels: ['system'], text: 'engine: applied version', limit: 100_000 })
      .map((record) => Number(/applied version (\d+)/.exec(record.message)?.[1]));
  const audited = (n: number) =>
    daemon.logs.query({ channels: ['audit'], text: `stored configuration version ${n} (`, limit: 10 });

  /** What each path must show: its audit entry, the engine's apply of its version, and the table. */
  async function reached(n: number, action: string, table: string[]): Promise<void> {
    await daemon.pipeline.idle();
    expect(audited(n).map((record) => record.fields?.action)).toEqual([action]);
    expect(applies()).toContain(n);
    expect(daemon.engine.status().version).toBe(n);
    expect(await ipvs()).toEqual(table);
  }

  beforeAll(async () => {
    lab = await Lab.create();
    lb = await lab.host('lb');
    const server = await lab.host('alpha');
    await lab.link(lb, server, { aAddrs: ['198.51.100.1/24'], bAddrs: ['198.51.100.11/24'] });
    dir = await mkdtemp(join(tmpdir(), 'sluice-pipeline-'));
    daemon = await startDaemon({
      dataDir: dir,
      version: '0.0.0-test',
      httpPort: 0,
      httpsPort: 0,
      hosts: ['127.0.0.1'],
      netns: lb.netns,
    });
    admin = new Client(`http://127.0.0.1:${daemon.web.httpPort}`);
    await admin.login('admin', daemon.initialPassword ?? '');
    const changed = await admin.post('/api/v1/session/password', {
      current: daemon.initialPassword,
      new: ADMIN_PASSWORD,
    });
    expect(changed.status, changed.text).toBe(200);
    await admin.login('admin', ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop();
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('the API, a rollback, a restore and the peer: audit, apply, IPVS', async () => {
    // No health check (no default connect check): nothing listens on the real server, and
    // its check failing would change the weights this test compares.
    const unchecked = (label: string, port: number) => ({ ...service(label, port), healthCheck: null });
    const a = await admin.post(`/api/v1/layer4/services?version=${await version()}`, unchecked('a', 80));
    expect(a.status, a.text).toBe(201);
    const tableA = [`-A -t ${VIP}:80 -s rr`, `-a -t ${VIP}:80 -r 198.51.100.11:8080 -m -w 1`];
    await reached(a.body.version, 'commit', tableA);

    const b = await admin.post(`/api/v1/layer4/services?version=${await version()}`, unchecked('b', 81));
    expect(b.status, b.text).toBe(201);
    const tableAB = [...tableA, `-A -t ${VIP}:81 -s rr`, `-a -t ${VIP}:81 -r 198.51.100.11:8080 -m -w 1`];
    await reached(b.body.version, 'commit', tableAB);
    const backup = await admin.get('/api/v1/backup');
    expect(backup.status).toBe(200);

    const rolled = await admin.post(`/api/v1/config/rollback?version=${await version()}`, { to: a.body.version });
    expect(rolled.status, rolled.text).toBe(200);
    await reached(rolled.body.version, 'rollback', tableA);

    const restored = await admin.post('/api/v1/restore', backup.body);
    expect(restored.status, restored.text).toBe(200);
    await reached(restored.body.version, 'commit', tableAB);

    // The peer's version, as the replica endpoint stores it (test/ha covers the endpoint
    // up to this call): from here it is the store's event like any other.
    const head = daemon.store.current();
    const replica: StoredVersion = {
      version: head.version + 1,
      author: 'admin',
      time: new Date().toISOString(),
      comment: 'made on lb2',
      config: { ...head.config, layer4: head.config.layer4.filter((s) => s.label === 'b') },
    };
    await daemon.store.acceptReplica(replica, 'lb2');
    await reached(replica.version, 'replicate', tableAB.slice(2));
  });

  it('a burst of 100 commits: no apply of a version older than one already applied, the newest last', async () => {
    const before = applies().length;
    const base = daemon.store.current();
    const layer4 = base.config.layer4;
    // Queued at once: each is stored on the one before, as fast as the store takes them.
    const commits = Array.from({ length: 100 }, (_, i) =>
      daemon.store.commit({
        config: { ...base.config, layer4: [...layer4.filter((s) => s.label !== 'a'), service('a', 80, i + 1)] },
        baseVersion: base.version + i,
        author: 'admin',
        comment: `burst ${i + 1}`,
        // The first may equal the current configuration; each must still be a version.
        record: true,
      }),
    );
    const stored = await Promise.all(commits);
    const newest = stored.at(-1)?.version.version;
    expect(newest).toBe(base.version + 100);
    await daemon.pipeline.idle();
    const burst = applies().slice(before);
    for (let i = 1; i < burst.length; i++) expect(burst[i]).toBeGreaterThan(burst[i - 1] as number);
    expect(burst.at(-1)).toBe(newest);
    expect(await daemon.pipeline.applied(newest as number)).toMatchObject({ version: newest });
    expect(await ipvs()).toContain(`-a -t ${VIP}:80 -r 198.51.100.11:8080 -m -w 100`);
  });
});
