// The system-test tier itself: a Debian 12 root booted with systemd as PID 1 in the rig's
// UML kernel, driven from the host (docs/testing.md, "System tests").
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootSystem, type SystemHandle, waitFor } from '../src/index.js';

/** A real .deb made here with dpkg-deb: a unit and the script it runs. */
function buildDeb(dir: string): string {
  const root = join(dir, 'pkg');
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'lib/systemd/system'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN/control'),
    'Package: testkit-probe\nVersion: 1.0\nArchitecture: all\nMaintainer: testkit <testkit@example.org>\nDepends: ipvsadm\nDescription: testkit probe package\n a unit that prints the IPVS version\n',
  );
  writeFileSync(
    join(root, 'usr/bin/testkit-probe'),
    '#!/bin/sh\necho "testkit-probe says $(head -n1 /proc/net/ip_vs)"\n',
  );
  chmodSync(join(root, 'usr/bin/testkit-probe'), 0o755);
  writeFileSync(
    join(root, 'lib/systemd/system/testkit-probe.service'),
    '[Unit]\nDescription=testkit probe\n[Service]\nType=oneshot\nExecStartPre=/sbin/modprobe ip_vs\nExecStart=/usr/bin/testkit-probe\n',
  );
  const deb = join(dir, 'testkit-probe_1.0_all.deb');
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

describe('a Debian 12 system with systemd as PID 1 in the UML kernel', () => {
  let work: string;
  let system: SystemHandle;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'system-boot-'));
    system = await bootSystem({ debs: [buildDeb(work)] });
  });

  afterAll(async () => {
    await system?.shutdown();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs systemd as PID 1 and reaches the end of its startup with no failed unit', async () => {
    expect(system.boot.failedUnits).toEqual([]);
    expect(system.boot.state).toBe('running');
    expect((await system.check('cat /proc/1/comm')).stdout.trim()).toBe('systemd');
    const target = await system.check(['systemctl', 'is-active', 'multi-user.target']);
    expect(target.stdout.trim()).toBe('active');
    expect((await system.check('cat /etc/debian_version')).stdout).toMatch(/^12\./);
  });

  it('hands back each command’s output and exit code', async () => {
    const result = await system.run('echo out; echo err >&2; exit 3');
    expect(result).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await system.run(['printf', '%s|', 'a b', "it's"])).stdout).toBe("a b|it's|");
  });

  it('runs a unit started with systemd-run, and its output is in the journal', async () => {
    const started = await system.check(['systemd-run', '--unit=testkit-hello', '--wait', '/bin/echo', 'hello']);
    expect(started.stderr).toMatch(/Finished with result: success/);
    // journald reads the unit's output stream on its own time: wait for the line.
    const journal = () => system.check(['journalctl', '-u', 'testkit-hello', '--no-pager', '-o', 'cat']);
    await waitFor(
      'the transient unit’s line in the journal',
      async () => (await journal()).stdout.includes('hello'),
      60_000,
    );
    expect((await journal()).stdout.split('\n')).toContain('hello');
  });

  it('loads IPVS with modprobe, and ipvsadm programs and lists it', async () => {
    await system.check(['modprobe', 'ip_vs']);
    await system.check('ip addr add 192.0.2.10/32 dev lo && ipvsadm -A -t 192.0.2.10:80 -s rr');
    await system.check(['ipvsadm', '-a', '-t', '192.0.2.10:80', '-r', '192.0.2.20:80', '-m']);
    const list = await system.check(['ipvsadm', '-Ln']);
    expect(list.stdout).toMatch(/IP Virtual Server version \d/);
    expect(list.stdout).toMatch(/TCP\s+192\.0\.2\.10:80 rr/);
    expect(list.stdout).toMatch(/->\s+192\.0\.2\.20:80\s+Masq/);
  });

  it('installs a .deb handed in from the host, and starts its unit', async () => {
    // As a person would: apt-get with a path (./) installs the file and its dependencies.
    await system.check('cd /testkit/files && apt-get install -y ./testkit-probe_1.0_all.deb');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
    expect((await system.check(['dpkg-query', '-W', '-f=${Status}', 'testkit-probe'])).stdout).toBe(
      'install ok installed',
    );
    await system.check(['systemctl', 'start', 'testkit-probe.service']);
    const journal = () => system.check(['journalctl', '-u', 'testkit-probe', '--no-pager', '-o', 'cat']);
    await waitFor(
      'the probe unit’s line in the journal',
      async () => /testkit-probe says/.test((await journal()).stdout),
      60_000,
    );
    expect((await journal()).stdout).toMatch(/testkit-probe says IP Virtual Server version \d/);
  });

  it('takes a file handed in after the boot', async () => {
    const file = join(work, 'note.txt');
    writeFileSync(file, 'from the host\n');
    const guestPath = system.copyIn(file);
    expect((await system.check(['cat', guestPath])).stdout).toBe('from the host\n');
  });
});
