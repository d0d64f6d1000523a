import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplianceConfig, ConfigStore, parseConfig, validateConfig } from '../src/index.js';
import { validateAgainst } from '../src/store/incremental.js';
import { deltaBase, deltaChange } from './fixtures/delta-config.mjs';

const name = (v: number) => `${String(v).padStart(12, '0')}.json`;

describe('versions stored as deltas', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-delta-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores small changes as deltas, every version reads back whole, also after reopening', async () => {
    const store = await ConfigStore.open(dir);
    await store.commit({ config: deltaBase(), baseVersion: 1, author: 'a' });
    const expected = new Map<number, ApplianceConfig>([[2, store.current().config]]);
    for (let v = 3; v <= 230; v++) {
      await store.commit({
        config: deltaChange(store.current().config, v),
        baseVersion: v - 1,
        author: 'a',
        comment: `w${v}`,
      });
      expected.set(v, parseConfig(deltaChange(expected.get(v - 1) as ApplianceConfig, v)).config);
    }
    const files = await Promise.all(
      [2, 3, 200, 201, 230].map(async (v) => JSON.parse(await readFile(join(dir, 'versions', name(v)), 'utf8'))),
    );
    // Version 1 (factory defaults) is whole; then only deltas: the commit never writes the
    // whole configuration when a delta will do. A snapshot, written in the background 200
    // versions after the last whole one, keeps readers from replaying them all.
    expect(files.map((f) => ('config' in f ? 'whole' : 'delta'))).toEqual([
      'delta',
      'delta',
      'delta',
      'delta',
      'delta',
    ]);
    await store.close();
    const snapshots = await readdir(join(dir, 'snapshots'));
    expect(snapshots).toHaveLength(1);
    const snapshotted = Number((snapshots[0] as string).slice(0, 12));
    expect(snapshotted).toBeGreaterThanOrEqual(201);
    const snapshot = JSON.parse(await readFile(join(dir, 'snapshots', snapshots[0] as string), 'utf8'));
    expect(snapshot.config).toEqual(expected.get(snapshotted));
    expect(files[1]).toMatchObject({ format: 1, version: 3, author: 'a', comment: 'w3', base: 2 });
    expect(files[1].patch).toEqual([
      { key: 'layer4', at: 21, remove: 1, insert: [expect.objectContaining({ label: 'svc-21' })] },
    ]);
    const size = (await readFile(join(dir, 'versions', name(3)))).length;
    expect(size).toBeLessThan(5000);

    const reopened = await ConfigStore.open(dir);
    for (const store_ of [store, reopened]) {
      for (const v of [2, 3, 57, 199, 200, 201, 202, 229, 230]) {
        expect((await store_.get(v)).config, `version ${v}`).toEqual(expected.get(v));
      }
    }
    expect(reopened.current().version).toBe(230);
    expect((await reopened.history({ limit: 3 })).map((h) => h.comment)).toEqual(['w230', 'w229', 'w228']);
    // Version 230 changes svc-(230*7 % 40) = svc-10, rs-(230 % 20) = rs-10, to weight 230 % 100 + 1; 190 did last.
    expect(await reopened.diff(229, 230)).toEqual([
      { path: 'layer4["svc-10"].realServers["rs-10"].weight', op: 'changed', before: 91, after: 31 },
    ]);
    const rolled = await reopened.rollback({ to: 3, baseVersion: 230, author: 'a' });
    expect(rolled.version.config).toEqual(expected.get(3));
  });

  it('a delta that does not apply, or names the wrong base, is STORE_CORRUPT with the file', async () => {
    const store = await ConfigStore.open(dir);
    await store.commit({ config: deltaBase(), baseVersion: 1, author: 'a' });
    await store.commit({ config: deltaChange(store.current().config, 3), baseVersion: 2, author: 'a' });
    const file = join(dir, 'versions', name(3));
    const record = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...record, patch: [{ key: 'layer4', at: 500, remove: 1, insert: [] }] }));
    await expect(ConfigStore.open(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT', field: file });
    await writeFile(file, JSON.stringify({ ...record, base: 1 }));
    await expect(ConfigStore.open(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT', field: file });
  });

  it('holds every acknowledged delta version after SIGKILLs mid-write', async () => {
    const writer = fileURLToPath(new URL('./fixtures/delta-writer.mjs', import.meta.url));
    let acknowledged = 0;
    for (let kill = 0; kill < 12; kill++) {
      const last = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let seen = 0;
        let err = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => {
          err += c;
        });
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const lines = out.split('\n');
          out = lines.pop() ?? '';
          for (const line of lines) {
            const match = /^ACK (\d+)$/.exec(line);
            if (!match) continue;
            seen = Number(match[1]);
            // Kill somewhere in the following writes.
            if (seen === acknowledged + 5) setTimeout(() => child.kill('SIGKILL'), Math.random() * 8);
          }
        });
        child.once('error', reject);
        child.once('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve(seen) : reject(new Error(`exit ${code}: ${err}`)),
        );
      });
      expect(last).toBeGreaterThan(acknowledged);
      const store = await ConfigStore.open(dir);
      const head = store.current().version;
      expect(head).toBeGreaterThanOrEqual(last);
      expect(head).toBeLessThanOrEqual(last + 1);
      expect((await readdir(join(dir, 'versions'))).filter((n) => !n.endsWith('.tmp'))).toHaveLength(head);
      acknowledged = head;
    }
    const store = await ConfigStore.open(dir);
    let expected = parseConfig(deltaBase()).config;
    expect((await store.get(2)).config).toEqual(expected);
    for (let v = 3; v <= store.current().version; v++) {
      expected = parseConfig(deltaChange(expected, v)).config;
      expect((await store.get(v)).config, `version ${v}`).toEqual(expected);
    }
  }, 120_000);
});

