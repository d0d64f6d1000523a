// The ECMP failover benchmark's client: FLOWS UDP flows (one socket, so one source port,
// each) to VIP:PORT, a datagram on every flow every INTERVAL ms for DURATION ms. The router
// hashes each flow (its 5-tuple) to one balancer; the responder there answers "NAME:...".
// Prints "READY" once every flow has had an answer, then at the end one JSON line: per flow
// the longest silence between two answers (a flow never answered again counts until the
// end), who answered before and after it, and who answered when the measure began (home).
// Usage: node ecmp-probe.mjs VIP PORT FLOWS INTERVAL_MS DURATION_MS
import { createSocket } from 'node:dgram';

const [vip, port, flowCount, intervalMs, durationMs] = process.argv.slice(2);
const flows = Array.from({ length: Number(flowCount) }, (_, i) => ({
  i,
  socket: createSocket('udp4'),
  last: undefined,
  lastFrom: undefined,
  gapMs: 0,
  before: undefined,
  after: undefined,
  replies: 0,
  home: undefined,
}));

let started = false;
let startedAt = 0;
const now = () => Number(process.hrtime.bigint() / 1_000_000n);

for (const flow of flows) {
  flow.socket.on('message', (message) => {
    const t = now();
    const from = message.toString('utf8').split(':')[0];
    if (started && flow.last !== undefined && t - flow.last > flow.gapMs) {
      flow.gapMs = t - flow.last;
      flow.before = flow.lastFrom;
      flow.after = from;
    }
    flow.last = t;
    flow.lastFrom = from;
    flow.replies++;
  });
  // Connected: the kernel keeps the flow's source port and takes only the VIP's answers.
  flow.socket.connect(Number(port), vip);
}

// A flow nobody answers is said on stderr (the caller's timeout quotes it).
setTimeout(() => {
  if (!started)
    console.error(
      `unanswered flows: ${flows
        .filter((f) => f.replies === 0)
        .map((f) => f.i)
        .join(' ')}`,
    );
}, 5000);

let seq = 0;
const timer = setInterval(() => {
  seq++;
  for (const flow of flows) {
    flow.socket.send(`${flow.i}:${seq}`, (error) => error && undefined);
  }
  if (!started && flows.every((f) => f.replies > 0)) {
    started = true;
    startedAt = now();
    for (const f of flows) f.home = f.lastFrom;
    console.log('READY');
  }
  if (started && now() - startedAt >= Number(durationMs)) finish();
}, Number(intervalMs));

function finish() {
  clearInterval(timer);
  const end = now();
  const result = flows.map((f) => {
    const tail = f.last === undefined ? end - startedAt : end - f.last;
    // A flow still silent at the end: its outage lasts at least until then.
    return tail > f.gapMs && tail > 5 * Number(intervalMs)
      ? { gapMs: tail, home: f.home, before: f.lastFrom, after: undefined, replies: f.replies }
      : { gapMs: f.gapMs, home: f.home, before: f.before, after: f.after, replies: f.replies };
  });
  console.log(JSON.stringify({ flows: result }));
  for (const f of flows) f.socket.close();
}
