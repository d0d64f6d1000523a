import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleConfig } from './fixtures/sample-config.js';

// The built CLI, as a user runs it: exit status, text and JSON.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir = '';

function run(...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], (error, stdout) => {
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-validate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sluice-appliance validate', () => {
  it('accepts a valid configuration and still prints its warnings', async () => {
    const file = join(dir, 'good.json');
    await writeFile(file, JSON.stringify(sampleConfig()));
    const { code, stdout } = await run('validate', file);
    expect(code).toBe(0);
    expect(stdout).toContain(`${file}: valid`);
    expect(stdout).toMatch(/warning CONFIG_NAT_GATEWAY: layer4\[1\]/);
  });

  it('refuses what only the Layer 7 model refuses, as a write would, exit 1', async () => {
    const config = sampleConfig();
    const service = config.layer7?.[0];
    if (service === undefined) throw new Error('the sample has a Layer 7 service');
    service.ports = [{ from: 20000, to: 23000 }];
    const file = join(dir, 'ports.json');
    await writeFile(file, JSON.stringify(config));
    const { code, stdout } = await run('validate', file);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^error CONFIG_CONFLICT: layer7\[0\]\.ports: /m);
  });

  it('names every error with its code and field, exit 1', async () => {
    const config = sampleConfig();
    const service = config.layer4?.[0];
    if (!service?.realServers?.[0]) throw new Error('fixture changed');
    service.realServers[0].port = 8080;
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify(config));
    const { code, stdout } = await run('validate', file, '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { valid: boolean; errors: { code: string; field: string }[] };
    expect(report.valid).toBe(false);
    expect(report.errors).toContainEqual(
      expect.objectContaining({ code: 'CONFIG_PORT_TRANSLATION', field: 'layer4[0].realServers[0].port' }),
    );
  });

  it('exits 2 for a file that is not JSON or does not exist', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ not json');
    expect((await run('validate', file)).code).toBe(2);
    const missing = await run('validate', join(dir, 'missing.json'), '--json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, error: { code: 'CONFIG_UNREADABLE' } });
  });
});
