// The README examples of every public package, against the packages as users install them:
// the real tarballs (npm pack) in a scratch project, every block typechecked in one tsc run
// (strict, nodenext, skipLibCheck off), the runnable ones run by Node where their comment
// says (host, a fresh namespace, the IPVS kernel). A README whose example breaks fails here.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeExamples } from '../src/readme/blocks.js';
import { runExample } from '../src/readme/run.js';
import { makeScratchProject, type ScratchProject } from '../src/readme/scratch.js';
import { type ExampleFile, typecheckExamples, writeExamples } from '../src/readme/typecheck.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const tsc = join(repo, 'node_modules', '.bin', 'tsc');
const publicPackages = readdirSync(join(repo, 'packages')).filter(
  (name) => JSON.parse(readFileSync(join(repo, 'packages', name, 'package.json'), 'utf8')).private !== true,
);
const readmeOf = (name: string) => `packages/${name}/README.md`;
const parsed = new Map(
  publicPackages.map((name) => [
    name,
    readmeExamples(readFileSync(join(repo, readmeOf(name)), 'utf8'), readmeOf(name)),
  ]),
);

let scratch: ScratchProject;
let files: ExampleFile[] = [];
let typeErrors: string[] = [];

beforeAll(async () => {
  scratch = await makeScratchProject(
    publicPackages.map((name) => join(repo, 'packages', name)),
    repo,
  );
  files = writeExamples(
    scratch.dir,
    publicPackages.map((name) => ({ readme: readmeOf(name), dir: name, examples: parsed.get(name)?.examples ?? [] })),
  );
  typeErrors = await typecheckExamples(scratch.dir, files, tsc);
}, 300_000);

afterAll(() => scratch?.remove());

const runnable = (name: string) =>
  (parsed.get(name)?.examples ?? [])
    .filter((e) => e.claim.kind === 'run')
    .map((e) => [`line ${e.block.line} (${e.claim.kind === 'run' ? e.claim.in : ''})`, e.block.line] as const);

describe.each(publicPackages)('@sluice/%s README', (name) => {
  it('marks every TypeScript block (run, typecheck or skip)', () => {
    expect(parsed.get(name)?.faults).toEqual([]);
  });

  it('typechecks, with the package as installed from its tarball', () => {
    expect(typeErrors.filter((e) => e.startsWith(`${readmeOf(name)}:`))).toEqual([]);
  });

  it.each(runnable(name))(
    'runs the example at %s',
    async (_, line) => {
      const file = files.find((f) => f.readme === readmeOf(name) && f.example.block.line === line);
      if (!file) throw new Error(`no example at ${readmeOf(name)}:${line}`);
      const result = await runExample(scratch.dir, file);
      expect(result.exitCode, result.output).toBe(0);
    },
    300_000,
  );
});

describe('the installed packages', () => {
  it('their declarations typecheck for a user (skipLibCheck off)', () => {
    expect(typeErrors.filter((e) => !e.startsWith('packages/'))).toEqual([]);
  });
});

describe('a README whose example breaks', () => {
  // A copy of a real README with one line changed: the failure names that line.
  it('fails to typecheck, at the broken line', async () => {
    const source = readFileSync(join(repo, readmeOf('haproxy-config')), 'utf8');
    const broken = source.replace("balance: { algorithm: 'leastconn' }", "balance: { algorithm: 'fastest' }");
    expect(broken).not.toBe(source);
    const line = broken.split('\n').findIndex((l) => l.includes("'fastest'")) + 1;
    const { examples, faults } = readmeExamples(broken, 'broken/README.md');
    expect(faults).toEqual([]);
    const dir = join(scratch.dir, 'broken');
    const brokenFiles = writeExamples(dir, [{ readme: 'broken/README.md', dir: 'haproxy-config', examples }]);
    const errors = await typecheckExamples(dir, brokenFiles, tsc);
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.every((e) => e.startsWith(`broken/README.md:${line}:`)),
      errors.join('\n'),
    ).toBe(true);
  });

  it('fails to run, with what the example printed', async () => {
    const markdown = [
      '# broken',
      '',
      '<!-- example: run in=host -->',
      '```ts',
      "import { render } from '@sluice/haproxy-config';",
      "render({ frontends: [], backends: [{ name: 'app', servers: [{ name: 'a', address: 'not an address', port: 80 }] }] });",
      '```',
      '',
    ].join('\n');
    const dir = join(scratch.dir, 'broken-run');
    const [file] = writeExamples(dir, [
      { readme: 'broken/README.md', dir: 'x', examples: readmeExamples(markdown).examples },
    ]);
    if (!file) throw new Error('the broken README has no example');
    cpSync(join(scratch.dir, 'package.json'), join(dir, 'package.json'));
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    const result = await runExample(dir, file);
    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain('HaproxyConfigError');
  });
});
