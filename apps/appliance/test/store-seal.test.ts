import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplianceError, ConfigStore } from '../src/index.js';
import { chainDigest, SEAL_FILE, type Seal, schemaFingerprint } from '../src/store/seal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-seal-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const readSealFile = async (): Promise<Seal> => JSON.parse(await readFile(join(dir, SEAL_FILE), 'utf8'));
const versionFile = (n: number) => join(dir, 'versions', `${String(n).padStart(12, '0')}.json`);
const service = (label: string, weight: number) => ({
  label,
  vip: '192.0.2.10',
  ports: [label === 'a' ? 80 : 81],
  forwarding: 'nat',
  realServers: [{ label: 'r1', address: '198.51.100.1', weight }],
});

async function commitTwo(store: ConfigStore): Promise<void> {
  const config = { ...store.current().config, layer4: [service('a', 1)] };
  await store.commit({ config, baseVersion: store.current().version, author: 'alice' });
  const next = { ...store.current().config, layer4: [...store.current().config.layer4, service('b', 2)] };
  await store.commit({ config: next, baseVersion: store.current().version, author: 'alice' });
}

/** A configuration the schema refuses, stored as version `n` with a seal that vouches for it. */
async function forgeSealedInvalid(n: number, seal: Partial<Seal> = {}): Promise<void> {
  const text = `${JSON.stringify({ format: 1, version: n, author: 'vi', time: '2026-01-01T00:00:00.000Z', comment: '', config: { layer4: 'x' } })}\n`;
  await writeFile(versionFile(n), text);
  const digest = chainDigest(undefined, `${String(n).padStart(12, '0')}.json`, text);
  await writeFile(
    join(dir, SEAL_FILE),
    JSON.stringify({ schema: schemaFingerprint(), version: n, digest, ...seal } satisfies Seal),
  );
}

describe('ConfigStore seal (open skips the schema check of what this code validated)', () => {
  it('names the head and the digest of its chain of files after the commits', async () => {
    const store = await ConfigStore.open(dir);
    expect((await readSealFile()).version).toBe(1);
    await commitTwo(store);
    // Written after the commit, not as part of it: close() waits for it.
    await store.close();
    const seal = await readSealFile();
    expect(seal.version).toBe(3);
    expect(seal.schema).toBe(schemaFingerprint());
    // Version 1 is whole; 2 and 3 are deltas on it: the digest covers all three files, in order.
    let digest: string | undefined;
    for (const n of [1, 2, 3]) {
      digest = chainDigest(digest, `${String(n).padStart(12, '0')}.json`, await readFile(versionFile(n)));
    }
    expect(seal.digest).toBe(digest);
    const reopened = await ConfigStore.open(dir);
    expect(reopened.current().config.layer4.map((s) => s.label)).toEqual(['a', 'b']);
  });

  it('trusts a seal whose digest and schema match (what this code wrote and checked)', async () => {
    await ConfigStore.open(dir);
    await forgeSealedInvalid(2);
    // Proof that the check was skipped: only a seal can let this configuration through.
    const store = await ConfigStore.open(dir);
    expect(store.current().version).toBe(2);
  });

  it('checks in full when a file no longer matches the seal (edited by hand)', async () => {
    const store = await ConfigStore.open(dir);
    await commitTwo(store);
    const file = versionFile(3);
    const edited = (await readFile(file, 'utf8')).replace('"weight":2', '"weight":"heavy"');
    expect(edited).toContain('heavy');
    await writeFile(file, edited);
    const error = await ConfigStore.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplianceError);
    expect([(error as ApplianceError).code, (error as ApplianceError).field]).toEqual(['STORE_CORRUPT', file]);
  });

  it('checks in full under another schema, and for a seal of another version', async () => {
    await ConfigStore.open(dir);
    await forgeSealedInvalid(2, { schema: 'another' });
    expect((await ConfigStore.open(dir).catch((e: unknown) => e)) as ApplianceError).toMatchObject({
      code: 'STORE_CORRUPT',
    });
    await forgeSealedInvalid(2, { version: 1 });
    expect((await ConfigStore.open(dir).catch((e: unknown) => e)) as ApplianceError).toMatchObject({
      code: 'STORE_CORRUPT',
    });
    await writeFile(join(dir, SEAL_FILE), 'not json');
    expect((await ConfigStore.open(dir).catch((e: unknown) => e)) as ApplianceError).toMatchObject({
      code: 'STORE_CORRUPT',
    });
  });

  it('seals after a full check, so that the next open skips it', async () => {
    const store = await ConfigStore.open(dir);
    await commitTwo(store);
    await rm(join(dir, SEAL_FILE));
    await ConfigStore.open(dir);
    const seal = await readSealFile();
    expect(seal.version).toBe(3);
  });
});
