import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { notifyListener } from './service/notify-listener.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cli, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const started = new Promise<{ http: number; https: number }>((resolve, reject) => {
    child.stdout.on('data', () => {
      const match = /listening: http :(\d+), https :(\d+)/.exec(out);
      if (match && out.includes('on this host:')) resolve({ http: Number(match[1]), https: Number(match[2]) });
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  // Tests that expect an exit never await `started`.
  started.catch(() => undefined);
  return { child, started, exited, output: () => out };
}

describe('sluice-appliance serve (the README run command)', () => {
  it('starts on a fresh data directory, says where the first-boot password is, serves health, stops on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
    dirs.push(dataDir);
    const daemon = serve(['--data-dir', dataDir, '--port', '0', '--https-port', '0', '--host', '127.0.0.1']);
    const ports = await daemon.started;
    const res = await fetch(`http://127.0.0.1:${ports.http}/api/v1/health`);
    expect(res.status).toBe(200);
    // Without a login only "up"; the capabilities with one (here the CLI token).
    expect((await res.json()) as object).toEqual({ status: 'ok' });
    const token = (await readFile(join(dataDir, 'cli.token'), 'utf8')).trim();
    const full = await fetch(`http://127.0.0.1:${ports.http}/api/v1/health`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await full.json()) as object).toMatchObject({ status: 'ok', capabilities: expect.any(Array) });
    expect(daemon.output()).toMatch(/(can|cannot): Layer 4 virtual services/);
    // stdout is not a terminal (under systemd it is the journal): the file, never the password.
    const file = join(dataDir, 'initial-password');
    expect(daemon.output()).toContain(
      `first start: log in as "admin" with the password in ${file} (readable by root only); you must change it`,
    );
    const password = (await readFile(file, 'utf8')).trim();
    expect(password.length).toBeGreaterThan(11);
    expect(daemon.output()).not.toContain(password);
    // Everything but health needs a login.
    const config = await fetch(`http://127.0.0.1:${ports.http}/api/v1/config`);
    expect(config.status).toBe(401);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });

  it('reports a port in use with its code and exit status 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
    dirs.push(dataDir);
    const first = serve(['--data-dir', dataDir, '--port', '0', '--https-port', '0', '--host', '127.0.0.1']);
    const ports = await first.started;
    const second = serve([
      '--data-dir',
      `${dataDir}-second`,
      '--port',
      String(ports.http),
      '--https-port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    dirs.push(`${dataDir}-second`);
    expect(await second.exited, second.output()).toBe(1);
    expect(second.output()).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the address is in use \(EADDRINUSE\)/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('as a systemd service: READY=1 once serving, log lines with their priority, SIGHUP reloads, STOPPING=1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
    dirs.push(dataDir);
    const settingsFile = join(dataDir, 'default');
    await writeFile(settingsFile, '# as /etc/default/sluice\nSLUICE_LOG_LEVEL=info\nSLUICE_LISTEN="127.0.0.1"\n');
    const socket = join(dataDir, 'notify');
    const systemd = notifyListener(socket, 6);
    await systemd.ready;
    const daemon = serve(['--data-dir', dataDir, '--port', '0', '--https-port', '0', '--settings', settingsFile], {
      NOTIFY_SOCKET: socket,
      JOURNAL_STREAM: '8:12345',
    });
    const ports = await daemon.started;
    expect((await fetch(`http://127.0.0.1:${ports.http}/api/v1/health`)).status).toBe(200);
    // Every record from the daemon's first one is a line on stdout with journald's priority prefix.
    expect(daemon.output()).toMatch(/^<6>info system: sluice appliance \S+ starting; configuration version \d+$/m);
    // A reload at level info: its records too.
    daemon.child.kill('SIGHUP');
    await expect
      .poll(daemon.output, { timeout: 20_000 })
      .toMatch(/^<6>info system: reloaded: configuration version \d+ applied$/m);
    expect(daemon.output()).toMatch(/^<6>info system: reload: applying configuration version \d+ again$/m);
    // A reload with the level raised and a port changed: the level at once, the port later.
    await writeFile(settingsFile, 'SLUICE_LOG_LEVEL=warn\nSLUICE_LISTEN=127.0.0.1\nSLUICE_HTTP_PORT=9999\n');
    daemon.child.kill('SIGHUP');
    await expect
      .poll(daemon.output, { timeout: 20_000 })
      .toContain('<4>warn system: reload: httpPort changed: takes effect at the next restart');
    // Still serving, on the same port.
    expect((await fetch(`http://127.0.0.1:${ports.http}/api/v1/health`)).status).toBe(200);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const said = await systemd.received;
    expect(said[0]).toMatch(/^READY=1\nSTATUS=serving on :\d+ and :\d+, configuration version \d+$/);
    const reloading = 'RELOADING=1\nSTATUS=reloading';
    expect(said.slice(1)).toEqual([reloading, said[0], reloading, said[0], 'STOPPING=1']);
    // At level warn the second reload's info records were not written.
    expect(daemon.output().match(/reloaded: configuration version/g)).toHaveLength(1);
  });

  it('with --json, stdout is JSON Lines: the start report and the log records, nothing else', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
    dirs.push(dataDir);
    const child = spawn(
      process.execPath,
      [cli, 'serve', '--json', '--data-dir', dataDir, '--port', '0', '--https-port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await expect.poll(() => out, { timeout: 30_000 }).toContain('"report":"start"');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.trimEnd().split('\n');
    const documents = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const reports = documents.filter((document) => document.report === 'start');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ httpPort: expect.any(Number), initialPassword: null });
    const records = documents.filter((document) => document.report === undefined);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records)
      expect(record).toMatchObject({ level: expect.any(String), message: expect.any(String) });
    expect(records.map((record) => record.message)).toContainEqual(
      expect.stringMatching(/starting; configuration version/),
    );
  });

  it('refuses --json with --log-format text (one stream, one format)', async () => {
    const both = serve(['--json', '--log-format', 'text']);
    expect(await both.exited).toBe(2);
    expect(both.output()).toContain('--json writes JSON log lines: drop --log-format text');
  });

  it('refuses a settings file with an unknown name or a bad value before starting, naming the line', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-serve-'));
    dirs.push(dataDir);
    const settingsFile = join(dataDir, 'default');
    await writeFile(settingsFile, 'SLUICE_HTTP_PORT=9080\nSLUICE_HTTPS_PROT=9443\n');
    const typo = serve(['--data-dir', dataDir, '--settings', settingsFile]);
    expect(await typo.exited).toBe(2);
    expect(typo.output()).toContain(`${settingsFile}:2: SLUICE_HTTPS_PROT is not a setting`);
    await writeFile(settingsFile, 'SLUICE_LISTEN="$(reboot)"\n');
    const shell = serve(['--data-dir', dataDir, '--settings', settingsFile]);
    expect(await shell.exited).toBe(2);
    expect(shell.output()).toContain(`${settingsFile}:1: SLUICE_LISTEN holds shell syntax: give a plain value`);
    expect(existsSync(join(dataDir, 'config'))).toBe(false);
  });

  it('refuses bad options with exit status 2', async () => {
    const bad = serve(['--port', '70000']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--port must be a port number/);
  });
});
