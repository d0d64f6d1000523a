import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function serve(args: string[]) {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  it('starts on a fresh data directory, prints the first-boot password, serves health, stops on SIGTERM', async () => {
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
    expect(daemon.output()).toMatch(/first start: log in as "admin" with password \S+/);
    expect(existsSync(join(dataDir, 'initial-password'))).toBe(true);
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

  it('refuses bad options with exit status 2', async () => {
    const bad = serve(['--port', '70000']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/--port must be a port number/);
  });
});
