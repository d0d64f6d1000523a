// Where the heartbeat should run so that the daemon's event loop cannot stop it: a beater
// sends a UDP datagram every 50 ms to a receiver (this process, idle otherwise), from
// the daemon's main thread, from a worker thread, or from a child process. 1 s after it
// starts, the daemon's main thread either busy-loops for 5 s (a large commit holding the
// loop) or throws an uncaught exception (a crash of the API). For each: the datagrams
// the receiver got in 8 s, the largest gap between two, and the silence at the end (the
// beater stopped: what the peer would see as a death). Writes the table into README.md.
// Usage: node bench/ha-isolation.mjs
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { isMainThread, Worker, workerData } from 'node:worker_threads';

const INTERVAL_MS = 50;
const INCIDENT_AT_MS = 1000;
const BUSY_MS = 5000;
const WINDOW_MS = 8000;
/** The beater stops by itself after the window: a child process outlives a crashed parent. */
const LIFETIME_MS = WINDOW_MS + 1000;
const self = new URL(import.meta.url);

/** Sends "beat" to 127.0.0.1:port every 50 ms for lifetimeMs. */
function beat(port, lifetimeMs) {
  const socket = createSocket('udp4');
  const timer = setInterval(() => socket.send('beat', port, '127.0.0.1'), INTERVAL_MS);
  setTimeout(() => {
    clearInterval(timer);
    socket.close();
  }, lifetimeMs);
}

/** The daemon: starts the beater where told, then 1 s later blocks its loop or crashes. */
function daemon(where, incident, port) {
  if (where === 'main thread') beat(port, LIFETIME_MS);
  if (where === 'worker thread') new Worker(self, { workerData: { port, lifetimeMs: LIFETIME_MS } });
  if (where === 'child process') {
    const child = spawn(process.execPath, [self.pathname, 'beater', String(port)], { stdio: 'inherit' });
    console.log(`BEATER ${child.pid}`);
  }
  setTimeout(() => {
    if (incident === 'uncaught exception') throw new Error('the API crashed');
    const until = performance.now() + BUSY_MS;
    while (performance.now() < until) {
      // a commit that holds the event loop
    }
  }, INCIDENT_AT_MS);
}

/** One case, seen from the receiver. */
async function measure(where, incident) {
  const socket = createSocket('udp4');
  const arrivals = [];
  socket.on('message', () => arrivals.push(performance.now()));
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const subject = spawn(process.execPath, [self.pathname, 'daemon', where, incident, String(port)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let beater;
  subject.stdout.on('data', (chunk) => {
    const match = /BEATER (\d+)/.exec(chunk.toString());
    if (match) beater = Number(match[1]);
  });
  while (arrivals.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  const start = arrivals[0];
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS - (performance.now() - start)));
  const end = start + WINDOW_MS;
  const inWindow = arrivals.filter((t) => t <= end);
  let largestGap = 0;
  for (let i = 1; i < inWindow.length; i++) largestGap = Math.max(largestGap, inWindow[i] - inWindow[i - 1]);
  subject.kill('SIGKILL');
  if (beater !== undefined) {
    try {
      process.kill(beater, 'SIGKILL');
    } catch {
      // it stopped by itself
    }
  }
  socket.close();
  return {
    where,
    incident,
    received: inWindow.length,
    largestGapMs: Math.round(largestGap),
    silenceAtEndMs: Math.round(end - (inWindow.at(-1) ?? start)),
  };
}

const [role, ...args] = process.argv.slice(2);
if (!isMainThread) beat(workerData.port, workerData.lifetimeMs);
else if (role === 'beater') beat(Number(args[0]), LIFETIME_MS);
else if (role === 'daemon') daemon(args[0], args[1], Number(args[2]));
else {
  const { machine } = await import('./ha-pair.ts');
  const { writeFigures } = await import('./uml-run.mjs');
  const rows = [];
  for (const incident of ['busy loop 5 s', 'uncaught exception']) {
    for (const where of ['main thread', 'worker thread', 'child process']) {
      const r = await measure(where, incident);
      console.error(JSON.stringify(r));
      rows.push(r);
    }
  }
  const expected = WINDOW_MS / INTERVAL_MS;
  writeFigures(
    'ha-isolation',
    `${machine()}. Reproduce: \`node bench/ha-isolation.mjs\`. A beat every ${INTERVAL_MS} ms (${expected} in the ${WINDOW_MS / 1000} s window); the main thread's incident ${INCIDENT_AT_MS / 1000} s after the first beat.

| main thread | beater in | beats received | largest gap (ms) | silence at the end (ms) |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.incident} | ${r.where} | ${r.received} | ${r.largestGapMs} | ${r.silenceAtEndMs} |`).join('\n')}
`,
  );
}
