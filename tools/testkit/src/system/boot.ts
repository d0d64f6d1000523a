// A Debian 12 system with real systemd as PID 1, booted in the rig's UML kernel (the one
// `selectKernel` chose for this CPU, so IPVS is there) for the system tests.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestkitError } from '../errors.js';
import { UML_DIR } from '../paths.js';
import type { KernelAssets } from '../uml/assets.js';
import { BOOT_MODULES, guestInit } from '../uml/boot.js';
import { startUml, type UmlProcess, umlArgs } from '../uml/process.js';
import { selectKernel } from '../uml/select.js';
import { AgentChannel, type CommandResult } from './channel.js';
import { ensureSysroot, type Sysroot } from './sysroot.js';

/**
 * Units masked in every boot: they cannot work under UML (no terminal on tty1, no block
 * devices to scrub or trim), or they would start on their own in the middle of a test
 * (apt's daily runs take dpkg's lock, which `apt-get install ./x.deb` needs).
 */
export const MASKED_UNITS = [
  'getty@tty1.service',
  'e2scrub_reap.service',
  'e2scrub_all.timer',
  'fstrim.timer',
  'apt-daily.timer',
  'apt-daily-upgrade.timer',
  'dpkg-db-backup.timer',
] as const;

/** Where the guest finds the files handed in (`debs`, `copyIn`). */
export const GUEST_FILES = '/testkit/files';

export interface SystemOptions {
  /** .deb files (host paths) to hand in: the guest finds them in /testkit/files/<name>. */
  debs?: readonly string[];
  /** Guest memory in MiB (default 1024). */
  memoryMiB?: number;
  /** How long booting may take, to systemd's end of startup (default 5 minutes). */
  bootTimeoutMs?: number;
  /** Watchdog on the whole life of the guest: it is killed after this long (default 30 minutes). */
  lifetimeMs?: number;
  log?: (line: string) => void;
}

export interface RunOptions {
  /** Default 2 minutes. The command goes on in the guest after a timeout. */
  timeoutMs?: number;
}

export interface SystemBoot {
  /** `systemctl is-system-running --wait` at the end of the boot: running, or degraded. */
  state: string;
  /** The units that failed during the boot (`systemctl --failed`), empty when running. */
  failedUnits: string[];
  /** From starting the kernel to the end of systemd's startup, seconds. */
  seconds: number;
  /** The guest's kernel release and which build of it (stock, patched or custom). */
  kernel: string;
  sysroot: Sysroot;
}

