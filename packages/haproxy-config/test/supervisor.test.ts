// The supervisor's logic with fakes: a fake `haproxy -c`, a fake process and a fake
// master socket. The real thing is in supervisor.netns.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliTransport, type ProcessRunner, Supervisor, type SupervisorOptions } from '../src/index.js';

class FakeChild extends EventEmitter {
  static next = 100;
  readonly pid = FakeChild.next++;
  exitCode: number | null = null;
  signalCode: string | null = null;
  stdout = null;
  stderr = null;
  unref(): void {}
  kill(signal = 'SIGTERM'): boolean {
    this.signalCode = signal;
    setImmediate(() => this.emit('exit', null, signal));
    return true;
  }
}

/** A master that runs one worker and replaces it on `reload` (unless told to fail). */
class FakeMaster {
  worker = 1000;
  masterPid = 1;
  /** No master answers on the socket. */
  absent = false;
  /** The master runs no worker (its last one failed) until the next reload. */
  workerless = false;
  reloads = 0;
  failReloads = false;
  commands: string[] = [];
  transport: CliTransport = async (command) => {
    this.commands.push(command);
    if (this.absent) throw Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' });
    if (command === 'show proc') {
      return `#<PID> <type> <reloads> <uptime> <version>\n${this.masterPid} master ${this.reloads} [failed: 0] 0d00h00m01s 2.6\n# workers\n${this.workerless ? '' : `${this.worker} worker 0 0d00h00m01s 2.6\n`}`;
    }
    if (command === 'reload') {
      if (!this.failReloads) {
        this.workerless = false;
        this.reloads++;
        this.worker++;
      }
      return '';
    }
    if (command === '@1 show servers state') return '1\n# be_id be_name srv_id srv_name\n3 app 1 s1';
    return 'Unknown command.';
  };
}

// `haproxy -c` accepts any text without the word "invalid".
const runner: ProcessRunner = async (_file, args) => {
  const text = await readFile(args.at(-1) as string, 'utf8');
  return text.includes('invalid')
    ? { code: 1, stdout: '', stderr: `[ALERT]    (1) : config : parsing [${args.at(-1)}:3] : invalid thing\n` }
    : { code: 0, stdout: 'Configuration file is valid\n', stderr: '' };
};

let dir: string;
let master: FakeMaster;
let launches: FakeChild[];

