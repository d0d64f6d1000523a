// `npm run image`: the virtual appliance, a Debian 12 disk image made with Debian's own tools
// from Debian's archive only (mmdebstrap, the mirrors the host's apt already uses), holding
// the appliance's .deb (built by package-deb.mjs, installed with apt), a kernel with IPVS,
// systemd (networkd, resolved, timesyncd), OpenSSH and GRUB for BIOS boot. No loop device:
// the file system is made straight into the disk file (mkfs.ext4 -d at the partition's
// offset) and GRUB's MBR and core image are written into it as grub-install would.
//
// Outputs (in --out, default build/image): sluice-appliance-<version>.qcow2 (KVM, Proxmox,
// OpenStack) and sluice-appliance-<version>.ova (VMware: OVF descriptor, streamOptimized
// VMDK, manifest), and image.json (what was built, sizes and times).
//
//   node scripts/build-image.mjs [--address 192.168.2.21/24] [--dhcp] [--authorized-key FILE]
//     [--deb FILE] [--disk-size MiB] [--out DIR]
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { hostDebianSources } from '@sluice/testkit';
import { ovfDescriptor } from './image-ovf.mjs';

const app = join(import.meta.dirname, '..');
const here = join(app, 'packaging', 'image');
const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '192.168.2.21/24' },
    dhcp: { type: 'boolean', default: false },
    'authorized-key': { type: 'string' },
    deb: { type: 'string' },
    'disk-size': { type: 'string', default: '1024' },
    out: { type: 'string' },
  },
  strict: true,
});

function fail(message) {
  console.error(`image: ${message}`);
  process.exit(1);
}
const run = (command, args, options = {}) =>
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options })?.trim() ?? '';
const started = Date.now();
const seconds = () => (Date.now() - started) / 1000;
const step = (what) => console.log(`image: ${what} (${seconds().toFixed(1)} s)`);
const MiB = 2 ** 20;

if (process.getuid?.() !== 0)
  fail('run as root (mmdebstrap --mode=root, and the files of the image are owned by root)');
if (process.arch !== 'x64') fail('the image is for amd64 and is built on amd64');
const address = values.address;
const cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(address);
if (!cidr || cidr.slice(1, 5).some((o) => Number(o) > 255) || Number(cidr[5]) > 32 || Number(cidr[5]) < 1)
  fail(`--address ${address} is not an IPv4 address with its prefix length (192.168.2.21/24)`);
const diskMiB = Number(values['disk-size']);
if (!Number.isInteger(diskMiB) || diskMiB < 256)
  fail(`--disk-size ${values['disk-size']} is not a size in MiB (≥ 256)`);
const authorizedKey = values['authorized-key'];
if (authorizedKey !== undefined && !existsSync(authorizedKey)) fail(`--authorized-key ${authorizedKey} does not exist`);

// The host's tools, each from a Debian package (tools/testkit/debian-packages.txt).
const TOOLS = {
  mmdebstrap: 'mmdebstrap',
  'mkfs.ext4': 'e2fsprogs',
  sfdisk: 'fdisk',
  'grub-mkimage': 'grub-common',
  'qemu-img': 'qemu-utils',
};
for (const [tool, pkg] of Object.entries(TOOLS)) {
  try {
    run('sh', ['-c', `command -v ${tool}`]);
  } catch {
    fail(`${tool} is missing: apt-get install ${pkg}`);
  }
}
const GRUB_PC = '/usr/lib/grub/i386-pc';
if (!existsSync(join(GRUB_PC, 'boot.img'))) fail(`${GRUB_PC}/boot.img is missing: apt-get install grub-pc-bin`);

const out = values.out ?? join(app, 'build', 'image');
const work = join(out, 'work');
// A build that failed inside mmdebstrap may leave its mounts in the root (the .deb's bind
// mount): they go first, deepest first, so that removing the old work never reaches the host.
const mounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point) => point?.startsWith(`${work}/`))
    .sort((a, b) => b.length - a.length);
