// Benchmark: importing another tool's configuration (issue #23) on what users run, beside
// what they would run on the same file instead. Inputs (bench/import-input.ts): a
// keepalived.conf of 1,000 virtual servers x 10 real servers with a checker each, over
// four included files, and a haproxy.cfg of 10,000 lines. For each, after a warm-up, the
// median of RUNS runs of:
// - in process: the chain the API's preview runs (runImport over the uploaded files, then
//   previewImport against a fresh configuration: merge, validation, consumers, diff), the
//   importer alone, and the rest;
// - the CLI as a user types it, `sluice-appliance import --from F FILE --json`, process
//   start to exit, against a running daemon (`serve` on 127.0.0.1, a fresh data directory);
// - `POST /api/v1/config/import` to that daemon (the upload the CLI makes);
// - `keepalived --config-test -f FILE` and `haproxy -c -f FILE` on the same files (they
//   only parse and check; the import parses, maps, validates and diffs).
// The daemon runs in the host's network namespace with an empty configuration (it places
// nothing; the host kernel has no IPVS, which a preview does not use). Writes the figures
// into README.md. Usage (after a build): node bench/import-bench.ts [RUNS=7]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { machine } from './ha-pair.ts';
import { haproxyInput, KEEPALIVED_SERVERS, KEEPALIVED_SERVICES, keepalivedInput } from './import-input.ts';
import { here, median, ms, writeFigures } from './uml-run.mjs';

const RUNS = Number(process.argv[2] ?? 7);
const WARMUP = 2;
const BIN = here('../bin/sluice-appliance.js');
const CLI = here('../dist/cli.js');
/** As the installed command's shebang and the README's run command start Node. */
const NODE_FLAGS = ['--max-semi-space-size=1'];

// The importers are not on the package's entry: bundled from the same sources as dist/cli.js.
const cache = here('../node_modules/.cache/');
mkdirSync(cache, { recursive: true });
const bundle = join(mkdtempSync(join(cache, 'sluice-import-bench-')), 'import.mjs');
await build({
  entryPoints: [here('./import-entry.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  outfile: bundle,
  logLevel: 'error',
});
const { defaultConfig, previewImport, runImport, uploadSource } = await import(bundle);

// The inputs on disk, and the certificate haproxy -c opens for `ssl crt site.pem`.
const root = mkdtempSync(join(tmpdir(), 'sluice-import-bench-'));
const keepalived = keepalivedInput(join(root, 'keepalived'));
for (const [path, text] of Object.entries(keepalived.files)) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
const certs = join(root, 'certs');
mkdirSync(certs);
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=bench.example.com'].concat([
    '-keyout',
    join(certs, 'key.pem'),
    '-out',
    join(certs, 'cert.pem'),
  ]),
  { stdio: 'ignore' },
);
writeFileSync(
  join(certs, 'site.pem'),
  readFileSync(join(certs, 'cert.pem'), 'utf8') + readFileSync(join(certs, 'key.pem'), 'utf8'),
);
const haproxy = haproxyInput(certs);
const haproxyFile = join(root, 'haproxy.cfg');
writeFileSync(haproxyFile, haproxy.text);

interface Input {
  format: 'keepalived' | 'haproxy';
  file: string;
  files: Record<string, string>;
  /** What the other tool runs on the same file: argv. */
  check: string[];
}
const inputs: Input[] = [
  {
    format: 'keepalived',
    file: keepalived.main,
    files: keepalived.files,
    check: ['keepalived', '--config-test', '-f', keepalived.main],
  },
  {
    format: 'haproxy',
    file: haproxyFile,
    files: { [haproxyFile]: haproxy.text },
    check: ['haproxy', '-c', '-q', '-f', haproxyFile],
  },
];
const size = (input: Input) => ({
  bytes: Object.values(input.files).reduce((n, t) => n + Buffer.byteLength(t), 0),
  lines: Object.values(input.files).reduce((n, t) => n + t.split('\n').length - 1, 0),
});

/** The median of RUNS timed runs after WARMUP untimed ones. */
async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

/** A process to its exit, its status checked (0: no error). */
function run(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  const [command, ...args] = argv as [string, ...string[]];
  const r = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The daemon, as the README's run command starts it, on loopback only.
const dataDir = join(root, 'data');
const [port, httpsPort] = [await freePort(), await freePort()];
const daemon = spawn(
  process.execPath,
  [...NODE_FLAGS, CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)].concat([
    '--https-port',
    String(httpsPort),
  ]),
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const url = `http://127.0.0.1:${port}`;
for (let up = false; !up; ) {
  if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode})`);
  up = await fetch(`${url}/api/v1/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (!up) await sleep(50);
}
const authorization = `Bearer ${readFileSync(join(dataDir, 'cli.token'), 'utf8').trim()}`;
const cliEnv = { ...process.env, SLUICE_URL: url, SLUICE_DATA_DIR: dataDir };

