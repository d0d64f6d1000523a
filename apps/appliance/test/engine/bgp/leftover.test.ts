import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killLeftoverBird } from '../../../src/engine/bgp/driver.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-bird-leftover-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A process that looks like `bird -f -c CONFIG` in /proc (argv[0] bird), as a crashed daemon's BIRD would. */
function fakeBird(configFile: string) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '-f', '-c', configFile], {
    argv0: '/usr/sbin/bird',
    stdio: 'ignore',
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `${code}`)));
  return { child, exited };
}

describe('a BIRD a crashed daemon left running', () => {
  it('is stopped (SIGTERM) when its pid file names a bird started with our configuration', async () => {
    const configFile = join(dir, 'bird.conf');
    const pidFile = join(dir, 'bird.pid');
    const bird = fakeBird(configFile);
    writeFileSync(pidFile, `${bird.child.pid}\n`);
    expect(await killLeftoverBird(pidFile, configFile)).toBe(true);
    expect(await bird.exited).toBe('SIGTERM');
  });

  it('leaves alone a pid that is not our bird (a reused pid, another configuration), and a missing file', async () => {
    const pidFile = join(dir, 'bird.pid');
    expect(await killLeftoverBird(pidFile, join(dir, 'bird.conf'))).toBe(false);
    writeFileSync(pidFile, `${process.pid}\n`);
    expect(await killLeftoverBird(pidFile, join(dir, 'bird.conf'))).toBe(false);
    const other = fakeBird(join(dir, 'other.conf'));
    writeFileSync(pidFile, `${other.child.pid}\n`);
    try {
      expect(await killLeftoverBird(pidFile, join(dir, 'bird.conf'))).toBe(false);
      expect(other.child.exitCode).toBeNull();
    } finally {
      other.child.kill('SIGKILL');
      await other.exited;
    }
  });
});