for (const point of mounts()) run('umount', ['--lazy', point]);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. The appliance's .deb: the one given, or one built now by `npm run package`'s script.
function buildDeb() {
  const dir = join(work, 'deb');
  run(process.execPath, [join(import.meta.dirname, 'package-deb.mjs'), '--out', dir], { stdio: 'inherit' });
  const debs = readdirSync(dir).filter((name) => name.endsWith('.deb'));
  if (debs.length !== 1) fail(`package-deb.mjs left ${debs.length} .deb files in ${dir}`);
  return join(dir, debs[0]);
}
const deb = values.deb ?? buildDeb();
const debVersion = run('dpkg-deb', ['--field', deb, 'Version']);
const name = `sluice-appliance-${debVersion.replace(/[^A-Za-z0-9.-]/g, '.')}`;
step(`the appliance: ${basename(deb)}`);

// 2. The root, by mmdebstrap from the host's Debian archive for bookworm.
const PACKAGES = [
  // The kernel (IPVS and its schedulers are modules of Debian's), systemd as init, udev.
  'linux-image-amd64',
  'systemd',
  'systemd-sysv',
  'udev',
  'dbus',
  // initramfs-tools compresses with zstd when it is there (gzip otherwise: slower, larger).
  'zstd',
  // The system's own network, name resolution and time (the appliance writes their files).
  'systemd-resolved',
  'systemd-timesyncd',
  'openssh-server',
  // An admin's console: processes, ping, an editor, a pager, the IPVS table, an HTTP client.
  'procps',
  'iputils-ping',
  'vim-tiny',
  'less',
  'ipvsadm',
  'curl',
  // BIRD 2: an ECMP cluster node announces its VIPs over BGP through it (the daemon runs its own).
  'bird2',
];
// Nothing an appliance reads: documentation, manuals, translations; the kernel's drivers for
// sound, cameras, radios, desktop graphics and InfiniBand (no virtual machine has them).
// dpkg leaves them out as it unpacks, so the kernel's initramfs and module index are made
// without them.
const EXCLUDE = [
  '/usr/share/doc/*',
  '/usr/share/man/*',
  '/usr/share/info/*',
  '/usr/share/locale/*',
  '/usr/share/lintian/*',
  ...[
    'sound',
    'drivers/media',
    'drivers/net/wireless',
    'net/wireless',
    'net/mac80211',
    'net/bluetooth',
    'drivers/bluetooth',
    'drivers/infiniband',
    'drivers/staging',
    'drivers/isdn',
    'drivers/iio',
    'drivers/gpu/drm/amd',
    'drivers/gpu/drm/nouveau',
    'drivers/gpu/drm/radeon',
    'drivers/gpu/drm/i915',
  ].map((dir) => `/lib/modules/*/kernel/${dir}/*`),
];
// The copyrights stay (dpkg makes the directory of a file it includes; a file of an
// excluded directory such as man1 cannot be included again).
const INCLUDE = ['/usr/share/doc/*/copyright'];
const sources = join(work, 'sources.list');
writeFileSync(sources, `${(await hostDebianSources()).join('\n')}\n`);
const root = join(work, 'root');
run(
  'mmdebstrap',
  [
    '--mode=root',
    '--variant=minbase',
    `--include=${PACKAGES.join(',')}`,
    ...EXCLUDE.map((path) => `--dpkgopt=path-exclude=${path}`),
    ...INCLUDE.map((path) => `--dpkgopt=path-include=${path}`),
    // The appliance's .deb, resolved and installed by the same apt run as Debian's packages
    // (its Depends from the same archive); the hook makes the file visible inside the root.
    `--include=${deb}`,
    '--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount',
    'bookworm',
    root,
    sources,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
);
step('mmdebstrap');

// 3. The appliance's system: the image's own files, each from packaging/image.
const put = (from, to, mode = 0o644) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  copyFileSync(join(here, from), join(root, to));
  chmodSync(join(root, to), mode);
};
const write = (to, text, mode = 0o644) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  writeFileSync(join(root, to), text);
  chmodSync(join(root, to), mode);
};
const link = (target, to) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  rmSync(join(root, to), { force: true });
  symlinkSync(target, join(root, to));
};
const chroot = (script) => run('chroot', [root, 'sh', '-c', script], { stdio: ['ignore', 'inherit', 'inherit'] });

