import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IpvsClient, IpvsError, serviceId } from '@sluice/ipvs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLayer4Driver } from '../../src/engine/index.js';
import {
  type OwnedRecord,
  Ownership,
  ownedRecordFile,
  ownedRecordInMemory,
} from '../../src/engine/layer4/ownership.js';
import { ApplianceError } from '../../src/errors.js';
import { type ApplianceConfigInput, defaultConfig, ipvsOwnership } from '../../src/model/schema.js';
import { FakeIpvs } from './fake-ipvs.js';
import { twoServices, version } from './fakes.js';

const WEB = 'tcp 192.0.2.10:80';
const DNS = 'udp 192.0.2.11:53';
const FOREIGN = 'tcp 192.0.2.99:22';

const online = () => ({ admin: 'online' as const, health: 'unchecked' as const });
const input = (n: number, ownership: 'own' | 'all' | undefined, config: ApplianceConfigInput = twoServices()) => ({
  version: n,
  config: version(n, { ...config, ...(ownership ? { ipvs: { ownership } } : {}) }).config,
  server: online,
});
/** Only the web service of twoServices(). */
const webOnly = (): ApplianceConfigInput => ({ ...twoServices(), layer4: [twoServices().layer4?.[0] as never] });

/** twoServices() and a service declared where the foreign one is (tcp 192.0.2.99:22). */
function withSsh(): ApplianceConfigInput {
  const config = twoServices();
  const ssh = {
    label: 'ssh',
    vip: '192.0.2.99',
    ports: [22],
    forwarding: 'nat' as const,
    realServers: [{ label: 'one', address: '198.51.100.21', port: 22 }],
  };
  return { ...config, layer4: [...(config.layer4 ?? []), ssh] };
}

/** A fake kernel with a service another tool added (`ipvsadm -A -t 192.0.2.99:22`, one real server). */
async function withForeign(): Promise<FakeIpvs> {
  const fake = new FakeIpvs();
  await fake.execute([
    { op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.99', port: 22 } },
    {
      op: 'add-destination',
      service: { protocol: 'tcp', address: '192.0.2.99', port: 22 },
      destination: { address: '198.51.100.99', port: 22, forwarding: 'nat' },
    },
  ]);
  fake.sent.length = 0;
  return fake;
}

function driverOn(fake: FakeIpvs, owned: OwnedRecord = ownedRecordInMemory()) {
  return createLayer4Driver({ owned, open: async () => fake as unknown as IpvsClient });
}

const touched = (fake: FakeIpvs) =>
  fake.sent.filter((op) => `tcp ${op.service.address}:${op.service.port}` === FOREIGN);

describe('ipvs.ownership in the configuration', () => {
  it('absent is all (stored versions keep their behaviour, and parse unchanged); new configurations say own', () => {
    const stored = version(1, twoServices()).config;
    expect(Object.hasOwn(stored, 'ipvs')).toBe(false);
    expect(ipvsOwnership(stored)).toBe('all');
    expect(ipvsOwnership(version(1, { ipvs: {} }).config)).toBe('all');
    expect(defaultConfig().ipvs).toEqual({ ownership: 'own' });
    expect(ipvsOwnership(defaultConfig())).toBe('own');
  });
});

describe('Ownership (the owned set, written through when it changes)', () => {
  it('claim adds and writes; an unchanged claim writes nothing; release and replace shrink it', async () => {
    const record = ownedRecordInMemory(['old']);
    const ownership = new Ownership(record);
    await ownership.claim([WEB, DNS]);
    expect(record.saved).toEqual([['old', DNS, WEB].sort()]);
    await ownership.claim([WEB]);
    expect(record.saved).toHaveLength(1);
    await ownership.release(['not-owned']);
    expect(record.saved).toHaveLength(1);
    await ownership.release([DNS]);
    expect(record.saved.at(-1)).toEqual(['old', WEB].sort());
    await ownership.replace(new Set([WEB]));
    expect(record.saved.at(-1)).toEqual([WEB]);
    await ownership.replace(new Set([WEB]));
    expect(record.saved).toHaveLength(3);
  });

  it('a claim that cannot be written rejects; a release that cannot is written with the next change', async () => {
    let failing = true;
    const saved: string[][] = [];
    const record: OwnedRecord = {
      load: async () => [],
      save: async (ids) => {
        if (failing) throw new ApplianceError('STORE_IO', 'disk full');
        saved.push([...ids]);
      },
    };
    const ownership = new Ownership(record);
    await expect(ownership.claim([WEB])).rejects.toMatchObject({ code: 'STORE_IO' });
    failing = false;
    await ownership.claim([WEB, DNS]);
    failing = true;
    await ownership.release([DNS]);
    failing = false;
    await ownership.claim([WEB]);
    expect(saved.at(-1)).toEqual([WEB]);
  });
});

describe('the owned-services file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-owned-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is empty before the first write, and holds what was saved, sorted', async () => {
    const file = join(dir, 'ipvs-owned.json');
    const record = ownedRecordFile(file);
    expect(await record.load()).toEqual([]);
    await record.save([WEB, DNS]);
    expect(await record.load()).toEqual([WEB, DNS].sort());
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ format: 1, services: [WEB, DNS].sort() });
  });

  it('refuses a file that is not a list of services, naming the file', async () => {
    const file = join(dir, 'ipvs-owned.json');
    for (const text of ['{', '{"format":1,"services":[1]}', '{"services":[]}', 'null']) {
      await writeFile(file, text);
      await expect(ownedRecordFile(file).load()).rejects.toMatchObject({ code: 'STORE_CORRUPT', field: file });
    }
  });
});

