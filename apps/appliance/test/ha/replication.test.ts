import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusOf } from '../../src/api/errors.js';
import { ApplianceError } from '../../src/errors.js';
import { createReplicaEndpoint, type ReplicaEndpoint } from '../../src/ha/replica-endpoint.js';
import { replicaKey } from '../../src/ha/replica-protocol.js';
import { replicaReceiver } from '../../src/ha/replica-receiver.js';
import { Replicator } from '../../src/ha/replicator.js';
import { type CommitPipeline, createCommitPipeline } from '../../src/pipeline/index.js';
import { ConfigStore } from '../../src/store/config-store.js';
import { makeTerminationCertificate } from '../../src/web/termination-certificates.js';
import { sampleConfig } from '../fixtures/sample-config.js';
import { drained, FakeAdminStates } from './fakes.js';

/**
 * Two nodes on 127.0.0.1, each with a real ConfigStore in its own data directory, the
 * commit pipeline in front of a recording engine, and a real HTTP server answering the
 * replica endpoint as the API router does (replicaReceiver, errors by statusOf); the
 * sender is the real Replicator.
 */
interface Node {
  name: string;
  dir: string;
  store: ConfigStore;
  adminStates: FakeAdminStates;
  /** The versions the pipeline handed to the engine (the real engine applies a burst once). */
  applied: number[];
  pipeline: CommitPipeline;
  endpoint: ReplicaEndpoint;
  server: Server;
  url: string;
  replicator?: Replicator;
  active: boolean;
}

const key = replicaKey('integration test pair key');
const nodes: Node[] = [];