write('etc/hostname', 'sluice\n');
write('etc/hosts', '127.0.0.1\tlocalhost\n127.0.1.1\tsluice\n::1\tlocalhost ip6-localhost ip6-loopback\n');
const uuid = randomUUID();
write('etc/fstab', `UUID=${uuid}\t/\text4\terrors=remount-ro\t0\t1\n`);
// The appliance manages this host's network (addresses, routes, DNS, NTP: systemd-networkd,
// resolved and timesyncd files); the .deb leaves that off for hosts that have their own.
// The daemon refuses a settings file with a name it does not know: the setting goes in only
// when the installed appliance's code knows it.
const daemonCode = join(root, 'usr/lib/sluice/app/node_modules/@sluice/appliance/dist');
const managesHost = readdirSync(daemonCode).some(
  (file) => file.endsWith('.js') && readFileSync(join(daemonCode, file), 'utf8').includes('SLUICE_HOST_NETWORK'),
);
if (managesHost) {
  const settings = readFileSync(join(root, 'etc/default/sluice'), 'utf8');
  write(
    'etc/default/sluice',
    `${settings}\n# The virtual appliance: the web UI and API set this host's own network (systemd-networkd).\nSLUICE_HOST_NETWORK=manage\n`,
  );
} else {
  console.log(
    "image: this appliance's daemon has no SLUICE_HOST_NETWORK setting: the host's network stays the factory file's",
  );
}
write(
  'etc/systemd/network/90-sluice-factory.network',
  readFileSync(join(here, '90-sluice-factory.network'), 'utf8')
    .replaceAll('@ADDRESS@', address)
    .replace(
      '@DHCP@',
      values.dhcp ? 'DHCP=ipv4' : '# No DHCP: the factory address only (build with --dhcp for clouds).',
    ),
);
link('../run/systemd/resolve/stub-resolv.conf', 'etc/resolv.conf');
put('sluice-ssh-host-keys.service', 'etc/systemd/system/sluice-ssh-host-keys.service');
put('ssh-host-keys.conf', 'etc/systemd/system/ssh.service.d/sluice-host-keys.conf');
put('sluice-banner.service', 'etc/systemd/system/sluice-banner.service');
put('sluice-banner.path', 'etc/systemd/system/sluice-banner.path');
put('getty-banner.conf', 'etc/systemd/system/getty@.service.d/sluice-banner.conf');
put('getty-banner.conf', 'etc/systemd/system/serial-getty@.service.d/sluice-banner.conf');
put('banner', 'usr/lib/sluice/image/banner', 0o755);
put('sysctl.conf', 'etc/sysctl.d/60-sluice-appliance.conf');
put('sluice-start-timeout.conf', 'etc/systemd/system/sluice.service.d/image-start-timeout.conf');
link('/run/sluice/issue', 'etc/issue.d/50-sluice.issue');
for (const command of ['lbwizard', 'lbrestore', 'lbaddress', 'lbhelp'])
  put(command, `usr/local/sbin/${command}`, 0o755);
