import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, EXIT, findCommand } from '../../src/cli/index.js';
import { type Harness, startHarness } from '../api/harness.js';

/**
 * The client commands against the real REST API (the API tests' harness: a real store,
 * auth writing cli.token, admin states, log book; fake engine and HA).
 */
let harness: Harness;
let work: string;
/** The version the harness starts at (first boot stores the admin user). */
let v0: number;

beforeEach(async () => {
  harness = await startHarness();
  v0 = harness.store.current().version;
  work = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
});
afterEach(async () => {
  await harness.close();
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON output of many shapes
  json(): any;
}

async function cli(command: string, args: string[] = [], stdin: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const run = findCommand(command);
  if (run === undefined) throw new Error(`no command ${command}`);
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += `${text}\n`;
    },
    err: (text) => {
      err += `${text}\n`;
    },
    prompt: (text) => {
      out += text;
    },
    stdin: Readable.from(stdin.map((line) => `${line}\n`)),
    env,
    interactive: false,
  };
  const code = await run([...args, '--url', harness.base, '--data-dir', harness.dir], io);
  return { code, out, err, json: () => JSON.parse(out) } satisfies Run;
}

describe('sluice-appliance status, takeover, standby', () => {
  it('status prints the HA role, the engine and the version; --json gives the API document', async () => {
    const text = await cli('status');
    expect(text.code).toBe(EXIT.ok);
    expect(text.out).toContain(`configuration version ${v0}`);
    expect(text.out).toContain('HA: standalone (always active)');
    const json = await cli('status', ['--json']);
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({ configVersion: v0, ha: { enabled: false, state: 'active' } });
  });

  it('exit 3 when the daemon is unreachable or the token is missing, with a JSON error', async () => {
    const run = findCommand('status');
    let out = '';
    const io: CliIo = {
      out: (t) => {
        out += t;
      },
      err: () => {},
      prompt: () => {},
      stdin: Readable.from([]),
      env: {},
      interactive: false,
    };
    expect(await run?.(['--url', 'http://127.0.0.1:1', '--data-dir', harness.dir, '--json'], io)).toBe(
      EXIT.unreachable,
    );
    expect(JSON.parse(out)).toMatchObject({ error: { code: 'CLI_UNREACHABLE' } });
    out = '';
    expect(await run?.(['--url', harness.base, '--data-dir', work, '--json'], io)).toBe(EXIT.unreachable);
    expect(JSON.parse(out)).toMatchObject({
      error: { code: 'CLI_NO_TOKEN', message: expect.stringContaining('cli.token') },
    });
  });

  it('exit 1 with the API error for a wrong token; SLUICE_API_TOKEN overrides the file', async () => {
    const wrong = await cli('status', ['--json'], [], { SLUICE_API_TOKEN: 'not-a-token' });
    expect(wrong.code).toBe(EXIT.failed);
    expect(wrong.json().error.code).toMatch(/^AUTH_/);
  });

  it('exit 2 for a usage error', async () => {
    expect((await cli('status', ['--bogus'])).code).toBe(EXIT.usage);
    expect((await cli('restore')).code).toBe(EXIT.usage);
    expect((await cli('status', ['extra'])).code).toBe(EXIT.usage);
  });

  it('takeover and standby report the new state; standalone refuses with HA_DISABLED (exit 1)', async () => {
    const refused = await cli('takeover', ['--json']);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.json().error.code).toBe('HA_DISABLED');
    harness.ha.setPair('passive');
    const takeover = await cli('takeover');
    expect(takeover.code).toBe(0);
    expect(takeover.out).toContain('this node is now active');
    const standby = await cli('standby', ['--json']);
    expect(standby.code).toBe(0);
    expect(standby.json()).toMatchObject({ enabled: true, state: 'passive' });
  });

  it('a role change that did not happen is exit 1', async () => {
    harness.ha.setPair('active');
    harness.ha.standby = async () => harness.ha.current;
    const standby = await cli('standby', ['--json']);
    expect(standby.code).toBe(EXIT.failed);
    expect(standby.json().error).toMatchObject({ code: 'HA_NOT_MOVED', ha: { state: 'active' } });
  });
});

