/**
 * Runs an example as a user would (`node README-<line>.ts` in the scratch project, Node
 * stripping the types) where its claim says: on the host, in a fresh network namespace
 * that is removed afterwards, or in the IPVS test kernel (whose overlay keeps whatever the
 * example writes, /etc or /run included, away from the host). The claim's setup runs first
 * as root in the same place. A daemon example (`until`) passes once its output shows the
 * text and is then stopped; any other passes when it exits 0.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Lab } from '../netns/lab.js';
import { shellQuote } from '../uml/shell.js';
import { defaultGuestEnv, runInKernel } from '../uml/vm.js';
import type { ExampleFile } from './typecheck.js';

export interface ExampleRun {
  exitCode: number;
  /** The setup's and the example's stdout and stderr, interleaved as they came. */
  output: string;
}

const RUNNER = '.run-example.mjs';

// Serves the claim's web server (in this process, so it is listening before the example
// starts and ends with it), watches the example's output for `until`, stops it then, and
// bounds it in time.
const RUNNER_SOURCE = `import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
const [file, until, timeoutMs, http] = process.argv.slice(2);
if (http) {
  const { address, port, body } = JSON.parse(http);
  const server = createServer((_, res) => res.end(body));
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, address, resolve));
  server.unref();
}
const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
let seen = '';
let verdict;
const stop = (code, why) => {
  if (verdict !== undefined) return;
  verdict = code;
  if (why) console.error(why);
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 5000).unref();
};
for (const [stream, sink] of [[child.stdout, process.stdout], [child.stderr, process.stderr]]) {
  stream.on('data', (chunk) => {
    sink.write(chunk);
    seen += chunk;
    if (until && seen.includes(until)) stop(0);
  });
}
const timer = setTimeout(() => stop(1, \`[readme] still running after \${timeoutMs} ms\${until ? \` without printing "\${until}"\` : ''}\`), Number(timeoutMs));
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (verdict === undefined) {
    if (until && code === 0) console.error(\`[readme] exited without printing "\${until}"\`);
    verdict = code === 0 && !until ? 0 : (code ?? 1) || 1;
    if (signal) console.error(\`[readme] killed by \${signal}\`);
  }
  process.exit(verdict);
});
`;

function script(scratchDir: string, file: ExampleFile, timeoutMs: number): string {
  const claim = file.example.claim;
  if (claim.kind !== 'run') throw new Error(`${file.readme}:${file.example.block.line} is not a run example`);
  writeFileSync(join(scratchDir, RUNNER), RUNNER_SOURCE);
  const http = claim.http ? JSON.stringify(claim.http) : '';
  const runner = [
    process.execPath,
    RUNNER,
    relative(scratchDir, file.path),
    claim.until ?? '',
    String(timeoutMs),
    http,
  ];
  return [
    'set -e',
    `cd ${shellQuote(scratchDir)}`,
    ...(claim.setup ? [claim.setup] : []),
    `exec ${runner.map(shellQuote).join(' ')}`,
  ].join('\n');
}

function capture(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ExampleRun> {
  return new Promise((resolve) => {
    const child = execFile(command, args, {
      env,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('close', (code) => resolve({ exitCode: code ?? 1, output }));
  });
}

/** Runs a `run` example in its tier; `timeoutMs` bounds the example itself (setup and boot come on top). */
export async function runExample(scratchDir: string, file: ExampleFile, timeoutMs = 60_000): Promise<ExampleRun> {
  const claim = file.example.claim;
  if (claim.kind !== 'run') throw new Error(`${file.readme}:${file.example.block.line} is not a run example`);
  const body = script(scratchDir, file, timeoutMs);
  // The environment of a user's shell, not the test runner's (no NODE_OPTIONS, no VITEST).
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...claim.env,
  };
  const bound = timeoutMs + 60_000;
  if (claim.in === 'host') return capture('sh', ['-c', body], env, bound);
  if (claim.in === 'netns') {
    const lab = await Lab.create();
    try {
      const host = await lab.host('readme');
      return await capture('ip', ['netns', 'exec', host.netns, 'sh', '-c', body], env, bound);
    } finally {
      await lab.destroy();
    }
  }
  const result = await runInKernel({
    command: ['sh', '-c', body],
    cwd: scratchDir,
    env: { ...defaultGuestEnv(), ...env },
    timeoutMs: bound + 120_000,
  });
  return { exitCode: result.exitCode, output: result.output };
}
