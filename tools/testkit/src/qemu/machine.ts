// A whole virtual machine under qemu-system-x86_64 (SeaBIOS, the `pc` machine): what the
// virtual appliance's tests boot its disk images in. TCG (software emulation, many times
// slower) unless SLUICE_QEMU_ACCEL=kvm asks for KVM; `accel` says which ran.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { TestkitError } from '../errors.js';
import { which } from '../exec.js';

export type Accel = 'kvm' | 'tcg';

/** The console's colour and cursor sequences (ESC [ ... letter) and character set choices (ESC ( B). */
const ESC = String.fromCharCode(27);
const ESCAPES = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[()][A-Z0-9]`, 'g');

export interface QemuPortForward {
  /** The guest's address (in the user network) and port. */
  guest: string;
  guestPort: number;
}

export interface QemuOptions {
  disk: string;
  /** qemu's name for the disk's format: qcow2, vmdk, raw. */
  format: string;
  /** How the disk is attached: virtio (KVM, Proxmox, OpenStack) or ide (what any firmware reads). */
  diskBus?: 'virtio' | 'ide';
  /** The NIC model of both NICs (eth0, eth1). */
  nic?: 'virtio-net-pci' | 'e1000' | 'vmxnet3';
  /** The first NIC's user network (qemu's slirp): `192.0.2.0/24`; the host is .2, its DNS .3. */
  network?: string;
  /** Host ports on 127.0.0.1 forwarded to the guest (the key names them in `ports`). */
  forwards?: Record<string, QemuPortForward>;
  memoryMiB?: number;
  cpus?: number;
  /** The serial console's output is written here too (the test's log). */
  serialLog?: string;
}

export interface QemuMachine {
  accel: Accel;
  /** The host port on 127.0.0.1 of each forward. */
  ports: Record<string, number>;
  /** Everything the serial console printed so far. */
  serial(): string;
  /** Resolves with the match once the serial console's output (from `from` on) matches `pattern`. */
  waitForSerial(pattern: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray>;
  /** Types on the serial console. */
  type(text: string): void;
  /** Ends qemu (the guest is powered off, not shut down). */
  stop(): Promise<void>;
}

/**
 * TCG unless `SLUICE_QEMU_ACCEL=kvm` (a machine where KVM is known to boot guests). A
 * /dev/kvm that opens proves nothing: on the project's Intel hosts it is a nested
 * paravirtual hypervisor on which the guest's kernel hung after GRUB for the whole 20
 * minute timeout (2026-12-07; qemu with `-cpu host` aborts on an MSR there, other CPU
 * models crawl), while the same image boots under TCG in about a minute.
 */
export function qemuAccel(env: NodeJS.ProcessEnv = process.env): Accel {
  const asked = env.SLUICE_QEMU_ACCEL;
  if (asked === undefined || asked === '' || asked === 'tcg') return 'tcg';
  if (asked !== 'kvm') {
    throw new TestkitError(
      'TESTKIT_BAD_ACCEL',
      `SLUICE_QEMU_ACCEL must be "kvm" or "tcg", not ${JSON.stringify(asked)}`,
    );
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (cause) {
    throw new TestkitError('TESTKIT_BAD_ACCEL', 'SLUICE_QEMU_ACCEL=kvm, but /dev/kvm cannot be opened', { cause });
  }
  return 'kvm';
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for qemu to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Boots `disk` (writes go to a temporary overlay: the image stays as built). */
export async function bootQemu(options: QemuOptions): Promise<QemuMachine> {
  const qemu = which('qemu-system-x86_64');
  if (qemu === undefined) {
    throw new TestkitError(
      'TESTKIT_MISSING_BINARY',
      'qemu-system-x86_64 is missing: apt-get install qemu-system-x86 (tools/testkit/debian-packages.txt)',
    );
  }
  const accel = qemuAccel();
  const network = options.network ?? '192.0.2.0/24';
  const base = network.split('/')[0]?.split('.').slice(0, 3).join('.');
  const ports: Record<string, number> = {};
  const hostfwd: string[] = [];
  for (const [name, forward] of Object.entries(options.forwards ?? {})) {
    const port = await freePort();
    ports[name] = port;
    hostfwd.push(`hostfwd=tcp:127.0.0.1:${port}-${forward.guest}:${forward.guestPort}`);
  }
  const nic = options.nic ?? 'virtio-net-pci';
  const args = [
    '-machine',
    `pc,accel=${accel}`,
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m',
    String(options.memoryMiB ?? 2048),
    '-smp',
    String(options.cpus ?? 2),
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    'stdio',
    '-snapshot',
    '-drive',
    `file=${options.disk},format=${options.format},if=${options.diskBus ?? 'virtio'}`,
    // eth0: the user network, reachable from the host only through the forwards.
    '-netdev',
    [`user,id=n0,net=${network},host=${base}.2,dns=${base}.3,dhcpstart=${base}.15`, ...hostfwd].join(','),
    '-device',
    `${nic},netdev=n0`,
    // eth1: the second arm of the appliance's hardware, on a network of its own.
    '-netdev',
    'user,id=n1,restrict=on,net=10.0.3.0/24',
    '-device',
    `${nic},netdev=n1`,
  ];
  const child: ChildProcess = spawn(qemu, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let exited: string | undefined;
  const log: WriteStream | undefined = options.serialLog ? createWriteStream(options.serialLog) : undefined;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('latin1');
    log?.write(chunk);
    wake();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.once('exit', (code, signal) => {
    exited = `qemu ended (${signal ?? code}): ${stderr.trim()}`;
    wake();
  });
  // Escape sequences and carriage returns of the console, so that patterns see plain lines.
  const plain = (text: string) => text.replace(ESCAPES, '').replace(/\r/g, '');

  return {
    accel,
    ports,
    serial: () => plain(output),
    waitForSerial(pattern, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(plain(output).slice(from));
          if (match) return finish(() => resolve(match));
          if (exited !== undefined) {
            finish(() => reject(new TestkitError('TESTKIT_SYSTEM_STOPPED', `${exited}; waiting for ${pattern}`)));
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new TestkitError(
                  'TESTKIT_TIMEOUT',
                  `the serial console did not show ${pattern} in ${timeoutMs / 1000} s (${accel}); its last lines:\n${plain(output).split('\n').slice(-25).join('\n')}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    type(text) {
      child.stdin?.write(text);
    },
    async stop() {
      if (exited === undefined) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await gone;
      }
      await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
    },
  };
}