describe('sluice-appliance backup, restore, restore-defaults', () => {
  it('backup writes a 0600 file, refuses to overwrite it, and restore brings it back as a new version', async () => {
    const file = join(work, 'backup.json');
    const backup = await cli('backup', [file, '--json']);
    expect(backup.code).toBe(0);
    expect(backup.json()).toMatchObject({ file, configVersion: v0 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ format: 'sluice-backup', configVersion: v0 });
    const again = await cli('backup', [file]);
    expect(again.code).toBe(EXIT.failed);
    expect(again.err).toContain('--force');
    expect((await cli('backup', [file, '--force'])).code).toBe(0);
    const restored = await cli('restore', [file]);
    expect(restored.code).toBe(0);
    expect(restored.out).toContain(`as configuration version ${v0 + 1}`);
    expect(harness.store.current().version).toBe(v0 + 1);
  });

  it('restore of a damaged backup is exit 1 (BACKUP_INVALID) and changes nothing; unreadable is exit 2', async () => {
    const file = join(work, 'backup.json');
    await cli('backup', [file]);
    const damaged = JSON.parse(await readFile(file, 'utf8'));
    damaged.config.layer4 = [{ label: 'x' }];
    await writeFile(file, JSON.stringify(damaged));
    const result = await cli('restore', [file, '--json']);
    expect(result.code).toBe(EXIT.failed);
    expect(result.json().error.code).toBe('BACKUP_INVALID');
    expect(harness.store.current().version).toBe(v0);
    await writeFile(file, '{not json');
    expect((await cli('restore', [file])).code).toBe(EXIT.usage);
  });

  it('restore-defaults asks for "yes": no answer is exit 2, "no" exit 1, "yes" and --yes commit', async () => {
    expect((await cli('restore-defaults')).code).toBe(EXIT.usage);
    const no = await cli('restore-defaults', [], ['no']);
    expect(no.code).toBe(EXIT.failed);
    expect(harness.store.current().version).toBe(v0);
    const yes = await cli('restore-defaults', [], ['yes']);
    expect(yes.code).toBe(0);
    expect(yes.out).toContain(`factory defaults restored as configuration version ${v0 + 1}`);
    const scripted = await cli('restore-defaults', ['--yes', '--json']);
    expect(scripted.json()).toMatchObject({ version: v0 + 2 });
  });

  it('a passive node refuses edits: exit 1 with HA_PASSIVE', async () => {
    harness.ha.setPair('passive');
    const result = await cli('restore-defaults', ['--yes', '--json']);
    expect(result.code).toBe(EXIT.failed);
    expect(result.json().error).toMatchObject({
      code: 'HA_PASSIVE',
      message: expect.stringContaining('lbpeer (203.0.113.2)'),
    });
    expect(harness.store.current().version).toBe(v0);
  });
});

describe('sluice-appliance import', () => {
  const corpus = join(import.meta.dirname, '..', 'import', 'corpus');

  it('previews a keepalived.conf with its includes from disk (notes at file:line), then --apply stores it', async () => {
    const file = join(corpus, 'keepalived', 'include.conf');
    const preview = await cli('import', ['--from', 'keepalived', file]);
    expect(preview.code, preview.err).toBe(EXIT.ok);
    expect(preview.out).toContain(`keepalived ${file}:`);
    expect(preview.out).toMatch(/from 4 file\(s\)/);
    expect(preview.out).toMatch(
      new RegExp(
        `${join(corpus, 'keepalived', 'include.conf').replaceAll('.', '\\.')}:\\d+: (unsupported|lossy|ambiguous): `,
      ),
    );
    expect(preview.out).toContain('(a preview: --apply stores it)');
    expect(harness.store.current().version).toBe(v0);
    const applied = await cli('import', ['--from', 'keepalived', file, '--apply', '--json']);
    expect(applied.code, applied.err).toBe(EXIT.ok);
    expect(applied.json().stored.version).toBe(v0 + 1);
    expect(harness.store.current().config.layer4.length).toBeGreaterThan(0);
  });

  it('broken input is exit 1 with IMPORT_INVALID at file:line; a missing file or format is exit 2', async () => {
    const broken = join(work, 'broken.cfg');
    await writeFile(broken, 'frontend web\n  bind 192.0.2.10:80 "unclosed\n');
    const run = await cli('import', ['--from', 'haproxy', broken, '--json']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.json().error).toMatchObject({ code: 'IMPORT_INVALID', field: `${broken}:2` });
    expect((await cli('import', ['--from', 'haproxy', join(work, 'none.cfg')])).code).toBe(EXIT.usage);
    expect((await cli('import', ['--from', 'nginx', broken])).code).toBe(EXIT.usage);
    expect(harness.store.current().version).toBe(v0);
  });
});

