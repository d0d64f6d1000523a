/**
 * `ipvs.ownership` against the real kernel (the rig's UML kernel with IPVS): a service added
 * with the real `ipvsadm -A` beside the engine's, in each mode. `own` leaves it through an
 * apply that changes the engine's services, a drift repair and a deletion (and a restart
 * that finds a service the engine created on its record); `all` removes it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplianceConfigInput } from '../../src/model/schema.js';
import { bundleEngine } from './fixtures/bundle.js';
import { EngineHarness } from './fixtures/harness.js';

const WEB = {
  label: 'web',
  vip: '192.0.2.100',
  ports: [80],
  forwarding: 'nat' as const,
  scheduler: 'rr' as const,
  realServers: [
    { label: 'alpha', address: '192.0.2.11', port: 8080 },
    { label: 'bravo', address: '192.0.2.12', port: 8080 },
  ],
};
const MAIL = {
  label: 'mail',
  vip: '192.0.2.101',
  ports: [25],
  forwarding: 'nat' as const,
  realServers: [{ label: 'charlie', address: '192.0.2.13', port: 25 }],
};

function config(
  ownership: 'own' | 'all' | undefined,
  services: (typeof WEB | typeof MAIL)[],
  alphaWeight = 1,
): ApplianceConfigInput {
  const layer4 = services.map((s) =>
    s === WEB ? { ...WEB, realServers: [{ ...WEB.realServers[0], weight: alphaWeight }, WEB.realServers[1]] } : s,
  );
  return { ...(ownership ? { ipvs: { ownership } } : {}), layer4 } as ApplianceConfigInput;
}

/** What `ipvsadm -A`/`-a` made for the foreign service, as `ipvsadm -S -n` shows it. */
const FOREIGN = ['-A -t 192.0.2.99:22 -s rr', '-a -t 192.0.2.99:22 -r 192.0.2.50:22 -m -w 7'];

describe('ipvs.ownership in the kernel: a service added with ipvsadm', () => {
  let lab: Lab;
  let director: Host;
  let bundle: string;
  let dir: string;
  let engine: EngineHarness;

  const ipvsadm = async (...args: string[]) => (await director.exec('ipvsadm', args)).stdout;
  const saved = async () =>
    (await ipvsadm('-S', '-n'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const foreignLines = async () => (await saved()).filter((l) => l.includes('192.0.2.99:22'));
  const layer4 = (changes: string[]) => changes.filter((c) => c.startsWith('layer4'));
  const services = async () => (await saved()).filter((l) => l.startsWith('-A'));
  const addForeign = async () => {
    await ipvsadm('-A', '-t', '192.0.2.99:22', '-s', 'rr');
    await ipvsadm('-a', '-t', '192.0.2.99:22', '-r', '192.0.2.50:22', '-m', '-w', '7');
  };
  /**
   * An engine as the daemon runs it, with its owned-services record in `dir`; not started,
   * as start() would apply the harness's empty version (ownership all) and clear the table.
   */
  const startEngine = async () => {
    const harness = new EngineHarness(director.netns, bundle, {
      driftIntervalMs: 0,
      observeIntervalMs: 0,
      ipvsOwnedFile: join(dir, 'ipvs-owned.json'),
    });
    await harness.ready;
    return harness;
  };

  beforeAll(async () => {
    bundle = await bundleEngine();
    lab = await Lab.create();
    director = await lab.host('director');
    const lan = await lab.switch('lan');
    await lab.attach(director, lan, ['192.0.2.1/24']);
  });

  const onlyWebAndForeign = async () => {
    expect((await services()).sort()).toEqual(['-A -t 192.0.2.100:80 -s rr', '-A -t 192.0.2.99:22 -s rr']);
    expect(await foreignLines()).toEqual(FOREIGN);
  };

  /** Each test: an empty table with the foreign service, and an engine with an empty record. */
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-own-'));
    engine = await startEngine();
    await ipvsadm('-C');
    await addForeign();
    expect(await foreignLines()).toEqual(FOREIGN);
  });

  afterEach(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('own: an apply that changes its services, a drift repair and a deletion leave the foreign service', async () => {
    const first = await engine.apply(config('own', [WEB, MAIL]));
    expect(first.parts.find((p) => p.part === 'layer4')?.state).toBe('applied');
    expect(first.changes.join('\n')).not.toContain('192.0.2.99');
    expect(await services()).toEqual(
      expect.arrayContaining(['-A -t 192.0.2.100:80 -s rr', '-A -t 192.0.2.101:25 -s wlc']),
    );
    expect(await foreignLines()).toEqual(FOREIGN);
    // On record, beside the configuration store: its own two services, not the foreign one.
    expect(JSON.parse(readFileSync(join(dir, 'ipvs-owned.json'), 'utf8')).services).toEqual([
      'tcp 192.0.2.100:80',
      'tcp 192.0.2.101:25',
    ]);

    // An apply that changes its own services.
    const weighted = await engine.apply(config('own', [WEB, MAIL], 4));
    expect(layer4(weighted.changes)).toEqual(['layer4: ~ tcp 192.0.2.100:80 -> 192.0.2.11:8080 (weight 1 -> 4)']);
    expect(await foreignLines()).toEqual(FOREIGN);

    // Drift: the foreign service is not drift; a real server of its own deleted with ipvsadm is put back.
    expect(await engine.call<string[]>('drift')).toEqual([]);
    await ipvsadm('-d', '-t', '192.0.2.100:80', '-r', '192.0.2.12:8080');
    expect(await engine.call<string[]>('drift')).toEqual([
      'layer4: + tcp 192.0.2.100:80 -> 192.0.2.12:8080 nat weight 1',
    ]);
    expect(await saved()).toContain('-a -t 192.0.2.100:80 -r 192.0.2.12:8080 -m -w 1');
    expect(await engine.call<string[]>('drift')).toEqual([]);
    expect(await foreignLines()).toEqual(FOREIGN);

    // A deletion of one of its own services.
    const deleted = await engine.apply(config('own', [WEB], 4));
    expect(layer4(deleted.changes)).toEqual(['layer4: - tcp 192.0.2.101:25']);
    await onlyWebAndForeign();
  });

  it('own: after a restart, a service it created and no longer declares is deleted; the foreign one is not', async () => {
    await engine.apply(config('own', [WEB, MAIL]));
    // Stopped, and started again with a configuration without `mail`: the record says it was the engine's.
    await engine.close();
    engine = await startEngine();
    const restarted = await engine.apply(config('own', [WEB]));
    expect(layer4(restarted.changes)).toEqual(['layer4: - tcp 192.0.2.101:25']);
    await onlyWebAndForeign();
  });

  it('all (and no ipvs section, as stored before the setting): the foreign service is removed, at an apply and as drift', async () => {
    const applied = await engine.apply(config('all', [WEB]));
    expect(applied.changes).toContain('layer4: - tcp 192.0.2.99:22');
    expect(await foreignLines()).toEqual([]);
    await addForeign();
    expect(await engine.call<string[]>('drift')).toEqual(['layer4: - tcp 192.0.2.99:22']);
    expect(await foreignLines()).toEqual([]);
    // Switching own -> all: the next apply removes it.
    await engine.apply(config('own', [WEB]));
    await addForeign();
    expect(await engine.call<string[]>('drift')).toEqual([]);
    const switched = await engine.apply(config(undefined, [WEB]));
    expect(layer4(switched.changes)).toEqual(['layer4: - tcp 192.0.2.99:22']);
    expect(await services()).toEqual(['-A -t 192.0.2.100:80 -s rr']);
  });
});
