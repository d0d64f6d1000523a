#!/usr/bin/env -S node --max-semi-space-size=1
import { commandsUsage, findCommand, processIo, runCommand } from './cli/index.js';
import { labCommand } from './cli/lab.js';
import { serveCommand } from './cli/serve.js';

const USAGE = `usage: sluice-appliance <command> [options]   (<command> --help for its options)
  ${serveCommand.summary.replace(/ {2,}/, '  ')}
${commandsUsage()}
  lab up|down|status|cable|web|config   the manual's test set-up in network namespaces (root)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'serve') return runCommand(serveCommand, rest, processIo());
  if (command === 'lab') return labCommand(rest);
  const run = findCommand(command);
  if (run !== undefined) return run(rest);
  console.error(USAGE);
  return 2;
}

// Until a command finishes, an exit is a failure: an event loop that ends early (a promise
// nobody will settle) must not look like success to a script.
process.exitCode = 1;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`sluice-appliance: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
