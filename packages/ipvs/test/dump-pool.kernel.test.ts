import { fileURLToPath } from 'node:url';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The dump socket pool against the real kernel: a client inside the namespace (the local
// transport, which can open sibling sockets) lists a table of many services on several
// sockets, with concurrent calls, and must agree with ipvsadm. A second dump on a busy
// socket would fail with EBUSY here.
const SERVICES = 60;
let lab: Lab;
let director: Host;

beforeAll(async () => {
  lab = await Lab.create();
  director = await lab.host('director');
  const rules: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const vip = `192.0.2.${(i % 25) + 1}:${1000 + Math.floor(i / 25)}`;
    rules.push(`-A -t ${vip} -s wlc`);
    for (let j = 1; j <= (i % 4) + 1; j++)
      rules.push(`-a -t ${vip} -r 198.51.100.${j}:${1000 + Math.floor(i / 25)} -g -w ${j}`);
  }
  await director.exec('sh', ['-c', `printf '%s\\n' "$@" | ipvsadm -R`, 'rules', ...rules]);
});

afterAll(async () => {
  await lab?.destroy();
});

interface Listed {
  path: string;
  a: string[];
  b: string[];
  services: number;
  full: string;
}

async function listIn(path: 'direct' | 'netlink', sockets: number): Promise<Listed> {
  const fixture = fileURLToPath(new URL('./fixtures/list-local.mjs', import.meta.url));
  const { stdout } = await director.node(fixture, [path, String(sockets)], 120_000);
  return JSON.parse(stdout) as Listed;
}

describe('list() in the kernel', () => {
  it.each([
    ['direct', 1],
    ['netlink', 1],
    ['netlink', 4],
  ] as const)(
    'through %s dumps (%i sockets), concurrent calls each read the table ipvsadm shows',
    async (path, sockets) => {
      const saved = (await director.exec('ipvsadm', ['-S', '-n'])).stdout.trim().split('\n').sort();
      expect(saved).toHaveLength(SERVICES + 150);
      const listed = await listIn(path, sockets);
      expect(listed.path).toBe(path);
      expect(listed.a).toEqual(saved);
      expect(listed.b).toEqual(saved);
      expect(listed.services).toBe(SERVICES);
    },
  );

  it('direct and netlink dumps decode every field alike', async () => {
    const [direct, netlink] = await Promise.all([listIn('direct', 1), listIn('netlink', 4)]);
    expect(direct.full).toBe(netlink.full);
    expect(JSON.parse(direct.full)).toHaveLength(SERVICES);
  });
});

type Listing = { destinations: { address: string; port: number }[] };

/** A table with its services and each one's real servers sorted by identity. */
function inKeyOrder(table: unknown[]): unknown[] {
  const key = (value: unknown) => {
    const { destinations: _, ...identity } = value as Listing;
    return JSON.stringify(identity);
  };
  const sorted = <T>(items: T[], by: (item: T) => string) => [...items].sort((a, b) => by(a).localeCompare(by(b)));
  return sorted(table as Listing[], key).map((s) => ({
    ...s,
    destinations: sorted(s.destinations, (d) => `${d.address} ${d.port}`),
  }));
}

describe('listSettings() in the kernel', () => {
  it('reads every field plan() compares exactly as list() does, for a table of every kind', async () => {
    const table = await lab.host('settings');
    const fixture = fileURLToPath(new URL('./fixtures/settings-local.mjs', import.meta.url));
    const { stdout } = await table.node(fixture, [], 120_000);
    const r = JSON.parse(stdout) as { path: string; failed: string[]; fromSettings: unknown[]; fromList: unknown[] };
    expect(r.failed).toEqual([]);
    expect(r.path).toBe('direct');
    expect(r.fromList).toHaveLength(7);
    // The two reads walk the kernel's tables by different interfaces (socket options,
    // netlink), and UML 7.2 hands them out in different orders: order is not the contract,
    // plan() matches by key.
    expect(inKeyOrder(r.fromSettings)).toEqual(inKeyOrder(r.fromList));
    // The kinds the socket options cannot show came through netlink with their details.
    const tunnelled = r.fromSettings.find((s) => (s as { port?: number }).port === 443) as {
      destinations: { tunnel?: unknown; family: number }[];
    };
    expect(tunnelled.destinations.map((d) => d.family).sort()).toEqual([4, 6]);
    expect(tunnelled.destinations.find((d) => d.family === 4)?.tunnel).toEqual({
      type: 'gue',
      port: 6080,
      checksum: 'csum',
    });
  });
});
