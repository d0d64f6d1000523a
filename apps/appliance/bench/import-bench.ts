// Benchmark: importing another tool's configuration (issue #23) on what users run, beside
// what they would run on the same file instead. Inputs (bench/import-input.ts): a
// keepalived.conf of 1,000 virtual servers x 10 real servers with a checker each, over
// four included files, and a haproxy.cfg of 10,000 lines. For each, after a warm-up, the
// median of RUNS runs, taken in turns (one of each per round), of:
// - in process: the chain the API's preview runs (runImport over the uploaded files, then
//   previewImport against a fresh configuration: merge, validation, consumers, diff), the
//   importer alone, and the rest;
// - the CLI as a user types it, `sluice-appliance import --from F FILE --json`, process
//   start to exit, against a running daemon (`serve` on 127.0.0.1, a fresh data directory);
// - `POST /api/v1/config/import` to that daemon (the upload the CLI makes);
// - `keepalived --config-test -f FILE` and `haproxy -c -q -f FILE` on the same files (they
//   only parse and check; the import parses, maps, validates and diffs).
// The daemon runs in the host's network namespace with an empty configuration (it places
// nothing; the host kernel has no IPVS, which a preview does not use). Writes the figures
// into README.md. Usage (after a build): node bench/import-bench.ts [RUNS=7]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleEntry } from '../test/engine/fixtures/bundle.ts';
import { machine } from './ha-pair.ts';
import { haproxyInput, KEEPALIVED_SERVERS, KEEPALIVED_SERVICES, keepalivedInput } from './import-input.ts';
import { here, median, ms, writeFigures } from './uml-run.mjs';

const RUNS = Number(process.argv[2] ?? 7);
/** The machine's 1-minute load average at the start (the figures' context on a shared machine). */
const loadAtStart = loadavg()[0] as number;
const WARMUP = 2;
const BIN = here('../bin/sluice-appliance.js');
const CLI = here('../dist/cli.js');
/** As the installed command's shebang and the README's run command start Node. */
const NODE_FLAGS = ['--max-semi-space-size=1'];

// The importers are not on the package's entry: bundled from the same sources as dist/cli.js.
const bundled = await bundleEntry(here('./import-entry.ts'), 'import-bench');
const { defaultConfig, previewImport, runImport, uploadSource } = await import(bundled);

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

/**
 * Each of `fns` run RUNS times after WARMUP untimed rounds, in turns (one of each per
 * round), so that the machine's load at any moment weighs on all alike: their medians.
 */
async function rounds<K extends string>(fns: Record<K, () => Promise<unknown> | unknown>): Promise<Record<K, number>> {
  const names = Object.keys(fns) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const name of names) {
      const t = performance.now();
      await fns[name]();
      if (round >= WARMUP) samples[name].push(performance.now() - t);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])])) as Record<K, number>;
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

/**
 * A POST on a connection of its own, as the command makes it: a kept-alive one would sit idle
 * between rounds past the server's keep-alive timeout, and a POST on a closed one fails.
 */
function post(path: string, body: string): Promise<{ status: number; reply: { errors: unknown[] } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      agent: false,
      headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, reply: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.end(body);
  });
}

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
  startMs: number;
}
const figures: Figures[] = [];
try {
  for (const input of inputs) {
    const { bytes, lines } = size(input);
    const chain = async () => {
      const result = await runImport(input.format, uploadSource(input.file, input.files));
      const { preview } = await previewImport(result, defaultConfig());
      if (preview.errors.length > 0) throw new Error(`${input.format}: refused: ${preview.errors[0].message}`);
      return preview;
    };
    const preview = await chain();
    const result = await runImport(input.format, uploadSource(input.file, input.files));
    const body = JSON.stringify({ format: input.format, file: input.file, files: input.files });
    const t = await rounds({
      chain,
      import: () => runImport(input.format, uploadSource(input.file, input.files)),
      preview: () => previewImport(result, defaultConfig()),
      api: async () => {
        const { status, reply } = await post('/api/v1/config/import', body);
        if (status !== 200 || reply.errors.length > 0) {
          throw new Error(`POST /config/import: ${status} ${JSON.stringify(reply).slice(0, 2000)}`);
        }
      },
      cli: () =>
        run([process.execPath, ...NODE_FLAGS, BIN, 'import', '--from', input.format, input.file, '--json'], cliEnv),
      // What every run of the command costs before it reads a file: Node's start and the CLI's modules.
      start: () => run([process.execPath, ...NODE_FLAGS, BIN, 'import', '--help'], cliEnv),
      check: () => run(input.check),
    });
    figures.push({
      format: input.format,
      bytes,
      lines,
      files: Object.keys(input.files).length,
      notes: preview.notes.length,
      changes: preview.changes.length,
      importMs: t.import,
      previewMs: t.preview,
      chainMs: t.chain,
      apiMs: t.api,
      cliMs: t.cli,
      checkMs: t.check,
      startMs: t.start,
    });
    console.error(`[bench] ${JSON.stringify(figures.at(-1))}`);
  }
} finally {
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  rmSync(root, { recursive: true, force: true });
  rmSync(dirname(bundled), { recursive: true, force: true });
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
  `| | of which the command's start (\`sluice-appliance import --help\`: Node and the CLI's modules) | ${ms(f.startMs)} | | |`,
  `| | ${other} (a process, start to exit) | ${ms(f.checkMs)} | ${rate(f, f.checkMs)} | 1x |`,
];
const table = `${machine()}. Reproduce: \`node bench/import-bench.ts ${RUNS}\`. Median of ${RUNS} runs after ${WARMUP} untimed, taken in turns (one of each per round); the last column is the time over the other tool's check of the same file, in the same rounds. Load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] as number).toFixed(1)} at the end.

| input | what runs | time | throughput | ratio |
| --- | --- | --- | --- | --- |
${[...rows(k, `\`keepalived --config-test -f FILE\` (${keepalivedVersion})`), ...rows(h, `\`haproxy -c -q -f FILE\` (${haproxyVersion})`)].join('\n')}
`;
writeFigures('import-bench', table);
