import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplianceError } from '../errors.js';
import { alive, stopPids } from './system.js';
import type { LabRealServer, LabTopology } from './topology.js';

/**
 * The real servers' web server: every request gets a page that names the server (the body
 * is `alpha_server\n`, the `x-served-by` header says the same), so a client's output shows
 * at a glance where the balancer sent it. It runs as `node -e`, which needs no file on disk
 * and therefore works the same from the built CLI and from the tests.
 */
const PAGE_SERVER = `
const { createServer } = require('node:http');
const [name, port] = process.argv.slice(1);
const server = createServer((req, res) => {
  const body = name + '\\n';
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-served-by': name,
    'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
});
// Long keep-alive: a client holding one connection (the restart test) must not be cut by the server.
server.keepAliveTimeout = 10 * 60 * 1000;
server.listen({ host: '0.0.0.0', port: Number(port) }, () => console.log('READY ' + name + ' ' + port));
process.on('SIGTERM', () => process.exit(0));
`;

export const PAGE_PORT = 80;

const pidFile = (topology: LabTopology, rs: LabRealServer) => join(topology.stateDir, `${rs.label}.pid`);
const logFile = (topology: LabTopology, rs: LabRealServer) => join(topology.stateDir, `${rs.label}.log`);

/** The web server's pid if it runs, else undefined. */
export function pagePid(topology: LabTopology, rs: LabRealServer): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(topology, rs), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the real server's web server, detached so that it outlives the `lab up` command. */
export async function startPage(topology: LabTopology, rs: LabRealServer, timeoutMs = 20_000): Promise<number> {
  const running = pagePid(topology, rs);
  if (running !== undefined) return running;
  const log = logFile(topology, rs);
  const fd = openSync(log, 'w');
  const child = spawn(
    'ip',
    ['netns', 'exec', `${topology.prefix}${rs.label}`, process.execPath, '-e', PAGE_SERVER, rs.page, String(PAGE_PORT)],
    { detached: true, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new ApplianceError('LAB_FAILED', `could not start ${rs.page}'s web server`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(log, 'utf8');
    if (text.includes('READY')) break;
    if (!alive(pid) || Date.now() > deadline) {
      await stopPids([pid], 0);
      throw new ApplianceError('LAB_FAILED', `${rs.page}'s web server did not start: ${text.trim() || 'no output'}`);
    }
    await sleep(50);
  }
  // `ip netns exec` execs the program, so this pid is the web server's own.
  writeFileSync(pidFile(topology, rs), `${pid}\n`);
  return pid;
}

/** Stops the web server: the real server stays on the network but refuses connections on port 80. */
export async function stopPage(topology: LabTopology, rs: LabRealServer): Promise<boolean> {
  const pid = pagePid(topology, rs);
  rmSync(pidFile(topology, rs), { force: true });
  if (pid === undefined) return false;
  await stopPids([pid]);
  return true;
}
