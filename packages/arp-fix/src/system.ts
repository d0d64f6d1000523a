import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArpFixError } from './errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** The exit status (non-zero is not an error here: callers decide). */
  exitCode: number;
}

/** Runs a program with an argument array (never a shell). */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

/** The default runner: `execFile`, no shell, a 30 s watchdog. */
export const execRunner: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          const missing = error.code === 'ENOENT';
          reject(
            new ArpFixError(
              missing ? 'ARPFIX_MISSING_BINARY' : 'ARPFIX_COMMAND_FAILED',
              missing ? `${command} is not installed` : `${command}: ${error.message}`,
              { cause: error },
            ),
          );
          return;
        }
        resolve({ stdout, stderr, exitCode: error ? Number(error.code) : 0 });
      },
    );
  });

/**
 * Everything the package reads or changes on a real server. Paths are absolute as seen
 * on the server (`/proc/sys/...`, `/etc/...`); the implementation maps them.
 */
export interface RealServerSystem {
  /** The named network namespace the system works in, if any (its change record is its own). */
  readonly netns?: string | undefined;
  /** A file under /proc that belongs to the network namespace (sysctls, /proc/net/tcp). */
  readNetProc(path: string): Promise<string | undefined>;
  /** Writes a sysctl (`path` relative to /proc/sys, slash-separated: `net/ipv4/conf/all/arp_ignore`). */
  writeSysctl(path: string, value: string): Promise<void>;
  /** Names of the IPv4 interfaces (directories of /proc/sys/net/ipv4/conf without all/default). */
  interfaces(): Promise<string[]>;
  /** A file under the root (`/etc/...`); `undefined` when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  writeFile(path: string, data: string): Promise<void>;
  removeFile(path: string): Promise<void>;
  /** The target of a symbolic link under the root; `undefined` when there is none. */
  readLink(path: string): Promise<string | undefined>;
  symlink(target: string, path: string): Promise<void>;
  /** Runs a program in the server's network namespace; fails on a non-zero exit. */
  run(command: string, args: readonly string[]): Promise<CommandResult>;
  /** Same, returning the exit status instead of failing. */
  tryRun(command: string, args: readonly string[]): Promise<CommandResult>;
}

export interface LinuxSystemOptions {
  /** Where /etc (and, without `netns`, /proc) is: `/` on a real server, a fake tree in tests. */
  root?: string;
  /**
   * A named network namespace (`ip netns`). Commands run inside it, and so do reads of
   * /proc/sys/net and /proc/net, which the kernel answers for the reader's namespace.
   */
  netns?: string;
  runner?: CommandRunner;
}

const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const SYSCTL_PATH = /^net\/(ipv4|ipv6)\/conf\/[A-Za-z0-9_.:-]{1,15}\/[a-z_]+$/;
const SYSCTL_VALUE = /^-?[0-9]{1,10}$/;

function io(error: unknown, path: string): ArpFixError {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new ArpFixError('ARPFIX_NOT_PERMITTED', `${path}: ${code} (run as root)`, { cause: error });
  }
  return new ArpFixError('ARPFIX_IO', `${path}: ${(error as Error).message}`, { cause: error });
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A Linux real server: the host itself, a namespace, or a fake tree under `root`. */
export class LinuxSystem implements RealServerSystem {
  readonly root: string;
  readonly netns: string | undefined;
  private readonly runner: CommandRunner;

  constructor(options: LinuxSystemOptions = {}) {
    this.root = options.root ?? '/';
    if (options.netns !== undefined && !NETNS.test(options.netns)) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `netns: ${JSON.stringify(options.netns)} is not a namespace name`, {
        field: 'netns',
      });
    }
    this.netns = options.netns;
    this.runner = options.runner ?? execRunner;
  }

  private under(path: string): string {
    if (!path.startsWith('/') || path.split('/').includes('..')) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `path: ${JSON.stringify(path)} must be absolute`, {
        field: 'path',
      });
    }
    return join(this.root, path);
  }

  async readNetProc(path: string): Promise<string | undefined> {
    if (!/^\/proc\/(sys\/net|net)\/[A-Za-z0-9_.:/-]+$/.test(path) || path.includes('..')) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `path: ${JSON.stringify(path)} is not a network /proc file`, {
        field: 'path',
      });
    }
    if (this.netns === undefined) return this.readFile(path);
    const result = await this.tryRun('cat', [path]);
    return result.exitCode === 0 ? result.stdout : undefined;
  }

  async writeSysctl(path: string, value: string): Promise<void> {
    if (!SYSCTL_PATH.test(path) || !SYSCTL_VALUE.test(value)) {
      throw new ArpFixError('ARPFIX_INVALID_FIELD', `sysctl ${path}=${value} is not an interface sysctl`, {
        field: 'sysctl',
      });
    }
    if (this.netns !== undefined) {
      // procps accepts the slash form, which keeps dots inside interface names (eth0.100) intact.
      await this.run('sysctl', ['-q', '-w', `${path}=${value}`]);
      return;
    }
    try {
      await writeFile(this.under(`/proc/sys/${path}`), `${value}\n`);
    } catch (error) {
      throw io(error, `/proc/sys/${path}`);
    }
  }

  async interfaces(): Promise<string[]> {
    let names: string[];
    if (this.netns !== undefined) {
      names = (await this.run('ls', ['-1', '/proc/sys/net/ipv4/conf'])).stdout.split('\n');
    } else {
      try {
        names = await readdir(this.under('/proc/sys/net/ipv4/conf'));
      } catch (error) {
        throw io(error, '/proc/sys/net/ipv4/conf');
      }
    }
    return names.filter((n) => n !== '' && n !== 'all' && n !== 'default').sort();
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.under(path), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw io(error, path);
    }
  }

  async writeFile(path: string, data: string): Promise<void> {
    try {
      await mkdir(dirname(this.under(path)), { recursive: true });
      await writeFile(this.under(path), data);
    } catch (error) {
      throw io(error, path);
    }
  }

  async removeFile(path: string): Promise<void> {
    try {
      await rm(this.under(path), { force: true });
    } catch (error) {
      throw io(error, path);
    }
  }

  async readLink(path: string): Promise<string | undefined> {
    try {
      return await readlink(this.under(path));
    } catch (error) {
      if (isMissing(error) || (error as { code?: string }).code === 'EINVAL') return undefined;
      throw io(error, path);
    }
  }

  async symlink(target: string, path: string): Promise<void> {
    try {
      await mkdir(dirname(this.under(path)), { recursive: true });
      await symlink(target, this.under(path));
    } catch (error) {
      throw io(error, path);
    }
  }

  tryRun(command: string, args: readonly string[]): Promise<CommandResult> {
    if (this.netns === undefined) return this.runner(command, args);
    return this.runner('ip', ['netns', 'exec', this.netns, command, ...args]);
  }

  async run(command: string, args: readonly string[]): Promise<CommandResult> {
    const result = await this.tryRun(command, args);
    if (result.exitCode !== 0) {
      const stderr = result.stderr.trim();
      const denied = /Operation not permitted|Permission denied/i.test(stderr);
      throw new ArpFixError(
        denied ? 'ARPFIX_NOT_PERMITTED' : 'ARPFIX_COMMAND_FAILED',
        `${[command, ...args].join(' ')}: ${stderr || `exit status ${result.exitCode}`}`,
        { cause: Object.assign(new Error(stderr), { exitCode: result.exitCode, stderr }) },
      );
    }
    return result;
  }
}
