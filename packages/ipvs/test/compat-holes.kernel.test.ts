import { fileURLToPath } from 'node:url';
import { type Host, Lab } from '@sluice/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpvsClient } from '../src/index.js';

// The ipvsadm compatibility holes of #23, each checked against the real kernel and the real
// ipvsadm in one namespace: what the kernel refuses is refused before anything is sent,
// what the kernel and ipvsadm accept is accepted, and -R says where, by the file's line.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let lab: Lab;
let director: Host;

/** A shell command's output (stdout and stderr) and exit status, never a rejection; `input` on its stdin. */
async function sh(command: string, input?: string): Promise<{ out: string; status: number }> {
  const stdin = input === undefined ? '' : ` <<'EOF'\n${input}EOF`;
  const { stdout } = await director.exec('sh', ['-c', `${command} 2>&1${stdin}\necho "exit=$?"`]);
  const at = stdout.lastIndexOf('exit=');
  return { out: stdout.slice(0, at), status: Number(stdout.slice(at + 5).trim()) };
}
const ours = (args: string, input?: string) =>
  sh(`${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} ${args}`, input);
const theirs = (args: string, input?: string) => sh(`ipvsadm ${args}`, input);
const restoreWith = (tool: 'ours' | 'theirs', file: string) => (tool === 'ours' ? ours : theirs)('-R', file);
const saved = async () => (await theirs('-S -n')).out;

beforeAll(async () => {
  lab = await Lab.create();
  director = await lab.host('director');
});

afterAll(async () => lab?.destroy());

beforeEach(async () => {
  await theirs('-C');
  await theirs('-A -t 192.0.2.10:80 -s rr');
});

describe('thresholds', () => {
  it('a lower threshold alone: the kernel refuses it (ERANGE); sluice-ipvs refuses it before sending', async () => {
    const kernel = await theirs('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -y 20');
    expect(kernel.out).toMatch(/Numerical result out of range/);
    expect(kernel.status).not.toBe(0);
    const before = await saved();
    const refused = await ours('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -y 20');
    expect(refused.status).toBe(2);
    expect(refused.out).toMatch(/lowerThreshold: a lower threshold needs an upper threshold/);
    expect(await saved()).toBe(before);
    // With an upper threshold at least as large, both take it.
    expect((await ours('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 20 -y 20')).status).toBe(0);
    expect((await theirs('-Ln --thresholds')).out).toMatch(/-> 198\.51\.100\.1:80\s+20\s+20\s/);
  });

  it('-x over INT_MAX: ipvsadm refuses it, so does sluice-ipvs; the kernel itself stores any u32', async () => {
    const ipvsadm = await theirs('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 3000000000');
    expect(ipvsadm.out).toMatch(/illegal u_threshold specified/);
    expect(ipvsadm.status).toBe(2);
    const refused = await ours('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 3000000000');
    expect(refused.status).toBe(2);
    expect(refused.out).toMatch(/--u-threshold 3000000000: must be a whole number from 0 to 2147483647/);
    expect((await ours('-a -t 192.0.2.10:80 -r 198.51.100.1 -g -x 2147483647')).status).toBe(0);
    // The library takes what the kernel takes: NLA_U32, all of it.
    const web = { protocol: 'tcp' as const, address: '192.0.2.10', port: 80 };
    const client = await IpvsClient.open({ netns: director.netns });
    try {
      await client.addDestination(web, { address: '198.51.100.2', port: 80, upperThreshold: 4294967295 });
      const [dest] = (await client.listDestinations(web)).filter((d) => d.address === '198.51.100.2');
      expect(dest?.upperThreshold).toBe(4294967295);
    } finally {
      client.close();
    }
    expect((await theirs('-Ln --thresholds')).out).toMatch(/-> 198\.51\.100\.2:80\s+4294967295\s+0\s/);
  });
});

describe('a persistent service on port 0', () => {
  const SAVE = [
    '-A -t 192.0.2.11:0 -s rr -p 300',
    '-a -t 192.0.2.11:0 -r 192.0.2.5:0 -g -w 1',
    '-a -t 192.0.2.11:0 -r 192.0.2.6:8080 -m -w 1',
    '',
  ].join('\n');

  it('is made by both tools, refused by both without persistence', async () => {
    await theirs('-C');
    expect((await ours('-A -t 192.0.2.11:0 -s rr -p 300')).status).toBe(0);
    expect((await ours('-a -t 192.0.2.11:0 -r 192.0.2.5 -g')).status).toBe(0);
    expect((await ours('-a -t 192.0.2.11:0 -r 192.0.2.6:8080 -m')).status).toBe(0);
    expect(await saved()).toBe(SAVE);
    expect((await theirs('-A -t 192.0.2.12:0 -s rr')).out).toMatch(/Zero port specified for non-persistent service/);
    const refused = await ours('-A -t 192.0.2.12:0 -s rr');
    expect(refused.status).toBe(2);
    expect(refused.out).toMatch(/port 0 is only for firewall-mark services and persistent services/);
  });

  it('restores from an ipvsadm -S save, byte for byte both ways', async () => {
    await theirs('-C');
    await restoreWith('theirs', SAVE);
    const theirSave = await saved();
    expect(theirSave).toBe(SAVE);
    await theirs('-C');
    expect((await restoreWith('ours', theirSave)).status).toBe(0);
    expect(await saved()).toBe(SAVE);
    expect((await ours('-S -n')).out).toBe(SAVE);
  });
});

describe('-R', () => {
  it('sends nothing when a line is invalid, and cites its line in the file (comments counted)', async () => {
    const before = await saved();
    const file = [
      '# a restore file',
      '-A -t 192.0.2.20:80 -s rr',
      '',
      '# the second real server is invalid for the kernel',
      '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
      '-a -t 192.0.2.20:80 -r 198.51.100.2:80 -g -y 20',
      '-a -t 192.0.2.20:80 -r 198.51.100.3:80 -g',
      '',
    ].join('\n');
    const r = await restoreWith('ours', file);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/line 6: destination\.lowerThreshold/);
    expect(await saved()).toBe(before);
    // ipvsadm refuses the file too (the kernel's ERANGE), but only when it reaches the line.
    expect((await restoreWith('theirs', file)).status).not.toBe(0);
  });

  it('names every line the kernel refused, and says every other line was applied', async () => {
    const file = [
      '-A -t 192.0.2.20:80 -s rr',
      '# twice',
      '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
      '-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g',
      '-a -t 192.0.2.20:80 -r 198.51.100.2:80 -g',
      '',
    ].join('\n');
    const r = await restoreWith('ours', file);
    expect(r.status).toBe(1);
    expect(r.out).toContain('line 4: add-destination: the destination exists [IPVS_EXISTS]');
    expect(r.out).toContain('restore: 3 of 4 lines applied; refused: line 4 (every other line was applied)');
    const table = await saved();
    expect(table).toContain('-a -t 192.0.2.20:80 -r 198.51.100.1:80 -g -w 1');
    expect(table).toContain('-a -t 192.0.2.20:80 -r 198.51.100.2:80 -g -w 1');
  });
});