function supervisor(options: Partial<SupervisorOptions> = {}): Supervisor {
  return new Supervisor({
    configPath: join(dir, 'haproxy.cfg'),
    masterSocket: join(dir, 'master.sock'),
    stateFile: join(dir, 'state'),
    runner,
    masterTransport: master.transport,
    launcher: () => {
      const child = new FakeChild();
      launches.push(child);
      return child as unknown as ChildProcess;
    },
    coalesceMs: 20,
    readyTimeoutMs: 1000,
    restartDelayMs: 20,
    ...options,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-supervisor-'));
  master = new FakeMaster();
  launches = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Supervisor (logic)', () => {
  it('does not start HAProxy with a configuration that does not validate', async () => {
    const result = await supervisor().start('global\n    invalid\n');
    expect(result.applied).toBe(false);
    expect(result.diagnostics).toEqual([{ severity: 'alert', line: 3, message: 'invalid thing' }]);
    expect(launches).toHaveLength(0);
  });

  it('starts, then folds a burst of applies into one reload of the newest text', async () => {
    const s = supervisor();
    expect(await s.start('global # v0\n')).toMatchObject({ applied: true, reload: 0 });
    expect(launches).toHaveLength(1);
    const results = await Promise.all(['v1', 'v2', 'v3'].map((v) => s.apply(`global # ${v}\n`)));
    expect(results.map((r) => r.reload)).toEqual([1, 1, 1]);
    expect(master.commands.filter((c) => c === 'reload')).toHaveLength(1);
    expect(await readFile(join(dir, 'haproxy.cfg'), 'utf8')).toBe('global # v3\n');
    expect(s.running).toBe('global # v3\n');
    // The server states were saved before the reload, for the new worker to load.
    expect(await readFile(join(dir, 'state'), 'utf8')).toContain('3 app 1 s1');
    await s.stop();
  });

  it('refuses an invalid apply without touching the running configuration', async () => {
    const s = supervisor();
    await s.start('global # good\n');
    const result = await s.apply('global\n    invalid\n');
    expect(result.applied).toBe(false);
    expect(master.commands).not.toContain('reload');
    expect(await readFile(join(dir, 'haproxy.cfg'), 'utf8')).toBe('global # good\n');
    await s.stop();
  });

  it('fails with HAPROXY_RELOAD_FAILED when no new worker appears', async () => {
    const s = supervisor({ readyTimeoutMs: 200 });
    await s.start('global # a\n');
    master.failReloads = true;
    await expect(s.apply('global # b\n')).rejects.toMatchObject({ code: 'HAPROXY_RELOAD_FAILED' });
    expect(s.running).toBe('global # a\n');
    await s.stop();
  });

  it('rejects queued applies when stopped, and applies after that', async () => {
    const s = supervisor({ coalesceMs: 500 });
    await s.start('global # a\n');
    const queued = s.apply('global # b\n').catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 50));
    await s.stop();
    expect(await queued).toMatchObject({ code: 'HAPROXY_SUPERVISOR_STOPPED' });
    await expect(s.apply('global # c\n')).rejects.toMatchObject({ code: 'HAPROXY_SUPERVISOR_STOPPED' });
  });

  it('starts HAProxy again when it exits on its own', async () => {
    const s = supervisor();
    await s.start('global # a\n');
    const restarted = new Promise((resolve) => s.once('restart', resolve));
    launches[0]?.emit('exit', 1, null);
    expect(await restarted).toBe(launches[1]?.pid);
    expect(launches).toHaveLength(2);
    await s.stop();
  });

  it('adopts nothing when no master answers on the socket', async () => {
    master.absent = true;
    const s = supervisor();
    expect(await s.adopt('global\n')).toBeUndefined();
    expect(s.pid).toBeUndefined();
    expect(launches).toHaveLength(0);
  });

  it('adopts the master on the socket, reloads it for another text, and starts HAProxy again when it dies', async () => {
    // A real process stands for the adopted master: the supervisor checks its pid for life.
    const stand = spawn('sleep', ['60'], { stdio: 'ignore' });
    master.masterPid = stand.pid as number;
    const s = supervisor({ watchIntervalMs: 20 });
    expect(await s.adopt('global\n# one\n')).toMatchObject({ applied: true, reload: 1 });
    expect(s.pid).toBe(stand.pid);
    expect(launches).toHaveLength(0);
    expect(master.commands.filter((c) => c === 'reload')).toHaveLength(1);
    const restarted = new Promise<number>((resolve) => s.once('restart', resolve));
    stand.kill('SIGKILL');
    expect(await restarted).toBe(launches[0]?.pid);
    expect(s.pid).toBe(launches[0]?.pid);
    await s.stop();
  });

  it('detach() leaves HAProxy running and refuses applies after it', async () => {
    const s = supervisor();
    await s.start('global\n');
    await s.detach();
    expect(launches[0]?.signalCode).toBeNull();
    expect(s.pid).toBeUndefined();
    await expect(s.apply('global\n# two\n')).rejects.toMatchObject({ code: 'HAPROXY_SUPERVISOR_STOPPED' });
  });

  it('adopts a master running the same text without a reload, unless it has no worker', async () => {
    const stand = spawn('sleep', ['60'], { stdio: 'ignore' });
    master.masterPid = stand.pid as number;
    try {
      const first = supervisor();
      await writeFile(join(dir, 'haproxy.cfg'), 'global\n');
      expect(await first.adopt('global\n')).toEqual({ applied: true, diagnostics: [], reload: 0 });
      await first.detach();
      master.workerless = true;
      const second = supervisor();
      expect(await second.adopt('global\n')).toMatchObject({ applied: true, reload: 1 });
      expect(master.commands.filter((c) => c === 'reload')).toHaveLength(1);
      await second.detach();
    } finally {
      stand.kill('SIGKILL');
    }
  });
});