async function node(name: string, peer: string, keyFromConfig = false): Promise<Node> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-ha-${name}-`));
  const store = await ConfigStore.open(dir);
  const adminStates = new FakeAdminStates();
  const applied: number[] = [];
  const pipeline = createCommitPipeline({
    store,
    engine: {
      apply: async (v) => {
        applied.push(v.version);
        return { version: v.version, parts: [], changes: [], changeCount: 0 };
      },
    },
    ha: { committed: async () => undefined, adminStatesChanged: async () => undefined },
    adminStates: { onChange: () => () => undefined },
    logs: { write: () => ({ seq: 0, time: '', channel: 'system', level: 'info', message: '' }) },
  });
  const self: Partial<Node> = { name, dir, store, adminStates, applied, pipeline, active: false };
  const endpoint = createReplicaEndpoint({
    store,
    adminStates,
    // keyFromConfig: the key of the node's current configuration, as HaControl gives it.
    key: () => {
      const section = store.current().config.heartbeat;
      return keyFromConfig && section ? replicaKey(section.key) : key;
    },
    nodeName: () => name,
    peerName: () => peer,
    isActive: () => self.active ?? false,
    certificateDir: join(dir, 'certificates'),
  });
  Object.assign(self, { endpoint });
  const server = await listen(self as Node, 0);
  Object.assign(self, { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  nodes.push(self as Node);
  return self as Node;
}

/**
 * The node's replica endpoint behind HTTP as the API router serves it: the request handed
 * over unread to replicaReceiver, a thrown ApplianceError answered with its statusOf and
 * `{ error }` envelope.
 */
async function listen(n: Node, port: number): Promise<Server> {
  const receive = replicaReceiver((req) => n.endpoint.handleRequest(req));
  const server = createServer((req, res) => {
    receive(req).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: ApplianceError) =>
        res
          .writeHead(statusOf(error.code), { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: error.toJSON() })),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

function replicatorOptions(from: Node, to: Node) {
  return {
    store: from.store,
    adminStates: from.adminStates,
    key,
    node: from.name,
    peerUrl: to.url,
    isActive: () => from.active,
    timeoutMs: 5000,
    certificateDir: join(from.dir, 'certificates'),
  };
}

function connect(from: Node, to: Node): Replicator {
  from.replicator = new Replicator(replicatorOptions(from, to));
  return from.replicator;
}

async function commit(n: Node, comment: string) {
  const base = n.store.current().version;
  return (await n.store.commit({ config: sampleConfig(), baseVersion: base, author: 'alice', comment, record: true }))
    .version;
}

let a: Node;
let b: Node;
beforeEach(async () => {
  a = await node('lb1', 'lb2');
  b = await node('lb2', 'lb1');
  a.active = true;
  connect(a, b);
  connect(b, a);
});
afterEach(async () => {
  for (const n of nodes.splice(0)) {
    n.pipeline.close();
    await new Promise((resolve) => n.server.close(resolve));
    await rm(n.dir, { recursive: true, force: true });
  }
});

describe('replication between two stores over HTTP', () => {
  it('every committed version reaches the peer under the same number, with the admin states', async () => {
    await commit(a, 'first farm');
    const three = await commit(a, 'second change');
    a.adminStates.entries = [drained];
    const outcome = await a.replicator?.sync();
    expect(outcome?.sent).toEqual([2, 3]);
    expect(b.store.current()).toEqual(three);
    expect((await b.store.get(2)).comment).toBe('first farm');
    expect(b.adminStates.entries).toEqual([drained]);
    await b.pipeline.idle();
    expect(b.applied).toEqual([2, 3]);
    const audit = await b.store.auditLog();
    expect(audit.filter((e) => e.action === 'replicate').map((e) => [e.version, e.comment])).toEqual([
      [2, 'replicated from lb1'],
      [3, 'replicated from lb1'],
    ]);
    // A second sync has nothing to send.
    expect((await a.replicator?.sync())?.sent).toEqual([]);
  });

  it('an older node never overwrites a newer one; the newer one catches the older up', async () => {
    for (let i = 0; i < 4; i++) await commit(b, `b${i}`);
    await commit(a, 'a0');
    const before = b.store.current();
    // A (version 2) learns that B (version 5) is ahead and sends nothing.
    expect(await a.replicator?.sync()).toEqual({ peerHead: { version: 5, time: before.time }, sent: [] });
    expect(b.store.current()).toEqual(before);
    // Even sent on purpose, the older version is refused.
    const forced = new Replicator({
      store: { current: () => a.store.current(), get: (n) => a.store.get(n) },
      adminStates: a.adminStates,
      key,
      node: 'lb1',
      peerUrl: b.url,
      isActive: () => true,
    });
    forced.peerHead = { version: 1, time: '' };
    expect((await forced.sync()).sent).toEqual([]);
    expect(b.store.current()).toEqual(before);
    // B's own sync sends versions 3..5; A's version 2 stays in its history, 5 is current.
    expect((await b.replicator?.sync())?.sent).toEqual([3, 4, 5]);
    expect(a.store.current()).toEqual(before);
  });

  it('catches up after a gap while the peer was unreachable', async () => {
    await commit(a, 'before the gap');
    await a.replicator?.sync();
    const port = (b.server.address() as AddressInfo).port;
    await new Promise((resolve) => b.server.close(resolve));
    await commit(a, 'gap 1');
    await commit(a, 'gap 2');
    const failure = await a.replicator?.sync().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplianceError);
    expect((failure as ApplianceError).code).toBe('HA_PEER');
    expect(a.replicator?.lastError).toMatch(/unreachable/);
    expect(b.store.current().version).toBe(2);
    // The peer returns on the same port (its data directory kept).
    b.server = await listen(b, port);
    expect((await a.replicator?.sync())?.sent).toEqual([3, 4]);
    expect(a.replicator?.lastError).toBeUndefined();
    expect(b.store.current()).toEqual(a.store.current());
    const reopened = await ConfigStore.open(b.dir);
    expect(reopened.current()).toEqual(a.store.current());
  });

  it('a fresh sync asks the peer again: a peer that lost its data is sent everything', async () => {
    await commit(a, 'one');
    await commit(a, 'two');
    expect((await a.replicator?.sync())?.sent).toEqual([2, 3]);
    // B comes back with an empty data directory; A still believes B holds version 3.
    await rm(b.dir, { recursive: true, force: true });
    b.store = await ConfigStore.open(b.dir);
    const port = (b.server.address() as AddressInfo).port;
    await new Promise((resolve) => b.server.close(resolve));
    b.endpoint = createReplicaEndpoint({
      store: b.store,
      adminStates: b.adminStates,
      key: () => key,
      nodeName: () => 'lb2',
      peerName: () => 'lb1',
      isActive: () => false,
    });
    b.server = await listen(b, port);
    expect((await a.replicator?.sync())?.sent).toEqual([]);
    expect((await a.replicator?.sync(undefined, true))?.sent).toEqual([2, 3]);
    expect(b.store.current()).toEqual(a.store.current());
  });

  it("learns the head of a peer that is ahead although the API's error envelope carries none", async () => {
    await commit(a, 'through the API');
    expect((await a.replicator?.sync())?.sent).toEqual([2]);
    // B ahead: A's stale push is refused without a head in the answer; A asks again and learns it.
    for (let i = 0; i < 2; i++) await commit(b, `b${i}`);
    (a.replicator as Replicator).peerHead = { version: 1, time: '' };
    expect(await a.replicator?.sync()).toEqual({ peerHead: { version: 4, time: b.store.current().time }, sent: [] });
    expect(a.replicator?.lastError).toBeUndefined();
  });

  it('a change of the heartbeat key reaches the peer signed with the key it still holds', async () => {
    const c = await node('lb3', 'lb4', true);
    const d = await node('lb4', 'lb3', true);
    const withKey = (k: string) => ({ ...sampleConfig(), heartbeat: { ...sampleConfig().heartbeat, key: k } });
    const commitKey = async (k: string) =>
      (
        await c.store.commit({
          config: withKey(k),
          baseVersion: c.store.current().version,
          author: 'alice',
          record: true,
        })
      ).version;
    const replicator = (current: string, previous: string[]) =>
      new Replicator({
        store: c.store,
        adminStates: c.adminStates,
        key: replicaKey(current),
        previousKeys: async () => previous.map((p) => replicaKey(p)),
        node: 'lb3',
        peerUrl: d.url,
        isActive: () => true,
      });
    await commitKey('the first pair key, K1');
    // D starts with no heartbeat section: it takes the fixed test key; bring it to K1 first.
    await new Replicator({ ...replicatorOptions(c, d), key }).sync();
    expect(d.store.current().config.heartbeat?.key).toBe('the first pair key, K1');
    await commitKey('the second pair key, K2');
    const rotated = replicator('the second pair key, K2', ['the first pair key, K1']);
    expect((await rotated.sync())?.sent).toEqual([3]);
    expect(d.store.current().config.heartbeat?.key).toBe('the second pair key, K2');
    // From now on only K2 works; the replicator moves to it after one refusal.
    await commitKey('the second pair key, K2');
    expect((await rotated.sync())?.sent).toEqual([4]);
    const withoutHistory = replicator('the second pair key, K2', []);
    expect((await withoutHistory.sync(undefined, true)).peerHead.version).toBe(4);
    const stale = replicator('the first pair key, K1', []);
    await expect(stale.sync(undefined, true)).rejects.toMatchObject({ code: 'HA_PEER' });
  });

  it("an SSL termination certificate uploaded on one node reaches the peer's own certificate directory", async () => {
    // Made as the API's upload makes it: <dataDir>/certificates/<label>.pem on node a.
    const made = await makeTerminationCertificate(join(a.dir, 'certificates'), 'shop', ['198.51.100.10']);
    const sample = sampleConfig();
    const config = { ...sample, certificates: [...(sample.certificates ?? []), { label: 'shop', file: made.file }] };
    await a.store.commit({ config, baseVersion: a.store.current().version, author: 'alice', comment: 'shop cert' });
    const outcome = await a.replicator?.sync();
    expect(outcome?.sent).toEqual([a.store.current().version]);
    // b keeps its data elsewhere: the file is in b's directory, root's alone, and b's copy of
    // the version names it there; the rest of the configuration is a's.
    const copy = join(b.dir, 'certificates', 'shop.pem');
    expect(await readFile(copy, 'utf8')).toBe(await readFile(made.file, 'utf8'));
    expect((await stat(copy)).mode & 0o777).toBe(0o600);
    // A file outside the certificate directory (site-cert's) is the admin's to copy: named as it was.
    expect(b.store.current().config.certificates).toEqual([
      ...(sample.certificates ?? []),
      { label: 'shop', file: copy },
    ]);
    expect({ ...b.store.current().config, certificates: [] }).toEqual({
      ...a.store.current().config,
      certificates: [],
    });
  });
});
