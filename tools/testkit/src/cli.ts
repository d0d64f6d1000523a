#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { TestkitError } from './errors.js';
import { sweepStaleNamespaces } from './netns/cleanup.js';
import { RESULTS_DIR } from './paths.js';
import { prepare } from './prepare.js';
import { formatSummary, readSummaries } from './summary.js';
import { bootSystem } from './system/boot.js';
import { runInKernel } from './uml/vm.js';

const USAGE = `usage: sluice-testkit <command>
  prepare                 install what the suites need (Debian packages, UML kernel), sweep stale namespaces
  kernel [--timeout S] -- CMD [ARGS...]
                          boot the IPVS test kernel, run CMD inside as root in this directory, exit with its code
  system [--deb FILE]... [--timeout S] -- CMD [ARGS...]
                          boot the system tests' Debian 12 root with systemd in the test kernel, hand in
                          the .deb files, run CMD there as root, print its output, power off, exit with its code
  sweep                   remove network namespaces left by interrupted test runs
  summary [DIR]           print the totals of the vitest JSON reports in DIR (default .cache/test-results)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'prepare':
      await prepare();
      return 0;
    case 'sweep': {
      const swept = await sweepStaleNamespaces();
      console.log(swept.length ? `removed ${swept.join(' ')}` : 'nothing to remove');
      return 0;
    }
    case 'summary': {
      const { text, ok } = formatSummary(readSummaries(rest[0] ?? RESULTS_DIR));
      console.log(text);
      return ok ? 0 : 1;
    }
    case 'kernel': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { timeout: { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length === 0) break;
      const result = await runInKernel({
        command: positionals,
        ...(values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {}),
        onOutput: (chunk) => process.stdout.write(chunk),
      });
      return result.exitCode;
    }
    case 'system': {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { deb: { type: 'string', multiple: true }, timeout: { type: 'string' } },
        allowPositionals: true,
      });
      if (positionals.length === 0) break;
      const system = await bootSystem({ debs: values.deb ?? [] });
      try {
        const result = await system.run(positionals, {
          ...(values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {}),
        });
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        return result.code;
      } finally {
        await system.shutdown();
      }
    }
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof TestkitError ? ` [${error.code}]` : '';
    console.error(`sluice-testkit${code}: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
