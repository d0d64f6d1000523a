// The host side of the `kernel` project when this kernel lacks IPVS: boots the UML kernel
// once, runs the package's kernel tests inside it with vitest, and registers every one of
// them here with its real outcome, so the host's report reads as if they ran here.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, inject, test } from 'vitest';
import { runInKernel } from '../uml/vm.js';
import { failureDetails, type JsonReport, replay, suiteDetail } from './results.js';

const suite = inject('sluiceKernel');
const vitestDir = dirname(createRequire(join(suite.root, 'package.json')).resolve('vitest/package.json'));

async function runSuite() {
  try {
    const result = await runInKernel({
      cwd: suite.root,
      timeoutMs: suite.timeoutMs,
      collect: ['results.json'],
      command: (jobDir) => [
        process.execPath,
        join(vitestDir, 'vitest.mjs'),
        'run',
        '--project',
        'kernel',
        '--reporter=verbose',
        '--reporter=json',
        `--outputFile.json=${jobDir}/results.json`,
      ],
      ...(process.env.SLUICE_KERNEL_VERBOSE ? { onOutput: (chunk: string) => process.stderr.write(chunk) } : {}),
    });
    const json = result.files['results.json'];
    if (!json) {
      return { error: `the kernel suite wrote no report (exit ${result.exitCode}):\n${result.output.slice(-6000)}` };
    }
    return {
      version: result.kernelVersion,
      files: replay(JSON.parse(json) as JsonReport, suite.root),
      details: failureDetails(result.output),
    };
  } catch (error) {
    return { error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) };
  }
}

const outcome = await runSuite();

if ('error' in outcome) {
  test('kernel suite runs in the UML kernel', () => {
    throw new Error(outcome.error);
  });
} else {
  for (const file of outcome.files) {
    describe(`${file.file} [UML ${outcome.version}]`, () => {
      for (const t of file.tests) {
        test(t.title, () => {
          if (t.failure !== undefined) {
            const own = outcome.details.get(`${file.file} > ${t.title}`);
            const around = own === undefined ? suiteDetail(outcome.details, file.file, t.title) : undefined;
            const error = new Error(`in the UML kernel: ${own ?? (around ? `${t.failure}\n${around}` : t.failure)}`);
            error.stack = error.message;
            throw error;
          }
        });
      }
    });
  }
}