describe('incremental validation', () => {
  const base = parseConfig(deltaBase()).config;
  const same = (input: unknown) => {
    const fast = validateAgainst(input, base);
    const full = validateConfig(input);
    expect(fast.ok).toBe(full.ok);
    expect(fast.config).toEqual(full.config);
    expect(fast.errors.map((e) => e.toJSON())).toEqual(full.errors.map((e) => e.toJSON()));
    expect(fast.warnings).toEqual(full.warnings);
    return fast;
  };

  it('gives what validateConfig gives, and shares the unchanged objects', () => {
    const changed = same(deltaChange(base, 5));
    expect(changed.config?.layer4[1]).toBe(base.layer4[1]);
    expect(changed.config?.layer4[35]?.realServers[0]).toBe(base.layer4[35]?.realServers[0]);
    expect(changed.config?.layer4[35]).not.toBe(base.layer4[35]);
    // A fresh copy equal to the base is recognised as unchanged, object by object.
    const copy = same(structuredClone(base));
    expect(copy.config?.layer4).toBe(base.layer4);
    expect(copy.config?.network).toBe(base.network);
  });

  it('agrees with validateConfig over a random walk of edits (services added, removed, changed; DR, NAT, fallbacks)', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let current: ApplianceConfig = base;
    let accepted = 0;
    for (let step = 0; step < 300; step++) {
      const layer4 = [...current.layer4];
      const i = Math.floor(random() * layer4.length);
      const service = layer4[i] as (typeof layer4)[number];
      const roll = random();
      if (roll < 0.3) {
        const j = Math.floor(random() * service.realServers.length);
        layer4[i] = {
          ...service,
          realServers: service.realServers.map((r, k) => (k === j ? { ...r, weight: Math.floor(random() * 10) } : r)),
        };
      } else if (roll < 0.45) {
        layer4[i] = { ...service, forwarding: random() < 0.5 ? 'dr' : 'nat' };
      } else if (roll < 0.55) {
        layer4.splice(i, 1);
      } else if (roll < 0.65) {
        layer4.splice(i, 0, {
          ...service,
          label: `new-${step}`,
          vip: `203.0.113.${step % 250}`,
          realServers: random() < 0.5 ? [] : service.realServers,
        });
      } else if (roll < 0.75) {
        layer4[i] = { ...service, realServers: [] };
      } else if (roll < 0.85) {
        layer4[i] = { ...service, fallback: { address: '198.51.100.200' } };
      } else if (roll < 0.93) {
        // Invalid: a port the real server cannot have, or a duplicate label.
        layer4[i] =
          random() < 0.5
            ? { ...service, label: (layer4[0] as { label: string }).label }
            : {
                ...service,
                ports: [80, 81],
                realServers: [{ label: 'x', address: '2001:db8::1', weight: 1, minConnections: 0, maxConnections: 0 }],
              };
      } else {
        layer4[i] = {
          ...service,
          realServers: [
            ...service.realServers,
            { label: 'rs-0', address: '198.51.100.50', weight: 1, minConnections: 0, maxConnections: 0 },
          ],
        };
      }
      const input = { ...current, layer4 };
      const fast = validateAgainst(input, current);
      const full = validateConfig(input);
      expect(fast.ok, `step ${step}`).toBe(full.ok);
      expect(fast.errors.map((e) => e.toJSON())).toEqual(full.errors.map((e) => e.toJSON()));
      expect(fast.warnings, `step ${step}`).toEqual(full.warnings);
      expect(fast.config).toEqual(full.config);
      if (fast.ok) {
        current = fast.config;
        accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('rejects exactly what validateConfig rejects', () => {
    const bad = (mutate: (c: Record<string, unknown>) => void) => {
      const input = { ...base, layer4: base.layer4.map((s) => ({ ...s })) } as Record<string, unknown>;
      mutate(input);
      expect(same(input).ok).toBe(false);
    };
    bad((c) => {
      (c.layer4 as Record<string, unknown>[])[3] = { ...(c.layer4 as object[])[3], extra: 1 };
    });
    bad((c) => {
      (c.layer4 as Record<string, unknown>[])[3] = { ...(c.layer4 as Record<string, unknown>[])[3], label: 'svc-4' };
    });
    bad((c) => {
      const s = (c.layer4 as Record<string, unknown>[])[0] as Record<string, unknown>;
      s.realServers = [...(s.realServers as object[]), { label: 'rs-0', address: '198.51.100.99' }];
    });
    bad((c) => {
      c.unknown = true;
    });
    bad((c) => {
      c.layer4 = 'x';
    });
    bad((c) => {
      c.network = {
        interfaces: [
          { name: 'eth0', addresses: [] },
          { name: 'eth0', addresses: [] },
        ],
      };
    });
    expect(same([]).ok).toBe(false);
    expect(same({ layer4: [{ label: 'x', vip: '192.0.2.1', ports: [80], realServers: 'no' }] }).ok).toBe(false);
    expect(same({}).ok).toBe(true);
  });
});
