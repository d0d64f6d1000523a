import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HaEngineClient } from '../../src/ha/engine-process/client.js';
import { PROTOCOL } from '../../src/ha/engine-process/protocol.js';
import { haEnginePid } from '../e2e/harness/ha-engine.js';

const HUNG = fileURLToPath(new URL('./fixtures/hung-engine.mjs', import.meta.url));

describe("the daemon's stop with an HA engine that does not answer", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('kills the engine after the shutdown bound and says so, instead of waiting forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-hung-engine-'));
    dirs.push(dir);
    process.env.HUNG_ENGINE_PROTOCOL = String(PROTOCOL);
    const said: string[] = [];
    const pidFile = join(dir, 'ha-engine.pid');
    const client = new HaEngineClient({
      socketPath: join(dir, 'ha-engine.sock'),
      pidFile,
      logFile: join(dir, 'ha-engine.log'),
      entry: HUNG,
      niceness: null,
      shutdownTimeoutMs: 300,
      log: (level, message) => said.push(`${level} ${message}`),
    });
    await client.connect();
    const pid = client.pid;
    expect(pid).toBeGreaterThan(0);
    expect(await haEnginePid(pidFile)).toBe(pid);
    await client.shutdown();
    expect(said.at(-1)).toBe(`error HA engine (pid ${pid}) did not stop within 300 ms: killed`);
    await expect.poll(() => haEnginePid(pidFile)).toBeUndefined();
  });
});
