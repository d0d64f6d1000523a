// `npm test`: build, make the machine ready for the rig, then typecheck, lint and run every
// suite (all of them, even after a failure), and print the totals.
// Runs under the project's Node 24 (npm puts node_modules/.bin first on PATH).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `node ${process.version} runs this script; run it through npm (npm test) so the project's Node 24 is used`,
  );
  process.exit(1);
}

function step(command, args) {
  console.log(`\n> ${[command, ...args].join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
}

if (step('turbo', ['run', 'build', '--output-logs=errors-only']) !== 0) process.exit(1);
if (step('node', ['tools/testkit/dist/cli.js', 'prepare']) !== 0) process.exit(1);
rmSync('.cache/test-results', { recursive: true, force: true });
const checks = step('turbo', ['run', 'typecheck', 'lint', '--continue', '--output-logs=errors-only']);
// One suite at a time: the suites run real daemons, failovers and a UML kernel against
// timeouts, and two cores shared by all of them would test the machine, not the code.
const tests = step('turbo', ['run', 'test', '--continue', '--concurrency=1', '--output-logs=full']);
const summary = step('node', ['tools/testkit/dist/cli.js', 'summary']);
process.exit(checks !== 0 || tests !== 0 || summary !== 0 ? 1 : 0);