interface Figures {
  format: string;
  bytes: number;
  lines: number;
  files: number;
  notes: number;
  changes: number;
  importMs: number;
  previewMs: number;
  chainMs: number;
  apiMs: number;
  cliMs: number;
  checkMs: number;
}
const figures: Figures[] = [];
let startMs = 0;
try {
  // What every run of the command costs before it reads a file: Node's start and the CLI's modules.
  startMs = await timed(() => run([process.execPath, ...NODE_FLAGS, BIN, 'import', '--help'], cliEnv));
  for (const input of inputs) {
    const { bytes, lines } = size(input);
    const once = async () => {
      const result = await runImport(input.format, uploadSource(input.file, input.files));
      const { preview } = await previewImport(result, defaultConfig());
      if (preview.errors.length > 0) throw new Error(`${input.format}: refused: ${preview.errors[0].message}`);
      return preview;
    };
    const preview = await once();
    const chainMs = await timed(once);
    const importMs = await timed(() => runImport(input.format, uploadSource(input.file, input.files)));
    const result = await runImport(input.format, uploadSource(input.file, input.files));
    const previewMs = await timed(() => previewImport(result, defaultConfig()));
    const body = JSON.stringify({ format: input.format, file: input.file, files: input.files });
    const apiMs = await timed(async () => {
      const r = await fetch(`${url}/api/v1/config/import`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body,
      });
      const reply = await r.json();
      if (!r.ok || reply.errors.length > 0)
        throw new Error(`POST /config/import: ${r.status} ${JSON.stringify(reply)}`);
    });
    const cliMs = await timed(() =>
      run([process.execPath, ...NODE_FLAGS, BIN, 'import', '--from', input.format, input.file, '--json'], cliEnv),
    );
    const checkMs = await timed(() => run(input.check));
    figures.push({
      format: input.format,
      bytes,
      lines,
      files: Object.keys(input.files).length,
      notes: preview.notes.length,
      changes: preview.changes.length,
      importMs,
      previewMs,
      chainMs,
      apiMs,
      cliMs,
      checkMs,
    });
    console.error(`[bench] ${JSON.stringify(figures.at(-1))}`);
  }
} finally {
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  rmSync(root, { recursive: true, force: true });
  rmSync(dirname(bundle), { recursive: true, force: true });
}

const rate = (f: Figures, timeMs: number) =>
  `${(f.bytes / 1e6 / (timeMs / 1000)).toFixed(1)} MB/s, ${Math.round(f.lines / (timeMs / 1000)).toLocaleString('en')} lines/s`;
const keepalivedVersion = /Keepalived v[\d.]+/.exec(
  spawnSync('keepalived', ['--version'], { encoding: 'utf8' }).stderr,
)?.[0];
const haproxyVersion = /HAProxy version [\d.]+/.exec(execFileSync('haproxy', ['-v'], { encoding: 'utf8' }))?.[0];
const [k, h] = figures as [Figures, Figures];
const what = (f: Figures) =>
  f.format === 'keepalived'
    ? `keepalived.conf + ${f.files - 1} included files, ${KEEPALIVED_SERVICES.toLocaleString('en')} virtual servers × ${KEEPALIVED_SERVERS} real servers (${(f.bytes / 1e6).toFixed(2)} MB, ${f.lines.toLocaleString('en')} lines)`
    : `haproxy.cfg, ${haproxy.frontends} frontends, ${haproxy.backends} backends (${(f.bytes / 1e6).toFixed(2)} MB, ${f.lines.toLocaleString('en')} lines)`;
const rows = (f: Figures, other: string) => [
  `| ${what(f)} | import + preview in process (the API's chain) | ${ms(f.chainMs)} | ${rate(f, f.chainMs)} | ${(f.chainMs / f.checkMs).toFixed(1)}x |`,
  `| | of which the importer (read, parse, map) | ${ms(f.importMs)} | ${rate(f, f.importMs)} | |`,
  `| | of which the preview (merge, validate, diff: ${f.changes.toLocaleString('en')} changes, ${f.notes.toLocaleString('en')} notes) | ${ms(f.previewMs)} | | |`,
  `| | \`POST /api/v1/config/import\` to the daemon | ${ms(f.apiMs)} | ${rate(f, f.apiMs)} | ${(f.apiMs / f.checkMs).toFixed(1)}x |`,
  `| | \`sluice-appliance import --from ${f.format} FILE --json\` (a process, start to exit) | ${ms(f.cliMs)} | ${rate(f, f.cliMs)} | ${(f.cliMs / f.checkMs).toFixed(1)}x |`,
  `| | ${other} (a process, start to exit) | ${ms(f.checkMs)} | ${rate(f, f.checkMs)} | 1x |`,
];
const table = `${machine()}. Reproduce: \`node bench/import-bench.ts ${RUNS}\`. Median of ${RUNS} runs after ${WARMUP} untimed; the last column is the time over the other tool's check of the same file, in the same run. The command's start alone (\`sluice-appliance import --help\`: Node and the CLI's modules) takes ${ms(startMs)}.

| input | what runs | time | throughput | ratio |
| --- | --- | --- | --- | --- |
${[...rows(k, `\`keepalived --config-test -f FILE\` (${keepalivedVersion})`), ...rows(h, `\`haproxy -c -q -f FILE\` (${haproxyVersion})`)].join('\n')}
`;
writeFigures('import-bench', table);
