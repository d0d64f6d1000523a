import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { formatReport, inspect, LinuxSystem } from '@sluice/arp-fix';
import { Host, listNamespaces } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabStatus } from '../../src/lab/index.js';
import { CLI } from './harness/appliance.js';
import { tally } from './harness/traffic.js';

// The lab command itself, in namespaces on this host (it needs no IPVS to build): what it
// builds, its cable and web switches, and that `down` leaves nothing behind.
const PREFIX = 'sluice-labtest-';

function lab(args: string[], user?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, argv] = user
    ? ['runuser', ['-u', user, '--', process.execPath, CLI, 'lab', ...args]]
    : [process.execPath, [CLI, 'lab', ...args]];
  return new Promise((resolve) => {
    execFile(file, argv as string[], { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function labOk(args: string[]): Promise<string> {
  const result = await lab([...args, '--prefix', PREFIX]);
  if (result.code !== 0)
    throw new Error(`lab ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

const client = new Host('client1', `${PREFIX}client1`);
const alpha = new Host('alpha', `${PREFIX}alpha`);

describe('sluice-appliance lab', () => {
  let upOutput: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the appliance first`);
    await lab(['down', '--prefix', PREFIX]);
    upOutput = await labOk(['up']);
  }, 120_000);

  afterAll(async () => {
    await lab(['down', '--prefix', PREFIX]);
  }, 60_000);

  it('prints what it built and how to run the appliance and watch a client', () => {
    expect(upOutput).toContain(`${PREFIX}lb`);
    expect(upOutput).toContain(`ip netns exec ${PREFIX}lb sluice-appliance serve --data-dir`);
    expect(upOutput).toContain(`ip netns exec ${PREFIX}client1 curl -s http://192.0.2.100/`);
    expect(upOutput).toContain('lab cable alpha down');
  });

  it('refuses a second lab under the same names', async () => {
    const again = await lab(['up', '--prefix', PREFIX]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('LAB_FAILED');
    expect(again.stderr).toContain('already up');
  });

  it('reports every host, its addresses, cables and web server', async () => {
    const status = JSON.parse(await labOk(['status', '--json'])) as LabStatus;
    expect(status.up).toBe(true);
    expect(status.hosts.map((h) => h.label)).toEqual(['client1', 'client2', 'lb', 'alpha', 'bravo', 'charlie']);
    const lb = status.hosts.find((h) => h.label === 'lb');
    expect(lb?.interfaces.map((i) => [i.name, i.addresses, i.cable])).toEqual([
      ['eth0', ['192.0.2.2/24'], 'up'],
      ['eth1', ['198.51.100.2/24'], 'up'],
    ]);
    expect(lb?.appliance).toEqual([]);
    for (const label of ['alpha', 'bravo', 'charlie']) {
      expect(status.hosts.find((h) => h.label === label)?.web).toMatchObject({
        page: `${label}_server`,
        running: true,
      });
    }
  });

  it('serves a page naming each real server to both clients', async () => {
    for (const label of ['client1', 'client2']) {
      const host = new Host(label, `${PREFIX}${label}`);
      for (const [address, page] of [
        ['192.0.2.11', 'alpha_server'],
        ['192.0.2.12', 'bravo_server'],
        ['192.0.2.13', 'charlie_server'],
      ] as const) {
        expect(await host.httpGet(`http://${address}/`)).toEqual([page]);
      }
    }
  });

  it('prepares the real servers for DR (VIP on lo, ARP fixed) and NAT (replies via the balancer)', async () => {
    // The ARP problem's own checker agrees that every real server is fixed for the DR VIP.
    for (const label of ['alpha', 'bravo', 'charlie']) {
      const report = await inspect(new LinuxSystem({ netns: `${PREFIX}${label}` }), {
        vips: [{ address: '192.0.2.100', ports: [80] }],
      });
      expect(report.ok, formatReport(report)).toBe(true);
    }
    const { stdout: route } = await alpha.ip(['route', 'get', '192.0.2.21', 'from', '198.51.100.11']);
    expect(route).toContain('via 198.51.100.1');
    const { stdout: direct } = await alpha.ip(['route', 'get', '192.0.2.21', 'from', '192.0.2.11']);
    expect(direct).not.toContain('via');
  });

  it('pulls and plugs in a real server cable', async () => {
    await labOk(['cable', 'alpha', 'down']);
    const down = JSON.parse(await labOk(['status', '--json'])) as LabStatus;
    expect(down.hosts.find((h) => h.label === 'alpha')?.interfaces.map((i) => i.cable)).toEqual(['down', 'down']);
    expect((await tally(client, 'http://192.0.2.11/', 1, 1_500)).errors).toBe(1);
    await labOk(['cable', 'alpha', 'up']);
    expect((await tally(client, 'http://192.0.2.11/', 1, 5_000)).names).toEqual({ alpha_server: 1 });
  });

  it('stops and starts a real server web server', async () => {
    expect(await labOk(['web', 'bravo', 'stop'])).toContain('bravo_server: web server stopped');
    const stopped = await tally(client, 'http://192.0.2.12/', 1, 1_500);
    expect(stopped.lastError).toMatch(/ECONNREFUSED/);
    expect(await labOk(['web', 'bravo', 'start'])).toMatch(/bravo_server: web server running \(pid \d+\)/);
    expect(await client.httpGet('http://192.0.2.12/')).toEqual(['bravo_server']);
  });

  it('prints a sample configuration the appliance accepts', async () => {
    const config = JSON.parse(await labOk(['config']));
    expect(config.layer4.map((s: { forwarding: string; vip: string }) => [s.forwarding, s.vip])).toEqual([
      ['dr', '192.0.2.100'],
      ['nat', '192.0.2.101'],
      ['tun', '192.0.2.102'],
    ]);
    const { validateConfig } = await import('../../src/model/validate.js');
    expect(validateConfig(config).ok).toBe(true);
  });

  it('fails with LAB_FAILED without root', async () => {
    const result = await lab(['up', '--prefix', 'sluice-labnobody-'], 'nobody');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LAB_FAILED');
    expect(result.stderr).toContain('needs root');
  });

  it('down removes every namespace and stops the web servers', async () => {
    const before = JSON.parse(await labOk(['status', '--json'])) as LabStatus;
    const pids = before.hosts.flatMap((h) => (h.web?.pid ? [h.web.pid] : []));
    expect(pids).toHaveLength(3);
    const out = await labOk(['down']);
    expect(out).toContain('Lab down: removed');
    const left = (await listNamespaces()).filter((name) => name.startsWith(PREFIX));
    expect(left).toEqual([]);
    // Gone, or a zombie its new parent has not reaped yet (the `lab up` process that started it has exited).
    for (const pid of pids) expect(processState(pid)).toMatch(/^(gone|Z)$/);
    expect(existsSync(`/run/${PREFIX.slice(0, -1)}`)).toBe(false);
    expect(await labOk(['status'])).toContain('Lab down');
  });
});

function processState(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? 'gone';
  } catch {
    return 'gone';
  }
}
