// The virtual appliance, proven by booting it: `npm run image`'s script builds the disk
// image once (with a documentation factory address and a key for this test's SSH), qemu
// boots the qcow2 (KVM where it can, TCG here), and the test does what an admin does: reads
// the console's banner, logs in to the web UI with its password (which must be changed),
// runs the wizard's Layer 4 NAT service through the API as the browser does, and sends a
// client's traffic through the VIP to two real servers inside the guest. Then the OVA: the
// layout VMware reads, and its VMDK booted to the login prompt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootQemu, type QemuMachine, run } from '@sluice/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplianceConfig } from '../../src/model/schema.js';
import { answerIssues, buildConfig, type WizardAnswers } from '../../src/model/wizard-plan.js';

const app = join(import.meta.dirname, '..', '..');
const OUT = join(app, 'build', 'image-test');
/** The factory address the test's image is built with (a documentation address). */
const FACTORY = '192.0.2.21';
const VIP = '192.0.2.101';
const MINUTE = 60_000;

interface ImageRecord {
  name: string;
  kernel: string;
  seconds: number;
  bytes: Record<'content' | 'raw' | 'qcow2' | 'vmdk' | 'ova', number>;
  qcow2: string;
  ova: string;
}

const report: Record<string, unknown> = {};
let image: ImageRecord;
let keys: string;
let vm: QemuMachine | undefined;

function need(program: string, pkg: string) {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${program} is missing: apt-get install ${pkg} (tools/testkit/debian-packages.txt)`);
  }
}

/** A command in the guest, as root over SSH with the key the image was built with. */
async function guest(script: string, timeoutMs = 5 * MINUTE): Promise<string> {
  if (vm === undefined) throw new Error('no guest is running');
  const { stdout } = await run(
    'ssh',
    [
      '-i',
      join(keys, 'id'),
      '-p',
      String(vm.ports.ssh),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=30',
      'root@127.0.0.1',
      script,
    ],
    { timeoutMs },
  );
  return stdout;
}

/** The web UI's API through the forwarded port, with a session as the browser keeps it. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, query = '') {
    const response = await fetch(`${this.base}/api/v1${path}${query}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  async login(username: string, password: string) {
    const response = await this.request('POST', '/session', { username, password });
    expect(response.status).toBe(200);
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.csrf = response.body.csrfToken;
    return response;
  }
}

