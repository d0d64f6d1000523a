import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';
import { FakeServer } from './fake-server.js';

let server: FakeServer;
let stdout: string;
let stderr: string;

beforeEach(async () => {
  server = await FakeServer.create();
  stdout = '';
  stderr = '';
});
afterEach(() => server.destroy());

const cli = (...argv: string[]) =>
  runCli([...argv, '--root', server.root], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    runner: server.runner,
  });

describe('sluice-arp-fix CLI', () => {
  it('inspect exits 1 on a problem with a JSON report, apply fixes it, inspect exits 0, revert undoes', async () => {
    expect(await cli('inspect', '--vip', '192.0.2.10', '--json')).toBe(1);
    const report = JSON.parse(stdout) as { ok: boolean; vips: { findings: { code: string }[] }[] };
    expect(report.ok).toBe(false);
    expect(report.vips[0]?.findings[0]?.code).toBe('VIP_NOT_ACCEPTED');

    stdout = '';
    expect(await cli('apply', '--vip', '192.0.2.10')).toBe(0);
    expect(stdout).toContain('added 192.0.2.10/32 on lo');
    stdout = '';
    expect(await cli('inspect', '--vip', '192.0.2.10')).toBe(0);
    expect(stdout).toContain('192.0.2.10: OK');

    stdout = '';
    expect(await cli('revert', '--json')).toBe(0);
    expect((JSON.parse(stdout) as unknown[]).length).toBe(1);
    expect(server.addresses.map((a) => a.local)).toEqual(['127.0.0.1']);
    expect(await cli('inspect', '--vip', '192.0.2.10')).toBe(1);
  });

  it('refuses the redirect method for IPv6 with a coded JSON error and exit 2', async () => {
    expect(await cli('apply', '--vip', '2001:db8::10', '--method', 'redirect', '--json')).toBe(2);
    expect(JSON.parse(stderr)).toMatchObject({ error: { code: 'ARPFIX_METHOD_REFUSED', field: 'vips[0]' } });
  });

  it('reports bad input with the field and exit 2', async () => {
    expect(await cli('inspect', '--vip', '192.0.2.10', '--port', '80x')).toBe(2);
    expect(stderr).toContain('ARPFIX_INVALID_FIELD (port[0])');
    expect(await cli('inspect', '--bogus')).toBe(2);
    expect(await cli('frobnicate')).toBe(2);
  });

  it('windows prints the PowerShell script or the steps', async () => {
    expect(
      await cli('windows', '--vip', '192.0.2.10', '--loopback', 'Loopback', '--lan', 'LAN 1', '--format', 'ps1'),
    ).toBe(0);
    expect(stdout).toContain("[string]$LanAdapter = 'LAN 1'");
    stdout = '';
    expect(await cli('windows', '--vip', '192.0.2.10', '--loopback', 'Loopback', '--lan', 'LAN 1')).toBe(0);
    expect(stdout).toContain('netsh interface ipv4 set interface "LAN 1" weakhostreceive=enabled');
    expect(await cli('windows', '--vip', '192.0.2.10', '--loopback', 'Loopback')).toBe(2);
  });
});