/** A booted guest. Every method fails with a coded TestkitError. */
export interface SystemHandle {
  readonly boot: SystemBoot;
  /** Runs a command as root in the guest: a string is a bash script, an array one command (quoted). */
  run(command: string | readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** As `run`, but a non-zero exit is a TESTKIT_EXEC_FAILED error quoting its output. */
  check(command: string | readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Copies a host file in; returns its path in the guest. */
  copyIn(hostPath: string): string;
  /** The last 64 KiB of the guest's console (the kernel's and systemd's early messages). */
  console(): string;
  /** Powers the guest off (systemd's shutdown), killing it if that takes over a minute. Idempotent. */
  shutdown(): Promise<void>;
}

function initScript(assets: KernelAssets, rootfs: string, jobDir: string): string {
  return guestInit(
    assets.busybox,
    {
      BB: assets.busybox,
      LOWER: rootfs,
      RW: jobDir,
      MODS: assets.moduleDir ?? '',
      KVER: assets.version,
      MODULES: BOOT_MODULES.join(' '),
      MASK: MASKED_UNITS.join(' '),
    },
    'system-init.sh',
  );
}

function copyInto(jobDir: string, hostPath: string): string {
  if (!existsSync(hostPath))
    throw new TestkitError('TESTKIT_MISSING_FILE', `${hostPath} does not exist: nothing to hand in`);
  const name = basename(hostPath);
  copyFileSync(hostPath, join(jobDir, 'files', name));
  return `${GUEST_FILES}/${name}`;
}

function why(uml: UmlProcess): string | undefined {
  if (!uml.ended()) return undefined;
  const error = uml.spawnError();
  return `${error ? error.message : `the kernel exited with ${uml.exitCode()}`}; its console:\n${uml.console().slice(-4000)}`;
}

/**
 * Boots the system tests' Debian 12 root (built with mmdebstrap, cached) with systemd as
 * PID 1 in the rig's UML kernel, through hostfs under a tmpfs overlay (the cached root stays
 * clean), hands in `debs`, and waits for the end of systemd's startup. Fails with
 * TESTKIT_SYSTEM_BOOT when systemd does not get there or ends in a state other than
 * running or degraded.
 */
export async function bootSystem(options: SystemOptions = {}): Promise<SystemHandle> {
  const log = options.log ?? ((line: string) => console.error(line));
  const sysroot = await ensureSysroot(log);
  const { assets } = await selectKernel(log);
  const jobDir = await mkdtemp(join(tmpdir(), 'sluice-system-'));
  mkdirSync(join(jobDir, 'files'));
  for (const name of ['agent.sh', 'testkit-agent.service']) copyFileSync(join(UML_DIR, name), join(jobDir, name));
  try {
    for (const deb of options.debs ?? []) copyInto(jobDir, deb);
  } catch (error) {
    await rm(jobDir, { recursive: true, force: true });
    throw error;
  }
  writeFileSync(join(jobDir, 'init'), initScript(assets, sysroot.root, jobDir));
  await chmod(join(jobDir, 'init'), 0o755);

  const started = performance.now();
  const uml = startUml(
    assets.kernel,
    // systemd prints only errors on the console: its status lines would cost the guest CPU.
    umlArgs({
      jobDir,
      init: `${jobDir}/init`,
      memoryMiB: options.memoryMiB ?? 1024,
      extra: ['loglevel=4', 'systemd.show_status=error'],
    }),
  );
  const lifetime = setTimeout(() => uml.kill(), options.lifetimeMs ?? 30 * 60_000);
  lifetime.unref();
  const channel = new AgentChannel(jobDir, () => why(uml));
  let stopped: Promise<void> | undefined;

  const shutdown = () => {
    stopped ??= (async () => {
      if (!uml.ended()) {
        channel.send('systemctl poweroff');
        // Unreferenced: a guest that powers off at once must not keep this process up a minute.
        await Promise.race([uml.exited, sleep(60_000, undefined, { ref: false })]);
      }
      uml.kill();
      await uml.exited;
      clearTimeout(lifetime);
      await rm(jobDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const bootTimeoutMs = options.bootTimeoutMs ?? 5 * 60_000;
  try {
    const deadline = Date.now() + bootTimeoutMs;
    while (!channel.ready()) {
      const gone = why(uml);
      if (gone) throw new TestkitError('TESTKIT_SYSTEM_BOOT', `the guest stopped before its agent started: ${gone}`);
      if (Date.now() > deadline) {
        throw new TestkitError(
          'TESTKIT_SYSTEM_BOOT',
          `the guest's agent did not start within ${bootTimeoutMs} ms; its console:\n${uml.console().slice(-4000)}`,
        );
      }
      await sleep(100);
    }
    const waited = await channel.run(['systemctl', 'is-system-running', '--wait'], Math.max(deadline - Date.now(), 1));
    const state = waited.stdout.trim();
    const seconds = (performance.now() - started) / 1000;
    const failed = await channel.run(['systemctl', 'list-units', '--failed', '--plain', '--no-legend'], 60_000);
    const failedUnits = failed.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean);
    if (state !== 'running' && state !== 'degraded') {
      const journal = await channel.run(['journalctl', '-b', '-p', 'warning', '--no-pager'], 60_000);
      throw new TestkitError(
        'TESTKIT_SYSTEM_BOOT',
        `systemd ended its startup ${state || 'in no state'} (${waited.stderr.trim()}); failed units: ${failedUnits.join(' ') || 'none'}; warnings in the journal:\n${journal.stdout.slice(-4000)}`,
      );
    }
    const kernel = `UML ${assets.version} (${assets.kind})`;
    log(`testkit: booted the ${sysroot.name} root with systemd in ${kernel} in ${seconds.toFixed(1)} s: ${state}`);
    const boot: SystemBoot = { state, failedUnits, seconds, kernel, sysroot };

    const run = (command: string | readonly string[], runOptions: RunOptions = {}) =>
      channel.run(command, runOptions.timeoutMs ?? 120_000);
    return {
      boot,
      run,
      async check(command, runOptions) {
        const result = await run(command, runOptions);
        if (result.code !== 0) {
          const what = typeof command === 'string' ? command : command.join(' ');
          throw new TestkitError(
            'TESTKIT_EXEC_FAILED',
            `${what} exited with ${result.code} in the guest:\n${result.stderr.slice(-4000) || result.stdout.slice(-4000)}`,
          );
        }
        return result;
      },
      copyIn: (hostPath) => copyInto(jobDir, hostPath),
      console: () => uml.console(),
      shutdown,
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
