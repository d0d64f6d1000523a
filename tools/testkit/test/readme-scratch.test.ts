// The scratch project a README's examples run in holds each package as its tarball unpacks
// and links only the dependencies the package declares: an import of an undeclared one
// fails there as it would for a user, and a declared one missing from the monorepo fails
// the setup, naming it.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeScratchProject } from '../src/readme/scratch.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const exec = promisify(execFile);
let dir: string;

function fixturePackage(dependencies: Record<string, string>, code: string): string {
  const pkg = join(dir, 'pkg');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'index.js'), code);
  writeFileSync(join(pkg, 'bin.js'), '#!/usr/bin/env node\n');
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: '@sluice/fixture',
      version: '1.2.3',
      type: 'module',
      exports: './dist/index.js',
      bin: { 'sluice-fixture': './bin.js' },
      files: ['dist', 'bin.js'],
      dependencies,
    }),
  );
  writeFileSync(join(pkg, 'notes.txt'), 'not in files: not in the tarball\n');
  return pkg;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-scratch-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the scratch project', () => {
  it('holds the tarball’s files and bins, and the declared dependencies linked from the monorepo', async () => {
    const pkg = fixturePackage({ zod: '*' }, "import { z } from 'zod';\nexport const ok = z.string().parse('yes');\n");
    const scratch = await makeScratchProject([pkg], repo);
    try {
      expect(scratch.packages).toEqual({ '@sluice/fixture': '1.2.3' });
      expect(JSON.parse(readFileSync(join(scratch.dir, 'package.json'), 'utf8')).type).toBe('module');
      const installed = join(scratch.dir, 'node_modules', '@sluice', 'fixture');
      expect(() => readFileSync(join(installed, 'notes.txt'))).toThrow();
      expect(readFileSync(join(scratch.dir, 'node_modules', '.bin', 'sluice-fixture'), 'utf8')).toContain('node');
      const { stdout } = await exec(
        process.execPath,
        ['--input-type=module', '-e', "console.log((await import('@sluice/fixture')).ok)"],
        { cwd: scratch.dir },
      );
      expect(stdout).toBe('yes\n');
    } finally {
      scratch.remove();
    }
  });

  it('an import of an undeclared dependency fails, though the monorepo has it', async () => {
    const pkg = fixturePackage({}, "export { z } from 'zod';\n");
    const scratch = await makeScratchProject([pkg], repo);
    try {
      await expect(
        exec(process.execPath, ['--input-type=module', '-e', "await import('@sluice/fixture')"], { cwd: scratch.dir }),
      ).rejects.toThrow(/Cannot find package 'zod'/);
    } finally {
      scratch.remove();
    }
  });

  it('a declared dependency the monorepo has not installed fails the setup, named', async () => {
    const pkg = fixturePackage({ 'no-such-package-here': '1.0.0' }, 'export {};\n');
    await expect(makeScratchProject([pkg], repo)).rejects.toMatchObject({
      code: 'TESTKIT_MISSING_PACKAGE',
      message: expect.stringContaining('no-such-package-here'),
    });
  });
});
