/**
 * Every example of every README typechecked in one `tsc` run, in the scratch project,
 * under the settings a user starts from (strict, nodenext, Node's types) and with
 * skipLibCheck off, so the packages' own .d.ts files are checked too (a declaration that
 * imports a package users do not get fails here). Errors point at README lines.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TestkitError } from '../errors.js';
import type { Example } from './blocks.js';

export interface ExampleFile {
  example: Example;
  /** Which README (a label, e.g. `packages/ipvs/README.md`). */
  readme: string;
  /** Absolute path of the block written out in the scratch project. */
  path: string;
}

export const SCRATCH_TSCONFIG = {
  compilerOptions: {
    target: 'es2023',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    allowJs: true,
    checkJs: true,
  },
  include: ['examples'],
};

/** Writes each example as `examples/<dir>/README-<line>.<ts|js>`: a module, so blocks never share globals. */
export function writeExamples(
  scratchDir: string,
  readmes: readonly { readme: string; dir: string; examples: readonly Example[] }[],
): ExampleFile[] {
  const files: ExampleFile[] = [];
  for (const { readme, dir, examples } of readmes) {
    mkdirSync(join(scratchDir, 'examples', dir), { recursive: true });
    for (const example of examples) {
      const path = join(scratchDir, 'examples', dir, `README-${example.block.line}.${example.language}`);
      // Appended, so the block's lines keep their numbers.
      writeFileSync(path, `${example.block.code}export {};\n`);
      files.push({ example, readme, path });
    }
  }
  writeFileSync(join(scratchDir, 'tsconfig.json'), `${JSON.stringify(SCRATCH_TSCONFIG, null, 2)}\n`);
  return files;
}

/** tsc's errors, those in examples as `README:LINE:COL: TSnnnn message`; none when every block typechecks. */
export async function typecheckExamples(
  scratchDir: string,
  files: readonly ExampleFile[],
  tsc: string,
): Promise<string[]> {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    execFile(
      tsc,
      ['-p', 'tsconfig.json', '--pretty', 'false'],
      { cwd: scratchDir, timeout: 300_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        // tsc exits 1 or 2 with its errors on stdout; anything else (not found, killed) is the rig's failure.
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (status === null) reject(new TestkitError('TESTKIT_EXEC_FAILED', `${tsc}: ${stderr || error?.message}`));
        else resolve({ code: status, output: stdout + stderr });
      },
    );
  });
  const byPath = new Map(files.map((f) => [relative(scratchDir, f.path), f]));
  const errors: string[][] = [];
  for (const line of output.split('\n')) {
    const m = /^(.*?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m) {
      const [, file = '', row = '0', col = '0', tsCode, message] = m;
      const owner = byPath.get(file);
      const where = owner
        ? `${owner.readme}:${owner.example.block.line + Number(row) - 1}:${col}`
        : `${file}:${row}:${col}`;
      errors.push([`${where}: ${tsCode} ${message}`]);
    } else if (line.startsWith(' ') && errors.length > 0) {
      // tsc continues a message on indented lines.
      errors[errors.length - 1]?.push(line.trim());
    } else if (line.trim() !== '') {
      errors.push([line.trim()]);
    }
  }
  if (code !== 0 && errors.length === 0) errors.push([`tsc exited with ${code} and printed no error`]);
  return errors.map((parts) => parts.join(' '));
}
