/**
 * Starts and stops one BIRD 2 daemon, in this network namespace or a named one. BIRD runs in
 * the foreground (`-f`) as our child, so that its death is seen at once and nothing needs
 * its pid file to find it; its own paths (`-c`, `-s`, `-P`) let several run side by side
 * without systemd (one per namespace in the tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { ApplianceError } from '../../errors.js';
import { BirdControl } from './birdc.js';

export interface BirdProcessOptions {
  configFile: string;
  socketPath: string;
  pidFile: string;
  /** A named network namespace (`ip netns exec NAME bird ...`); without it, this one. */
  netns?: string;
  /** The `bird` program; default: found on PATH, /usr/sbin or /sbin. */
  binary?: string;
  /** How long to wait for the control socket to answer (default 10 s). */
  startTimeoutMs?: number;
  /** For every control request (default 5 s). */
  requestTimeoutMs?: number;
}

const unavailable = (message: string, cause?: unknown) =>
  new ApplianceError('BGP_UNAVAILABLE', message, cause === undefined ? {} : { cause });

/** The path of BIRD 2's `bird`; BGP_UNAVAILABLE naming the Debian package if there is none. */
export function birdBinary(
  path = process.env.PATH ?? '',
  fallbacks: readonly string[] = ['/usr/sbin', '/sbin'],
): string {
  // Debian puts it in /usr/sbin, which a non-login PATH often lacks.
  for (const dir of [...path.split(':'), ...fallbacks]) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/bird`, constants.X_OK);
      return `${dir}/bird`;
    } catch {
      // not here
    }
  }
  throw unavailable('BIRD 2 is not installed: the `bird` program is on no path (install the Debian package bird2)');
}

/** util-linux's setpriv, which Debian always has (an essential package). */
function setprivBinary(): string {
  for (const path of ['/usr/bin/setpriv', '/bin/setpriv']) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw unavailable('setpriv (util-linux) is not installed: BIRD could outlive the appliance');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class BirdProcess {
  readonly control: BirdControl;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private exitStatus: string | undefined;
  private stderr = '';

  private constructor(child: ChildProcess, control: BirdControl) {
    this.child = child;
    this.control = control;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Keep the end: BIRD's reason for refusing to start comes last.
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        this.exitStatus = error.message;
        resolve();
      });
    });
  }

  /** Starts BIRD and waits until its control socket answers. */
  static async start(options: BirdProcessOptions): Promise<BirdProcess> {
    const bird = options.binary ?? birdBinary();
    // BIRD dies with us: setpriv (util-linux, always on Debian) asks the kernel to send it
    // SIGTERM when its parent, the daemon, dies, even of SIGKILL. A BIRD outliving a crashed
    // daemon would go on announcing VIPs that nobody checks; this way its Cease makes the
    // routers withdraw them at once, and the restarted daemon announces what it finds healthy.
    const command = [
      setprivBinary(),
      '--pdeathsig',
      'TERM',
      bird,
      ...['-f', '-c', options.configFile, '-s', options.socketPath, '-P', options.pidFile],
    ];
    // `ip netns exec` and setpriv exec in place, so the child's pid is bird's own and SIGTERM reaches it.
    const [file, ...args] = (
      options.netns === undefined ? command : ['ip', 'netns', 'exec', options.netns, ...command]
    ) as [string, ...string[]];
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const control = new BirdControl({ socketPath: options.socketPath, timeoutMs: options.requestTimeoutMs });
    const daemon = new BirdProcess(child, control);
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    for (;;) {
      if (daemon.exitStatus !== undefined) {
        throw unavailable(`bird stopped at start (${daemon.exitStatus}): ${daemon.stderr.trim() || 'no message'}`);
      }
      try {
        await control.request('show status');
        return daemon;
      } catch (error) {
        if (Date.now() > deadline) {
          await daemon.stop();
          throw unavailable(`bird's control socket ${options.socketPath} did not answer after its start`, error);
        }
      }
      await sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the daemon is still running. */
  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /**
   * SIGTERM: BIRD closes its sessions with a Cease notification, so the peers withdraw its
   * routes at once instead of after the hold time. SIGKILL if it has not gone after `graceMs`.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exitStatus !== undefined) return;
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
