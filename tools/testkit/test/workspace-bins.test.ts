// npm links a workspace package's bin into node_modules/.bin at install time only if the
// file exists then: in a fresh clone, before any build. A bin pointing into dist/ left
// `npx sluice-testkit` asking the registry after `npm ci && npm run build`. So every bin
// is a committed file (a two-line shim importing dist/), and this checkout has it linked.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');
const bins = ['packages', 'apps', 'tools'].flatMap((group) =>
  readdirSync(join(repo, group)).flatMap((name) => {
    const dir = join(repo, group, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    return Object.entries(manifest.bin ?? {}).map(([command, path]) => ({ command, file: join(group, name, path) }));
  }),
);

describe('the workspace packages’ commands', () => {
  it('exist (the five sluice-* bins)', () => {
    expect(bins.map((b) => b.command).sort()).toEqual([
      'sluice-appliance',
      'sluice-arp-fix',
      'sluice-heartbeat',
      'sluice-ipvs',
      'sluice-testkit',
    ]);
  });

  it.each(bins)('$command is a committed file outside dist/, so npm ci links it before any build', ({ file }) => {
    expect(file).not.toMatch(/\/dist\//);
    // Fails (exit 1) for a file git does not track: a fresh clone would not have it.
    execFileSync('git', ['ls-files', '--error-unmatch', file], { cwd: repo, stdio: 'pipe' });
    expect(readFileSync(join(repo, file), 'utf8')).toMatch(/^#!\/usr\/bin\/env (-S )?node\b/);
  });

  it.each(bins)('$command is linked in node_modules/.bin to its file', ({ command, file }) => {
    expect(realpathSync(join(repo, 'node_modules', '.bin', command))).toBe(realpathSync(join(repo, file)));
  });
});