// Debian's haproxy.service would run an idle second HAProxy from /etc/haproxy/haproxy.cfg:
// the appliance runs its own (its configuration, its sockets), so Debian's stays off.
chroot('systemctl disable haproxy.service');
// The same for Debian's bird.service: in an ECMP cluster the daemon runs its own BIRD (its
// files under the data directory, its control socket), and a second one would only idle.
chroot('systemctl disable bird.service');
chroot(
  'systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service sluice-banner.service sluice-banner.path ssh.service sluice.service',
);
// The console's root login: a known password that must be changed at the first login
// (passwd's "expired"). Debian's sshd refuses passwords for root, so it opens the console
// only. An image built with a key is a site's: root logs in with the key and has no
// password (an expired one would stop the key's login too: PAM asks for the change first).
if (authorizedKey === undefined) chroot('echo root:sluice | chpasswd && chage -d 0 root');
else {
  chroot('passwd --lock root >/dev/null');
  mkdirSync(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  write('root/.ssh/authorized_keys', readFileSync(authorizedKey, 'utf8'), 0o600);
}
// First boot makes what must differ between appliances: the machine id (an empty file:
// systemd makes one and counts the boot as the first), the SSH host keys (the unit above),
// the admin password (the appliance's first start). Nothing of this build's stays.
write('etc/machine-id', '');
rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });
for (const key of readdirSync(join(root, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_')))
  rmSync(join(root, 'etc/ssh', key));
rmSync(join(root, 'var/lib/sluice'), { recursive: true, force: true });
mkdirSync(join(root, 'var/lib/sluice'), { mode: 0o700 });
// What the build left: logs, backup files of dpkg and debconf, temporary files.
const empty = (dir, keep = () => false) => {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (keep(path)) continue;
    if (entry.isDirectory()) empty(path, keep);
    else rmSync(path);
  }
};
empty(join(root, 'var/log'));
empty(join(root, 'tmp'));
empty(join(root, 'var/tmp'));
empty(join(root, 'var/cache/apt'));
empty(join(root, 'var/lib/apt/lists'));
for (const file of readdirSync(join(root, 'boot')).filter((f) => f.endsWith('.dpkg-bak')))
  rmSync(join(root, 'boot', file));
for (const dir of ['var/lib/dpkg', 'var/cache/debconf'])
  for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('-old'))) rmSync(join(root, dir, file));

// GRUB's menu: the serial console and the screen both, NICs named eth0, eth1 in the order
// of the bus (the manual's names; one rule for every hypervisor).
const kernels = readdirSync(join(root, 'boot')).filter((f) => f.startsWith('vmlinuz-'));
if (kernels.length !== 1) fail(`the root holds ${kernels.length} kernels (${kernels.join(', ')}), not one`);
const kernelVersion = kernels[0].slice('vmlinuz-'.length);
write(
  'boot/grub/grub.cfg',
  `serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=1
menuentry "Sluice appliance (Debian 12, ${kernelVersion})" {
  linux /boot/vmlinuz-${kernelVersion} root=UUID=${uuid} ro net.ifnames=0 console=ttyS0,115200n8 console=tty0
  initrd /boot/initrd.img-${kernelVersion}
}
`,
);
const contentBytes = Number(run('du', ['-sb', root]).split('\t')[0]);
step(`the root: ${(contentBytes / MiB).toFixed(0)} MiB`);

// 4. The disk: one MBR partition from 1 MiB, ext4 made into it from the root directory,
// GRUB's boot sector in the MBR and its core image in the gap before the partition.
const raw = join(work, `${name}.raw`);
const FS_OFFSET = MiB;
rmSync(raw, { force: true });
run('truncate', ['-s', `${diskMiB}M`, raw]);
run('mkfs.ext4', [
  '-q',
  '-F',
  '-L',
  'sluice',
  '-U',
  uuid,
  '-E',
  `offset=${FS_OFFSET}`,
  '-d',
  root,
  raw,
  `${(diskMiB * MiB - FS_OFFSET) / 1024}k`,
]);
run('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', '--wipe', 'never', raw], {
  input: 'label: dos\nstart=2048, type=83, bootable\n',
  stdio: ['pipe', 'pipe', 'inherit'],
});
const core = join(work, 'core.img');
// Everything GRUB needs is in its core image (no module is read from the disk): the
// partition, ext4, Linux, the serial console. Its prefix is the partition's /boot/grub.
run('grub-mkimage', [
  '-O',
  'i386-pc',
  '-o',
  core,
  '-p',
  '(hd0,msdos1)/boot/grub',
  'biosdisk',
  'part_msdos',
  'ext2',
  'normal',
  'linux',
  'boot',
  'serial',
  'terminal',
  'echo',
  'test',
]);
const coreImage = readFileSync(core);
if (coreImage.length > FS_OFFSET - 512)
  fail(`GRUB's core image (${coreImage.length} bytes) does not fit before the partition`);