describe('sluice-appliance wizard', () => {
  it('asks on stdin, retries a bad answer, explains the ARP problem and commits a DR service', async () => {
    const answers = [
      'not-an-address',
      '192.0.2.5/24',
      '',
      '192.0.2.1',
      'dr',
      '',
      '192.0.2.10',
      '',
      '',
      '192.0.2.21',
      'yes',
    ];
    const result = await cli('wizard', [], answers);
    expect(result.code, result.err + result.out).toBe(0);
    expect(result.out).toContain('must be an address with its prefix length');
    expect(result.out).toContain('ARP problem');
    expect(result.out).toContain(`committed configuration version ${v0 + 1}`);
    const config = harness.store.current().config;
    expect(config.layer4).toMatchObject([
      {
        label: 'web',
        vip: '192.0.2.10',
        ports: [80],
        forwarding: 'dr',
        realServers: [{ label: 'server1', address: '192.0.2.21' }],
      },
    ]);
    expect(config.layer4[0]?.realServers[0]?.port).toBeUndefined();
    expect(config.network.interfaces).toEqual([{ name: 'eth0', addresses: ['192.0.2.5/24'] }]);
    expect(config.network.defaultGateway).toEqual({ ipv4: '192.0.2.1' });
    expect(harness.store.current().comment).toBe('console wizard');
  });

  it('SNAT through stdin makes a Layer 7 service; declining the summary changes nothing', async () => {
    const lines = [
      '198.51.100.5/24',
      'eth0',
      '',
      'snat',
      'site',
      '198.51.100.10',
      '8080',
      'alpha',
      '198.51.100.21',
      '8000',
    ];
    const declined = await cli('wizard', [], [...lines, 'no']);
    expect(declined.code).toBe(EXIT.failed);
    expect(harness.store.current().version).toBe(v0);
    const result = await cli('wizard', [], [...lines, '']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('X-Forwarded-For');
    expect(harness.store.current().config.layer7).toMatchObject([
      {
        label: 'site',
        vip: '198.51.100.10',
        ports: [8080],
        realServers: [{ label: 'alpha', address: '198.51.100.21', port: 8000 }],
      },
    ]);
  });

  it('non-interactive NAT from flags, with JSON output and the gateway rule', async () => {
    const result = await cli('wizard', [
      '--non-interactive',
      '--json',
      '--address=203.0.113.5/24',
      '--mode=nat',
      '--internal-address=198.51.100.1/24',
      '--vip=203.0.113.10',
      '--port=443',
      '--server-address=198.51.100.21',
      '--server-port=8443',
    ]);
    expect(result.code, result.out).toBe(0);
    const json = result.json();
    expect(json).toMatchObject({ version: v0 + 1, answers: { mode: 'nat', internalInterface: 'eth1' } });
    expect(json.note).toContain('default gateway');
    expect(json.warnings.map((w: { code: string }) => w.code)).toContain('CONFIG_NAT_GATEWAY');
    const config = harness.store.current().config;
    expect(config.layer4[0]).toMatchObject({
      forwarding: 'nat',
      realServers: [{ address: '198.51.100.21', port: 8443 }],
    });
    expect(config.network.interfaces).toEqual([
      { name: 'eth0', addresses: ['203.0.113.5/24'] },
      { name: 'eth1', addresses: ['198.51.100.1/24'] },
    ]);
  });

  it('non-interactive: a missing or invalid answer is exit 2 naming the flag; a taken label needs --replace', async () => {
    const missing = await cli('wizard', ['--non-interactive', '--json', '--address=192.0.2.5/24']);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.json().error.message).toContain('--vip is required');
    const family = await cli('wizard', ['--non-interactive', '--address=192.0.2.5/24', '--vip=2001:db8::10']);
    expect(family.code).toBe(EXIT.usage);
    expect(family.err).toContain('--vip "2001:db8::10": must be IPv4');
    const flags = ['--non-interactive', '--address=192.0.2.5/24', '--vip=192.0.2.10', '--server-address=192.0.2.21'];
    expect((await cli('wizard', flags)).code).toBe(0);
    const taken = await cli('wizard', flags);
    expect(taken.code).toBe(EXIT.usage);
    expect(taken.err).toContain('already labelled "web"');
    expect((await cli('wizard', [...flags, '--replace', '--server-address=192.0.2.22'])).code).toBe(0);
    expect(harness.store.current().config.layer4).toHaveLength(1);
    expect(harness.store.current().config.layer4[0]?.realServers[0]?.address).toBe('192.0.2.22');
  });

  it("checks each answer by the model's rules, as the configuration editor does", async () => {
    const base = ['--non-interactive', '--address=192.0.2.5/24', '--vip=192.0.2.10', '--label=site'];
    // DR cannot change the address family: the model's message, at the flag that answers it.
    const family = await cli('wizard', [...base, '--server-address=2001:db8::21']);
    expect(family.code).toBe(EXIT.usage);
    expect(family.err).toContain(
      '--server-address "2001:db8::21": must be IPv4 like the VIP: DR cannot change the address family',
    );
    expect(harness.store.current().version).toBe(v0);
    // Layer 7 on the VIP's own address, another port: the editor takes it, and so does the wizard.
    const same = await cli('wizard', [...base, '--mode=snat', '--server-address=192.0.2.10', '--server-port=8080']);
    expect(same.code, same.err).toBe(0);
    expect(harness.store.current().config.layer7[0]?.realServers).toMatchObject([
      { address: '192.0.2.10', port: 8080 },
    ]);
  });

  it('offers only the modes this host can run: without IPVS Layer 4 is refused with the reason, Layer 7 the default', async () => {
    harness.capabilities.push({
      id: 'ipvs',
      part: 'layer4',
      feature: 'Layer 4 virtual services (IPVS: DR, NAT, TUN)',
      available: false,
      detail: 'the ip_vs module is not loaded',
      fix: 'modprobe ip_vs',
    });
    try {
      const base = ['--non-interactive', '--address=192.0.2.5/24', '--vip=192.0.2.10', '--server-address=192.0.2.21'];
      const dr = await cli('wizard', [...base, '--mode=dr']);
      expect(dr.code).toBe(EXIT.usage);
      expect(dr.err).toContain(
        '--mode "dr": Layer 4 DR cannot run on this host: Layer 4 virtual services (IPVS: DR, NAT, TUN): the ip_vs module is not loaded; fix: modprobe ip_vs',
      );
      expect((await cli('wizard', base)).code).toBe(0);
      expect(harness.store.current().config.layer7.map((s) => s.label)).toEqual(['web']);
      expect(harness.store.current().config.layer4).toEqual([]);
    } finally {
      harness.capabilities.splice(0, Infinity);
    }
  });

  it('stdin that ends before the questions do is exit 2 and commits nothing', async () => {
    const result = await cli('wizard', [], ['192.0.2.5/24']);
    expect(result.code).toBe(EXIT.usage);
    expect(harness.store.current().version).toBe(v0);
  });
});