describe('layer4 driver with ipvs.ownership: own (fake IPVS table)', () => {
  it('records write-ahead: the declared services are on record before the first IPVS write', async () => {
    const fake = await withForeign();
    const writesWhenSaved: number[] = [];
    const inner = ownedRecordInMemory();
    const record: OwnedRecord = {
      load: () => inner.load(),
      save: async (ids) => {
        writesWhenSaved.push(fake.sent.length);
        await inner.save(ids);
      },
    };
    const driver = driverOn(fake, record);
    await driver.apply(input(1, 'own'));
    expect(writesWhenSaved[0]).toBe(0);
    expect(inner.saved[0]).toEqual([DNS, WEB].sort());
    expect(fake.sent.length).toBeGreaterThan(0);
    // Deleting a service: still on record while it is deleted, off it once the apply succeeded.
    await driver.apply(input(2, 'own', webOnly()));
    expect(inner.saved.at(-1)).toEqual([WEB]);
    expect(writesWhenSaved.at(-1)).toBe(fake.sent.length);
  });

  it('a claim that cannot be written fails the apply before any IPVS write', async () => {
    const fake = await withForeign();
    const record: OwnedRecord = {
      load: async () => [],
      save: async () => {
        throw new ApplianceError('STORE_IO', 'disk full');
      },
    };
    const driver = driverOn(fake, record);
    await expect(driver.apply(input(1, 'own'))).rejects.toMatchObject({ code: 'STORE_IO' });
    expect(fake.sent).toEqual([]);
  });

  it('leaves a foreign service through a first apply, a change, a drift repair and a deletion', async () => {
    const fake = await withForeign();
    const foreign = structuredClone(fake.table.get(FOREIGN));
    const driver = driverOn(fake);
    const first = await driver.apply(input(1, 'own'));
    expect(first.changes.join('\n')).not.toContain('192.0.2.99');
    // A change of its own services (a real server's weight) touches only them.
    const changed = twoServices();
    (changed.layer4?.[0]?.realServers?.[0] as { weight: number }).weight = 5;
    await driver.apply(input(2, 'own', changed));
    // Drift: the foreign service is not counted; one of ours put back.
    expect(await driver.drift()).toEqual([]);
    await fake.execute([
      {
        op: 'delete-destination',
        service: { protocol: 'tcp', address: '192.0.2.10', port: 80 },
        destination: { address: '198.51.100.12', port: 8080 },
      },
    ]);
    expect(await driver.drift()).toEqual(['layer4: + tcp 192.0.2.10:80 -> 198.51.100.12:8080 nat weight 1']);
    // A foreign service added after the first apply is not drift either.
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.98', port: 22 } }]);
    expect(await driver.drift()).toEqual([]);
    // Deleting one of ours.
    const deleted = await driver.apply(input(3, 'own', { ...changed, layer4: changed.layer4?.slice(0, 1) ?? [] }));
    expect(deleted.changes).toEqual(['layer4: - udp 192.0.2.11:53']);
    expect(touched(fake)).toEqual([]);
    expect(fake.table.get(FOREIGN)).toEqual(foreign);
    expect([...fake.table.keys()].sort()).toEqual(['tcp 192.0.2.98:22', FOREIGN, WEB].sort());
  });

  it('adopts a foreign service with a declared key: the declared one wins and is owned from then on', async () => {
    const fake = await withForeign();
    const record = ownedRecordInMemory();
    const driver = driverOn(fake, record);
    const result = await driver.apply(input(1, 'own', withSsh()));
    expect(result.changes).toContain('layer4: - tcp 192.0.2.99:22 -> 198.51.100.99:22');
    expect(fake.table.get(FOREIGN)?.destinations.map((d) => d.address)).toEqual(['198.51.100.21']);
    expect(record.saved.at(-1)).toContain(FOREIGN);
    // Taken out of the configuration again, it is the appliance's to delete.
    await driver.apply(input(2, 'own'));
    expect(fake.table.has(FOREIGN)).toBe(false);
  });

  it('adopts a foreign service added after its last reading: the refused add makes it read the table again', async () => {
    const fake = new FakeIpvs();
    const execute = fake.execute.bind(fake);
    // As the kernel: adding a service that exists is refused (EEXIST), the rest of the batch applied.
    fake.execute = async (ops) =>
      (
        await Promise.all(
          ops.map(async (operation) =>
            operation.op === 'add-service' && fake.table.has(serviceId(operation.service))
              ? [{ operation, error: new IpvsError('IPVS_EXISTS', 'File exists') }]
              : execute([operation]),
          ),
        )
      ).flat();
    const driver = driverOn(fake);
    await driver.apply(input(1, 'own'));
    expect(fake.lists).toBe(1);
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.99', port: 22 } }]);
    await driver.apply(input(2, 'own', withSsh()));
    expect(fake.lists).toBe(2);
    expect(fake.table.get(FOREIGN)?.destinations.map((d) => d.address)).toEqual(['198.51.100.21']);
  });

  it('a service it created before a restart and no longer declares is deleted; others are not', async () => {
    const fake = await withForeign();
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.50', port: 443 } }]);
    // The record of the process before: it created tcp 192.0.2.50:443, then crashed mid-apply.
    const driver = driverOn(fake, ownedRecordInMemory(['tcp 192.0.2.50:443', WEB]));
    const result = await driver.apply(input(1, 'own'));
    expect(result.changes).toContain('layer4: - tcp 192.0.2.50:443');
    expect(fake.table.has('tcp 192.0.2.50:443')).toBe(false);
    expect(fake.table.has(FOREIGN)).toBe(true);
  });

  it('switching own -> all removes the foreign service at that apply; all -> own leaves one added later', async () => {
    const fake = await withForeign();
    const driver = driverOn(fake);
    await driver.apply(input(1, 'own'));
    expect(fake.table.has(FOREIGN)).toBe(true);
    const all = await driver.apply(input(2, 'all'));
    expect(all.changes).toContain('layer4: - tcp 192.0.2.99:22');
    expect(fake.table.has(FOREIGN)).toBe(false);
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.99', port: 22 } }]);
    await driver.apply(input(3, 'own'));
    expect(await driver.drift()).toEqual([]);
    expect(fake.table.has(FOREIGN)).toBe(true);
  });

  it('the connection report leaves out connections to foreign services (with all, it keeps them)', async () => {
    const fake = await withForeign();
    const row = (protocol: string, address: string, port: number) => ({
      protocol,
      client: { address: '203.0.113.5', port: 40000 },
      virtual: { address, port },
      destination: { address: '198.51.100.11', port },
      state: 'ESTABLISHED',
      expires: 50,
    });
    fake.connections = async () => [
      row('tcp', '192.0.2.10', 80),
      // The persistence template of a connection to our web service.
      row('ip', '192.0.2.10', 80),
      row('tcp', '192.0.2.99', 22),
    ];
    const driver = driverOn(fake);
    await driver.apply(input(1, 'own'));
    expect((await driver.connections()).map((c) => `${c.protocol} ${c.virtual}`)).toEqual([
      'tcp 192.0.2.10:80',
      'ip 192.0.2.10:80',
    ]);
    await driver.apply(input(2, 'all'));
    expect(await driver.connections()).toHaveLength(3);
  });

  it('with no ownership set (a configuration stored before the setting), owns the whole table as before', async () => {
    const fake = await withForeign();
    const driver = driverOn(fake);
    const first = await driver.apply(input(1, undefined));
    expect(first.changes).toContain('layer4: - tcp 192.0.2.99:22');
    await fake.execute([{ op: 'add-service', service: { protocol: 'tcp', address: '192.0.2.98', port: 22 } }]);
    expect(await driver.drift()).toEqual(['layer4: - tcp 192.0.2.98:22']);
  });
});
