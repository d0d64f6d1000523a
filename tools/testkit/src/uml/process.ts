import { spawn } from 'node:child_process';

/** The kernel command line both boots share: hostfs root, the serial line on stdout, the console on stderr. */
export function umlArgs(options: { jobDir: string; init: string; memoryMiB: number; extra?: readonly string[] }) {
  return [
    `mem=${options.memoryMiB}M`,
    'root=/dev/root',
    'rootfstype=hostfs',
    'rootflags=/',
    'ro',
    `init=${options.init}`,
    `uml_dir=${options.jobDir}`,
    `umid=tk${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    'con=null',
    'con0=null,fd:2',
    'ssl=null',
    'ssl0=null,fd:1',
    ...(options.extra ?? ['quiet', 'loglevel=3']),
  ];
}

export interface UmlProcess {
  /** What the guest wrote on its serial line (stdout). */
  output(): string;
  /** The last 64 KiB of the guest's console (stderr): the kernel's and systemd's messages. */
  console(): string;
  /** Resolves when the kernel process has ended (powered off, panicked or killed). */
  exited: Promise<void>;
  /** The process has ended. */
  ended(): boolean;
  exitCode(): number | null;
  /** Why it could not be started, if it could not. */
  spawnError(): Error | undefined;
  /** SIGKILLs the kernel's whole process group. */
  kill(): void;
}

/**
 * Starts a User-Mode Linux kernel. UML ignores SIGTERM and leaves helper processes: it gets
 * its own process group, which `kill()` SIGKILLs whole, as does this process's exit.
 */
export function startUml(kernel: string, args: readonly string[], onOutput?: (chunk: string) => void): UmlProcess {
  const child = spawn(kernel, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let console = '';
  let ended = false;
  let spawnError: Error | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    onOutput?.(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    console = (console + chunk).slice(-64 * 1024);
  });
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', kill);
  // A binary that cannot be executed reports 'error' (then 'close'): it did not boot.
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      ended = true;
      process.off('exit', kill);
      kill();
      resolve();
    }),
  );
  return {
    output: () => output,
    console: () => console,
    exited,
    ended: () => ended,
    exitCode: () => child.exitCode,
    spawnError: () => spawnError,
    kill,
  };
}
