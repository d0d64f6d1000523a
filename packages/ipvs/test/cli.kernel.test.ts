import { fileURLToPath } from 'node:url';
import { type Host, Lab, run } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built CLI against the real ipvsadm, in the same namespace, output for output.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let lab: Lab;
let director: Host;

const ours = async (...args: string[]) => (await director.exec(process.execPath, [cli, ...args])).stdout;
const theirs = async (...args: string[]) => (await director.exec('ipvsadm', args)).stdout;

const RULES = [
  ['-A', '-t', '192.0.2.10:80', '-s', 'wrr', '-p', '300', '-M', '255.255.255.0'],
  ['-a', '-t', '192.0.2.10:80', '-r', '198.51.100.1:8080', '-m', '-w', '3'],
  ['-a', '-t', '192.0.2.10:80', '-r', '198.51.100.2:8080', '-m', '-w', '2', '-x', '100', '-y', '50'],
  ['-A', '-u', '[2001:db8::53]:53', '-s', 'sh', '-o', '-b', 'sh-fallback,sh-port'],
  ['-a', '-u', '[2001:db8::53]:53', '-r', '[2001:db8:1::1]', '-g'],
  ['-A', '-f', '7', '-s', 'mh', '-b', 'mh-port'],
  ['-a', '-f', '7', '-r', '198.51.100.4:0', '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-remcsum'],
  ['-A', '--sctp-service', '192.0.2.10:5060', '-s', 'rr'],
  ['-A', '-u', '192.0.2.10:5060', '-s', 'rr', '-p', '60', '--pe', 'sip'],
  ['-A', '-f', '8', '-6', '-s', 'rr', '-p', '100', '-M', '64'],
];

beforeAll(async () => {
  lab = await Lab.create();
  director = await lab.host('director');
  for (const rule of RULES) await ours(...rule);
});

afterAll(async () => {
  await lab?.destroy();
});

describe('sluice-ipvs speaks ipvsadm', () => {
  it.each([
    [['-Ln']],
    [['-Ln', '--stats']],
    [['-Ln', '--rate']],
    [['-Ln', '--thresholds']],
    [['-Ln', '--persistent-conn']],
    [['-L', '--timeout']],
    [['-S', '-n']],
  ])('%j prints exactly what ipvsadm prints', async (args) => {
    expect(await ours(...args)).toBe(await theirs(...args));
  });

  it('restores what ipvsadm saved, and ipvsadm restores what it saved', async () => {
    const saved = await theirs('-S', '-n');
    await ours('-C');
    await director.exec('sh', [
      '-c',
      `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} -R <<'EOF'\n${saved}EOF`,
    ]);
    expect(await theirs('-S', '-n')).toBe(saved);
    const ourSave = await ours('-S', '-n');
    await theirs('-C');
    await director.exec('sh', ['-c', `ipvsadm -R <<'EOF'\n${ourSave}EOF`]);
    expect(await ours('-S', '-n')).toBe(saved);
  });

  it('acts in a named namespace from outside it (--netns)', async () => {
    const { stdout } = await run(process.execPath, [cli, '--netns', director.netns, '-S', '-n']);
    expect(stdout).toBe(await theirs('-S', '-n'));
  });

  it('prints JSON, and coded errors with exit status 2 for bad input, 1 for kernel refusals', async () => {
    const table = JSON.parse(await ours('-L', '-t', '192.0.2.10:80', '--json'));
    expect(table[0]).toMatchObject({ protocol: 'tcp', scheduler: 'wrr', persistence: { timeout: 300, netmask: 24 } });
    await expect(
      director.exec(process.execPath, [cli, '-a', '-t', '192.0.2.10:80', '-r', '198.51.100.9:8080', '-g']),
    ).rejects.toThrow(/port translation is impossible in DR mode/);
    const refused = await director
      .exec('sh', [
        '-c',
        `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} -A -t 192.0.2.10:80 --json; echo "exit=$?"`,
      ])
      .then((r) => r.stdout);
    expect(refused).toContain('"code": "IPVS_EXISTS"');
    expect(refused).toContain('exit=1');
  });

  it('restores in one batch and reports each refused line', async () => {
    await ours('-C');
    const rules = [
      '-A -t 192.0.2.20:80 -s rr',
      '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
      '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
      '',
    ].join('\n');
    const out = await director
      .exec('sh', [
        '-c',
        `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} -R 2>&1 <<'EOF'\n${rules}EOF\necho "exit=$?"`,
      ])
      .then((r) => r.stdout);
    expect(out).toContain('line 3: add-destination: the destination exists [IPVS_EXISTS]');
    expect(out).toContain('exit=1');
    expect(await theirs('-S', '-n')).toBe(
      '-A -t 192.0.2.20:80 -s rr\n-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g -w 1\n',
    );
  });
});
