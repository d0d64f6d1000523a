import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BirdProcess, birdBinary } from '../../../src/engine/bgp/bird-process.js';
import { ApplianceError } from '../../../src/errors.js';

describe('BirdProcess without BIRD', () => {
  it('finds no `bird` on an empty path and names the Debian package', () => {
    let error: unknown;
    try {
      birdBinary('/nonexistent', []);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApplianceError);
    expect((error as ApplianceError).code).toBe('BGP_UNAVAILABLE');
    expect((error as ApplianceError).message).toContain('install the Debian package bird2');
  });

  it('refuses to start a program that does not exist, at once, with BGP_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bird-process-'));
    try {
      const error = await BirdProcess.start({
        binary: join(dir, 'no-such-bird'),
        configFile: join(dir, 'bird.conf'),
        socketPath: join(dir, 'bird.ctl'),
        pidFile: join(dir, 'bird.pid'),
        startTimeoutMs: 60_000,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApplianceError);
      expect((error as ApplianceError).code).toBe('BGP_UNAVAILABLE');
      expect((error as ApplianceError).message).toMatch(
        /bird stopped at start .*no-such-bird: No such file or directory/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