/** Polls the WUI's health through the forward until it answers 200 (a boot under TCG takes minutes). */
async function wuiUp(base: string, deadlineMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(`${base}/api/v1/health`, { signal: AbortSignal.timeout(10_000) });
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not up yet
    }
    if (performance.now() - started > deadlineMs) throw new Error(`the WUI did not answer in ${deadlineMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** Confirms the network change under trial (the web UI's banner button) and waits until it is applied. */
async function confirmNetworkTrial(web: Browser) {
  // The host's network is applied after the write returns; the trial starts once it is (the
  // web UI's banner polls the same status).
  let status = await web.request('GET', '/network/status');
  for (let i = 0; i < 60 && status.body.trial === undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    status = await web.request('GET', '/network/status');
  }
  expect(status.body.managed).toBe(true);
  expect(status.body.trial).toBeDefined();
  const confirmed = await web.request('POST', '/network/confirm');
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.trial).toBeUndefined();
}

/** Runs `read` in the guest until `done` holds of its output (networkd and resolved apply in their own time). */
async function waitForGuest(read: () => Promise<string>, done: (seen: string) => boolean): Promise<string> {
  let seen = '';
  for (let i = 0; i < 60; i++) {
    seen = await read().catch((error: Error) => error.message);
    if (done(seen)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return seen;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the virtual appliance test runs as root (the image build needs it)');
  for (const [program, pkg] of [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['qemu-img', 'qemu-utils'],
    ['grub-mkimage', 'grub-pc-bin'],
    ['sfdisk', 'fdisk'],
    ['mmdebstrap', 'mmdebstrap'],
    ['ssh', 'openssh-client'],
  ]) {
    need(program as string, pkg as string);
  }
  // SLUICE_IMAGE_TEST_REUSE=1: the image this test built last time (iterating on the test
  // itself; the README's test command never sets it, so every run of the suite builds).
  const reuse = process.env.SLUICE_IMAGE_TEST_REUSE === '1' && existsSync(join(OUT, 'image.json'));
  // The key of this test's SSH, built into the image (and kept beside it for a reuse).
  keys = join(OUT, 'ssh');
  if (!reuse) {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(keys, { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'id')]);
  }
  if (!reuse)
    await run(
      process.execPath,
      [
        join(app, 'scripts', 'build-image.mjs'),
        '--address',
        `${FACTORY}/24`,
        '--authorized-key',
        join(keys, 'id.pub'),
        '--out',
        OUT,
      ],
      { timeoutMs: 50 * MINUTE },
    );
  image = JSON.parse(readFileSync(join(OUT, 'image.json'), 'utf8'));
  report.image = image;
  report.host = {
    cpu: /Model name:\s*(.+)/.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim(),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  };
});

afterAll(async () => {
  await vm?.stop();
  writeFileSync(join(OUT, 'vm-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`virtual appliance: ${JSON.stringify(report, null, 2)}`);
});

describe('the virtual appliance (qcow2)', () => {
  let password = '';
  let web: Browser;

  it('is under 1 GB raw and far less compressed', () => {
    expect(image.bytes.raw).toBeLessThanOrEqual(2 ** 30);
    expect(image.bytes.qcow2).toBeLessThan(image.bytes.raw / 2);
    expect(image.bytes.ova).toBeLessThan(image.bytes.raw / 2);
  });

  it('boots to a login prompt on the serial console, whose banner shows the WUI URL and the first-boot password', async () => {
    vm = await bootQemu({
      disk: join(OUT, image.qcow2),
      format: 'qcow2',
      forwards: { http: { guest: FACTORY, guestPort: 9080 }, ssh: { guest: FACTORY, guestPort: 22 } },
      serialLog: join(OUT, 'serial-qcow2.log'),
    });
    report.accel = vm.accel;
    const base = `http://127.0.0.1:${vm.ports.http}`;
    const wui = wuiUp(base, 25 * MINUTE);
    const banner = await vm.waitForSerial(
      /First login: user admin, password (\S+) \(the web UI asks for a new one\)[\s\S]*sluice login: /,
      25 * MINUTE,
    );
    password = banner[1] as string;
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect(vm.serial()).toContain(`Web UI: http://${FACTORY}:9080/lbadmin/  https://${FACTORY}:9443/lbadmin/`);
    expect(vm.serial()).toMatch(new RegExp(`eth0 {2}${FACTORY.replaceAll('.', '\\.')}`));
    report.bootToWuiSeconds = Math.round((await wui) / 1000);
    web = new Browser(base);
  });

  it('answers on the forwarded port, and the first login with the banner password must change it', async () => {
    const page = await fetch(`${web.base}/lbadmin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const health = await web.request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    await web.login('admin', password);
    const refused = await web.request('GET', '/config');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AUTH_PASSWORD_CHANGE_REQUIRED');
    const changed = await web.request('POST', '/session/password', {
      current: password,
      new: 'a new admin passphrase',
    });
    expect(changed.status).toBe(200);
    expect((await web.request('GET', '/config')).status).toBe(200);
    // Logged in, the health says what this host can run: a real kernel's IPVS (Debian's modules).
    const capabilities = (await web.request('GET', '/health')).body.capabilities as {
      id: string;
      available: boolean;
    }[];
    expect(capabilities.find((c) => c.id === 'ipvs')?.available).toBe(true);
    // The first-boot password is gone, from the data directory and from the banner.
    const files = await guest(
      'for i in $(seq 1 30); do grep -q "password chosen" /run/sluice/issue && break; sleep 1; done; ls /var/lib/sluice; cat /run/sluice/issue',
    );
    expect(files).not.toContain('initial-password');
    expect(files).not.toContain(password);
    expect(files).toContain('Web UI login: user admin, with the password chosen at the first login');
    report.guest = {
      kernel: (await guest('uname -r')).trim(),
      machineId: (await guest('cat /etc/machine-id')).trim(),
    };
  });

  it("runs the wizard's Layer 4 NAT service; a client's requests through the VIP reach both real servers", async () => {
    // The real servers' network behind the appliance (the NAT arm: a bridge of the test's own,
    // its address set here too because the bridge exists before the wizard names it), and a
    // client routed to the VIP.
    await guest(`set -e
ip link add sl-back type bridge
ip link set sl-back up
ip addr add 198.51.100.1/24 dev sl-back
for server in alpha:11 bravo:12; do
  name=\${server%%:*}; host=\${server##*:}
  ip netns add vm-$name
  ip link add vm-$name type veth peer name eth0 netns vm-$name
  ip link set vm-$name master sl-back up
  ip -n vm-$name link set lo up
  ip -n vm-$name addr add 198.51.100.$host/24 dev eth0
  ip -n vm-$name link set eth0 up
  ip -n vm-$name route add default via 198.51.100.1
  mkdir -p /run/vm-$name && echo \${name}_server > /run/vm-$name/index.html
  ip netns exec vm-$name setsid /usr/lib/sluice/node -e 'require("node:http").createServer((q, s) => s.end(require("node:fs").readFileSync(process.argv[1]))).listen(80, process.argv[2])' /run/vm-$name/index.html 198.51.100.$host </dev/null >/dev/null 2>&1 &
done
ip netns add vm-client
ip link add vm-client type veth peer name eth0 netns vm-client
ip addr add 203.0.113.1/24 dev vm-client
ip link set vm-client up
ip -n vm-client link set lo up
ip -n vm-client addr add 203.0.113.21/24 dev eth0
ip -n vm-client link set eth0 up
ip -n vm-client route add default via 203.0.113.1`);

    // The browser's wizard: GET /config ({ version, config }), the answers, PUT at that version.
    const { version, config } = (await web.request('GET', '/config')).body as {
      version: number;
      config: ApplianceConfig;
    };
    const answers: WizardAnswers = {
      address: `${FACTORY}/24`,
      interface: 'eth0',
      gateway: '',
      mode: 'nat',
      internalAddress: '198.51.100.1/24',
      internalInterface: 'sl-back',
      label: 'web',
      vip: VIP,
      port: 80,
      serverLabel: 'alpha',
      serverAddress: '198.51.100.11',
      serverPort: 80,
      moreServers: [{ label: 'bravo', address: '198.51.100.12', port: 80 }],
    };
    expect(answerIssues(config, answers)).toEqual([]);
    const candidate = buildConfig(config, answers);
    const written = await web.request('PUT', '/config', candidate, `?version=${version}`);
    expect(written.status).toBe(200);
    // The wizard changed this node's own addresses: a trial the admin confirms from the
    // banner (rolled back in two minutes otherwise), as the web UI does.
    await confirmNetworkTrial(web);

    // Until both real servers have passed their health checks (seconds under TCG), then twenty requests.
    const answered = await guest(`seen=''
for i in $(seq 1 120); do
  seen="$seen $(ip netns exec vm-client curl -s --max-time 2 http://${VIP}/)"
  case $seen in *alpha_server*bravo_server*|*bravo_server*alpha_server*) break;; esac
  sleep 1
done
for i in $(seq 1 20); do ip netns exec vm-client curl -s --max-time 5 http://${VIP}/; done
ipvsadm -Ln`);
    const pages = answered.split('\n').filter((line) => line.endsWith('_server'));
    expect(pages).toHaveLength(20);
    expect(new Set(pages)).toEqual(new Set(['alpha_server', 'bravo_server']));
    expect(answered).toContain(`TCP  ${VIP}:80`);
    // The appliance's HAProxy only: Debian's own haproxy.service is off in the image.
    expect((await guest('systemctl is-enabled haproxy.service || true')).trim()).toBe('disabled');
    // BIRD 2 is there for an ECMP cluster's announcements, run by the daemon: Debian's own is off.
    expect((await guest('command -v bird && systemctl is-enabled bird.service || true')).trim()).toBe(
      '/usr/sbin/bird\ndisabled',
    );
    report.ipvs = answered.slice(answered.indexOf('IP Virtual Server'));
  });

  it('keeps an address, the default gateway and the DNS servers set through the web UI across a reboot', async () => {
    // qemu's user network: its router is .2 and its DNS .3 of the factory address's network.
    const extra = '192.0.2.22/24';
    const gateway = '192.0.2.2';
    const dns = '192.0.2.3';
    const { version, config } = (await web.request('GET', '/config')).body as {
      version: number;
      config: ApplianceConfig;
    };
    const network = structuredClone(config.network);
    const eth0 = network.interfaces.find((i) => i.name === 'eth0');
    expect(eth0).toBeDefined();
    eth0?.addresses.push(extra);
    network.defaultGateway = { ipv4: gateway };
    network.dns = { servers: [dns], searchDomains: ['example.net'] };
    const written = await web.request('PUT', '/config', { ...config, network }, `?version=${version}`);
    expect(written.status).toBe(200);
    await confirmNetworkTrial(web);

    const applied = () =>
      guest(`ip -4 -o addr show dev eth0; ip -4 route show default; resolvectl dns; resolvectl domain`);
    const expectApplied = (seen: string) => {
      expect(seen).toContain(`inet ${extra}`);
      expect(seen).toContain(`inet ${FACTORY}/24`);
      expect(seen).toMatch(new RegExp(`default via ${gateway.replaceAll('.', '\\.')} dev eth0`));
      expect(seen).toMatch(new RegExp(`Global: ${dns.replaceAll('.', '\\.')}`));
      expect(seen).toContain('example.net');
    };
    const before = await waitForGuest(
      applied,
      (seen) => seen.includes(`inet ${extra}`) && seen.includes('default via'),
    );
    expectApplied(before);

    // A reboot (the same qemu process boots again): the banner comes back, then the WUI.
    const bootsBefore = vm?.serial().split('sluice login: ').length ?? 0;
    await guest('systemctl reboot', MINUTE).catch(() => undefined);
    const started = performance.now();
    for (;;) {
      if ((vm?.serial().split('sluice login: ').length ?? 0) > bootsBefore) break;
      if (performance.now() - started > 25 * MINUTE) throw new Error('the guest did not come back to its login prompt');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    report.rebootToWuiSeconds = Math.round((performance.now() - started + (await wuiUp(web.base, 10 * MINUTE))) / 1000);
    const after = await waitForGuest(applied, (seen) => seen.includes(`inet ${extra}`) && seen.includes('default via'));
    expectApplied(after);
    report.afterReboot = after;
    // The appliance's own files say it (networkd's and resolved's), not a leftover of the last boot.
    const files = await guest('cat /etc/systemd/network/10-sluice-*.network /etc/systemd/resolved.conf.d/*sluice*');
    expect(files).toContain(`Address=${extra}`);
    expect(files).toContain(`Gateway=${gateway}`);
    expect(files).toContain(dns);
    await vm?.stop();
    vm = undefined;
  });
});

describe('the virtual appliance (OVA)', () => {
  it('holds the OVF descriptor first, the streamOptimized VMDK, then a manifest whose SHA256 lines match', async () => {
    const ova = join(OUT, image.ova);
    const members = execFileSync('tar', ['-tf', ova], { encoding: 'utf8' }).trim().split('\n');
    const base = image.ova.replace(/\.ova$/, '');
    expect(members).toEqual([`${base}.ovf`, `${base}-disk1.vmdk`, `${base}.mf`]);
    const dir = join(OUT, 'ova');
    mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xf', ova, '-C', dir]);
    const [ovfName, vmdkName, mfName] = members as [string, string, string];
    const ovf = readFileSync(join(dir, ovfName), 'utf8');
    expect(ovf).toContain(
      `<File ovf:href="${vmdkName}" ovf:id="file1" ovf:size="${statSync(join(dir, vmdkName)).size}"/>`,
    );
    expect(ovf).toContain('vmdk.html#streamOptimized');
    expect(ovf).toContain(`ovf:capacity="${image.bytes.raw}"`);
    expect(ovf.match(/<rasd:ResourceType>10<\/rasd:ResourceType>/g)).toHaveLength(2);
    expect(ovf).toMatch(/<rasd:ResourceType>3<\/rasd:ResourceType>\s*<rasd:VirtualQuantity>2</);
    expect(ovf).toMatch(/<rasd:ResourceType>4<\/rasd:ResourceType>\s*<rasd:VirtualQuantity>2048</);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', join(dir, vmdkName)], { encoding: 'utf8' }),
    );
    expect(info['format-specific']?.data?.['create-type']).toBe('streamOptimized');
    const sha = (file: string) =>
      createHash('sha256')
        .update(readFileSync(join(dir, file)))
        .digest('hex');
    expect(readFileSync(join(dir, mfName), 'utf8')).toBe(
      `SHA256(${ovfName})= ${sha(ovfName)}\nSHA256(${vmdkName})= ${sha(vmdkName)}\n`,
    );
  });

  it('its VMDK boots to the login prompt', async () => {
    // One machine at a time (a failed test above may have left its guest running).
    await vm?.stop();
    const base = image.ova.replace(/\.ova$/, '');
    vm = await bootQemu({
      disk: join(OUT, 'ova', `${base}-disk1.vmdk`),
      format: 'vmdk',
      // What any firmware reads, and NICs of another kind than the qcow2's boot.
      diskBus: 'ide',
      nic: 'e1000',
      serialLog: join(OUT, 'serial-vmdk.log'),
    });
    await vm.waitForSerial(/sluice login: /, 25 * MINUTE);
    expect(vm.serial()).toContain('Sluice load balancer appliance');
    await vm.stop();
    vm = undefined;
  });
});