describe('the built sluice-appliance binary', () => {
  it('exits 3 when no daemon answers and 2 for an unknown command', async () => {
    const bin = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [bin, ...args],
          { env: { ...process.env, SLUICE_API_TOKEN: 't' } },
          (error, stdout) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout }),
        );
      });
    const unreachable = await run('status', '--url', 'http://127.0.0.1:1', '--json');
    expect(unreachable.code).toBe(3);
    expect(JSON.parse(unreachable.stdout).error.code).toBe('CLI_UNREACHABLE');
    expect((await run('no-such-command')).code).toBe(2);
  });
});

describe('sluice-appliance network', () => {
  it('sets an address with a gateway, a route, DNS, NTP and the host name as configuration versions, and shows them', async () => {
    expect((await cli('network', ['address', 'eth0', '192.0.2.21/24', '--gateway', '192.0.2.1'])).code).toBe(EXIT.ok);
    const route = await cli('network', ['route', 'add', '198.51.100.0/24', '192.0.2.254', '--metric', '10']);
    expect(route.out).toContain(`stored as configuration version ${v0 + 2}: host network: not managed on this host`);
    await cli('network', ['dns', '192.0.2.53', '--search', 'example.com']);
    await cli('network', ['ntp', 'ntp.example.com']);
    await cli('network', ['hostname', 'lb1']);
    expect(harness.store.current().config.network).toEqual({
      interfaces: [{ name: 'eth0', addresses: ['192.0.2.21/24'] }],
      defaultGateway: { ipv4: '192.0.2.1' },
      routes: [{ destination: '198.51.100.0/24', gateway: '192.0.2.254', metric: 10 }],
      dns: { servers: ['192.0.2.53'], searchDomains: ['example.com'] },
      ntpServers: ['ntp.example.com'],
      hostname: 'lb1',
    });
    expect(harness.store.current().comment).toBe('network hostname lb1');
    const show = await cli('network', ['show']);
    expect(show.out).toBe(
      [
        'eth0: 192.0.2.21/24',
        'default gateway: 192.0.2.1',
        'route 198.51.100.0/24 via 192.0.2.254 metric 10',
        'dns: 192.0.2.53 (search example.com)',
        'ntp: ntp.example.com',
        'hostname: lb1',
        'host network: not managed on this host (SLUICE_HOST_NETWORK=manage in /etc/default/sluice to manage it)',
        '',
      ].join('\n'),
    );
    await cli('network', ['route', 'del', '198.51.100.0/24']);
    await cli('network', ['gateway', 'none']);
    expect(harness.store.current().config.network).toMatchObject({ routes: [], defaultGateway: {} });
  });

  it('a refused change exits 1 with the field at fault; a bad command line exits 2', async () => {
    await cli('network', ['address', 'eth0', '192.0.2.21/24']);
    const refused = await cli('network', ['gateway', '203.0.113.1', '--json']);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.json().error).toMatchObject({
      code: 'CONFIG_REJECTED',
      issues: [{ code: 'CONFIG_GATEWAY_UNREACHABLE', field: 'network.defaultGateway.ipv4' }],
    });
    expect((await cli('network', ['route', 'add', '198.51.100.0/24'])).code).toBe(EXIT.usage);
    expect((await cli('network', ['confirm'])).code).toBe(EXIT.failed);
  });
});
