import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from '../errors.js';
import { UML_DIR } from '../paths.js';
import type { KernelAssets } from './assets.js';
import { startUml, umlArgs } from './process.js';
import { jobScript, shellQuote } from './shell.js';

/**
 * Modules loaded at boot: IPVS with every scheduler, and what the topologies need (veth,
 * bridges, tunnels, dummy links, conntrack and nftables for NAT and firewall tests).
 * modprobe follows modules.dep, so dependencies need not be listed.
 */
export const BOOT_MODULES = [
  'ipv6',
  'ip_vs',
  ...['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'].map((s) => `ip_vs_${s}`),
  'veth',
  'bridge',
  'ipip',
  'ip6_tunnel',
  'dummy',
] as const;

export interface KernelRunOptions {
  /** The command, or a function of the job directory (same path in guest and host). */
  command: readonly string[] | ((jobDir: string) => readonly string[]);
  cwd?: string;
  /** The guest's whole environment (nothing else leaks in). Default: PATH, HOME, CI, SLUICE_*. */
  env?: Record<string, string>;
  /** Watchdog: the VM is killed after this long. */
  timeoutMs?: number;
  /** Guest memory in MiB. */
  memoryMiB?: number;
  /** Receives the command's output (the guest's serial line) as it arrives. */
  onOutput?: (chunk: string) => void;
  /** Extra files the job may write, handed back in `files` (names inside the job dir). */
  collect?: readonly string[];
}

export interface KernelRunResult {
  exitCode: number;
  output: string;
  console: string;
  files: Record<string, string | undefined>;
  kernelVersion: string;
}

export function defaultGuestEnv(): Record<string, string> {
  const env: Record<string, string> = { HOME: '/root', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (name === 'CI' || name.startsWith('SLUICE_'))) env[name] = value;
  }
  env.SLUICE_KERNEL_MODE = 'guest';
  return env;
}

/**
 * A guest's PID 1: a #! line naming busybox, `vars` as shell assignments, then
 * `overlay-root.sh` (the kernel's file systems and LOWER under a tmpfs overlay at $R) and
 * `script`, both from the testkit's `uml/` directory.
 */
export function guestInit(busybox: string, vars: Record<string, string>, script: string): string {
  const header = Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const parts = ['overlay-root.sh', script].map((name) => readFileSync(join(UML_DIR, name), 'utf8'));
  return [`#!${busybox} sh`, ...header, ...parts].join('\n');
}

function initScript(assets: KernelAssets, jobDir: string): string {
  return guestInit(
    assets.busybox,
    {
      BB: assets.busybox,
      LOWER: '/',
      RW: jobDir,
      // Empty for a kernel with everything built in: init then loads nothing.
      MODS: assets.moduleDir ?? '',
      KVER: assets.version,
      MODULES: BOOT_MODULES.join(' '),
    },
    'init.sh',
  );
}

function modprobeHelper(assets: KernelAssets): string {
  // The kernel runs this from init's root (the host's, read-only); modules live in the chroot.
  const bb = shellQuote(assets.busybox);
  return `#!${assets.busybox} sh\nexec ${bb} chroot /mnt/root ${bb} modprobe "$@"\n`;
}

/**
 * Boots this User-Mode Linux kernel, runs one command inside it as root (the host's file
 * system read-only under an overlay, IPVS loaded) and powers off. The command's exit code
 * comes back through a file in a directory mounted read-write at the same path.
 */
export async function bootKernel(assets: KernelAssets, options: KernelRunOptions): Promise<KernelRunResult> {
  const jobDir = await mkdtemp(join(tmpdir(), 'sluice-kernel-'));
  try {
    const command = typeof options.command === 'function' ? options.command(jobDir) : options.command;
    writeFileSync(
      join(jobDir, 'job.sh'),
      jobScript({ cwd: options.cwd ?? process.cwd(), command, env: options.env ?? defaultGuestEnv() }),
    );
    writeFileSync(join(jobDir, 'init'), initScript(assets, jobDir));
    writeFileSync(join(jobDir, 'modprobe'), modprobeHelper(assets));
    chmodSync(join(jobDir, 'init'), 0o755);
    chmodSync(join(jobDir, 'modprobe'), 0o755);

    const args = umlArgs({ jobDir, init: `${jobDir}/init`, memoryMiB: options.memoryMiB ?? 1536 });
    const uml = startUml(assets.kernel, args, options.onOutput);
    const timeoutMs = options.timeoutMs ?? 20 * 60_000;
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      uml.kill();
    }, timeoutMs);
    await uml.exited;
    clearTimeout(watchdog);
    const output = uml.output();
    const console = uml.console();
    const spawnError = uml.spawnError();

    const read = (name: string) => {
      try {
        return readFileSync(join(jobDir, name), 'utf8');
      } catch {
        return undefined;
      }
    };
    const rc = read('rc');
    if (timedOut) {
      throw new TestkitError(
        'TESTKIT_TIMEOUT',
        `kernel job ${command.join(' ')} ran over ${timeoutMs} ms\n${output.slice(-4000)}`,
      );
    }
    if (rc === undefined) {
      throw new TestkitError(
        'TESTKIT_KERNEL_BOOT',
        `the UML kernel stopped without running the job (${spawnError ? spawnError.message : `exit ${uml.exitCode()}`}); console:\n${console.slice(-4000)}\noutput:\n${output.slice(-4000)}`,
      );
    }
    const files: Record<string, string | undefined> = {};
    for (const name of options.collect ?? []) files[name] = read(name);
    return { exitCode: Number(rc.trim()), output, console, files, kernelVersion: assets.version };
  } finally {
    await rm(jobDir, { recursive: true, force: true });
  }
}
