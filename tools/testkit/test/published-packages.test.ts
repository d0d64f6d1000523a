// Every public package of the repository packs as a user gets it from the registry, and a
// package with the faults found when one was tried (no LICENSE, maps pointing at ../src,
// sources shipped, no repository) is told apart, fault by fault.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageFaults } from '../src/publish/tarball.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const packageDir = (name: string) => join(repo, 'packages', name);
const publicPackages = readdirSync(join(repo, 'packages')).filter(
  (name) => JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')).private !== true,
);

describe('the published packages', () => {
  it('are the five the design names', () => {
    expect([...publicPackages].sort()).toEqual(['arp-fix', 'haproxy-config', 'health', 'heartbeat', 'ipvs']);
  });

  it.each(publicPackages)(
    '@sluice/%s packs with its licence, README, entry points and bins, no maps or sources, and the registry metadata',
    async (name) => {
      expect(await packageFaults(packageDir(name))).toEqual([]);
    },
  );

  it('a package with the faults a user met is told each of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
    try {
      mkdirSync(join(dir, 'dist'));
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'dist', 'index.js'), 'export {};\n');
      writeFileSync(join(dir, 'dist', 'index.js.map'), '{}\n');
      writeFileSync(join(dir, 'src', 'index.ts'), 'export {};\n');
      cpSync(join(repo, 'README.md'), join(dir, 'README.md'));
      writeFileSync(
        join(dir, 'package.json'),
        `${JSON.stringify({
          name: '@sluice/faulty',
          version: '0.0.0',
          license: 'Apache-2.0',
          type: 'module',
          exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
          files: ['dist', 'src', 'README.md'],
        })}\n`,
      );
      expect(await packageFaults(dir)).toEqual([
        'LICENSE is not in the tarball',
        'dist/index.d.ts (exports or bin) is not in the tarball',
        'dist/index.js.map: a source map whose sources are not shipped',
        'src/index.ts: not for users',
        'repository (url and directory) is missing',
        'homepage is missing',
        'bugs.url is missing',
        'keywords are missing',
        'publishConfig.access is not public',
        'publishConfig.provenance is not true',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
