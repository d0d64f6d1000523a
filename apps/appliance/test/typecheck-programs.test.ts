import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The daemon and the web UI are typechecked as two programs (src/tsconfig.json: Node's
 * types, no DOM; src/ui/tsconfig.json: the DOM's, no Node's), and the model is in both.
 * These probes hold that, so the split cannot rot into one permissive program again: each is
 * a file compiled with a program's own options, which must take it or refuse it.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const DAEMON = join(root, 'src', 'tsconfig.json');
const UI = join(root, 'src', 'ui', 'tsconfig.json');

let dir: string;
beforeAll(async () => {
  // Inside the package (.cache/ is ignored by git), so the programs find @types/node as they do in src/.
  await mkdir(join(root, '.cache'), { recursive: true });
  dir = await mkdtemp(join(root, '.cache', 'typecheck-probe-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tsc, ...args, '--pretty', 'false'], { cwd: root }, (_error, stdout) => resolve(stdout));
  });
}

/** The error codes tsc gives for `source` compiled under `config`'s options, by line. */
async function errors(config: string, name: string, source: string): Promise<string[]> {
  const probe = join(dir, name);
  await mkdir(probe, { recursive: true });
  await writeFile(join(probe, 'probe.ts'), source);
  await writeFile(join(probe, 'tsconfig.json'), JSON.stringify({ extends: config, files: ['probe.ts'], include: [] }));
  const output = await run(['-p', join(probe, 'tsconfig.json')]);
  return [...output.matchAll(/probe\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => `line ${m[1]}: ${m[2]}`);
}

/** The package's own files in a program, relative to the package. */
async function files(config: string): Promise<string[]> {
  const output = await run(['-p', config, '--listFilesOnly']);
  return output
    .split('\n')
    .filter((line) => line.startsWith(root) || line.includes('@types/node'))
    .map((line) => (line.startsWith(root) ? line.slice(root.length) : line));
}

describe('the daemon and the UI typecheck as two programs', () => {
  it("gives the daemon Node's types and refuses the DOM's (a daemon file using document)", async () => {
    const source = 'export const cwd = process.cwd();\nexport const title = document.title;\n';
    expect(await errors(DAEMON, 'daemon', source)).toEqual(['line 2: TS2584']);
  });

  it("gives the UI the DOM's types and refuses Node's (a model file importing node:net)", async () => {
    const source =
      "export const title = document.title;\nimport { isIPv4 } from 'node:net';\nexport const v4 = isIPv4('192.0.2.1');\n";
    const found = await errors(UI, 'ui', source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^line 2: TS(2591|2307)$/);
  });

  it('puts the model in both programs, the UI only in its own, and nothing of Node in the UI', async () => {
    const [daemon, ui] = await Promise.all([files(DAEMON), files(UI)]);
    expect(daemon).toContain('src/model/schema.ts');
    expect(daemon).toContain('src/daemon/daemon.ts');
    expect(daemon.filter((file) => file.startsWith('src/ui/'))).toEqual([]);
    expect(ui).toContain('src/model/schema.ts');
    expect(ui).toContain('src/ui/main.ts');
    // The UI takes in the model and the error class, nothing else of the package and nothing of Node.
    expect(ui.filter((file) => !/^src\/(ui|model)\/|^src\/errors\.ts$/.test(file))).toEqual([]);
  });
});
