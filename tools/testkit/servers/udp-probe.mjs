// The client side of the failover benchmark: a UDP datagram to ADDRESS:PORT every
// INTERVAL_MS for DURATION_MS; the echo servers answer "NAME:SEQ". Prints "READY" once
// replies flow, then one JSON line: the longest silence between two replies (the
// failover gap), who answered before and after it, and counts.
// Usage: node udp-probe.mjs ADDRESS PORT INTERVAL_MS DURATION_MS
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';

const [address, port, intervalMs, durationMs] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)));
const socket = createSocket(isIPv4(address) ? 'udp4' : 'udp6');
let seq = 0;
let last;
let ready = false;
const gap = { ms: 0, before: undefined, after: undefined };
let replies = 0;

socket.on('message', (message) => {
  const now = performance.now();
  const from = message.toString('utf8').split(':')[0];
  replies++;
  if (!ready) {
    ready = true;
    console.log('READY');
  } else if (last && now - last.at > gap.ms) {
    gap.ms = now - last.at;
    gap.before = last.from;
    gap.after = from;
  }
  last = { at: now, from };
});

const started = performance.now();
const timer = setInterval(() => {
  if (performance.now() - started > durationMs) {
    clearInterval(timer);
    setTimeout(() => {
      console.log(
        JSON.stringify({
          gapMs: Math.round(gap.ms * 10) / 10,
          before: gap.before,
          after: gap.after,
          sent: seq,
          replies,
          lastFrom: last?.from,
        }),
      );
      socket.close();
    }, 100);
    return;
  }
  socket.send(String(seq++), port, address);
}, intervalMs);