const bootImage = readFileSync(join(GRUB_PC, 'boot.img'));
// boot.img loads the core image from the sector its kernel_sector field names (0x5c): 1 by
// default, where it goes here; the core image's own block list (grub-mkimage's) reads on from sector 2.
if (bootImage.readBigUInt64LE(0x5c) !== 1n) fail(`${GRUB_PC}/boot.img does not load its core image from sector 1`);
// grub-setup's fix for BIOSes that pass a wrong boot drive: no check, use hard disk 0x80.
bootImage[0x66] = 0x90;
bootImage[0x67] = 0x90;
const disk = openSync(raw, 'r+');
// Only the code (440 bytes): the disk signature, the partition table and 0x55aa are sfdisk's.
writeSync(disk, bootImage, 0, 440, 0);
writeSync(disk, coreImage, 0, coreImage.length, 512);
closeSync(disk);
step(`the disk: ${diskMiB} MiB raw`);

// 5. The outputs.
const qcow2 = join(out, `${name}.qcow2`);
const ova = join(out, `${name}.ova`);
for (const old of readdirSync(out).filter((f) => /\.(qcow2|ova)$/.test(f))) rmSync(join(out, old));
// Compressed clusters: the file to download is small; a guest's writes are stored plain.
run('qemu-img', ['convert', '-c', '-O', 'qcow2', raw, qcow2]);
step('qcow2');
const ovaDir = join(work, 'ova');
mkdirSync(ovaDir);
const vmdkName = `${name}-disk1.vmdk`;
const vmdk = join(ovaDir, vmdkName);
run('qemu-img', ['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, vmdk]);
const ovfName = `${name}.ovf`;
writeFileSync(
  join(ovaDir, ovfName),
  ovfDescriptor({
    name,
    version: debVersion,
    vmdkName,
    vmdkBytes: statSync(vmdk).size,
    capacityBytes: diskMiB * MiB,
    populatedBytes: contentBytes,
  }),
);
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const mfName = `${name}.mf`;
writeFileSync(
  join(ovaDir, mfName),
  [ovfName, vmdkName].map((file) => `SHA256(${file})= ${sha256(join(ovaDir, file))}\n`).join(''),
);
// An OVA is a ustar archive whose first member is the descriptor (VMware reads it first and
// then streams the disk), the manifest after the files it lists.
run('tar', [
  '--format=ustar',
  '--owner=0',
  '--group=0',
  '--numeric-owner',
  '-cf',
  ova,
  '-C',
  ovaDir,
  ovfName,
  vmdkName,
  mfName,
]);
step('ova');

const record = {
  name,
  hostNetwork: managesHost ? 'manage' : 'factory',
  version: debVersion,
  kernel: kernelVersion,
  address,
  dhcp: values.dhcp,
  authorizedKey: authorizedKey !== undefined,
  seconds: Math.round(seconds()),
  bytes: {
    content: contentBytes,
    raw: diskMiB * MiB,
    qcow2: statSync(qcow2).size,
    vmdk: statSync(vmdk).size,
    ova: statSync(ova).size,
  },
  qcow2: basename(qcow2),
  ova: basename(ova),
};
writeFileSync(join(out, 'image.json'), `${JSON.stringify(record, null, 2)}\n`);
if (!process.env.SLUICE_IMAGE_KEEP_WORK) rmSync(work, { recursive: true, force: true });
const mb = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`;
step(
  `${relative(process.cwd(), qcow2)} ${mb(record.bytes.qcow2)}, ${relative(process.cwd(), ova)} ${mb(record.bytes.ova)} (raw ${mb(record.bytes.raw)}, files ${mb(contentBytes)})`,
);
