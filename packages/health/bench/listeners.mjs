// Real servers for the benchmarks: COUNT TCP listeners on ADDRESS (0.0.0.0: every address
// of the namespace), ports BASE..BASE+COUNT-1. Usage: node listeners.mjs ADDRESS BASE COUNT
// Prints "READY" once all listen, then every second "ACCEPTED <total>" and
// "FROM {"<server address>": <count>, ...}": the checks the servers saw, by the address they
// were made to, so two checkers given different addresses of the same listeners are counted apart.
import { createServer } from 'node:net';

const [address, base, count] = process.argv.slice(2);
let listening = 0;
let accepted = 0;
const from = {};
setInterval(() => {
  console.log(`ACCEPTED ${accepted}`);
  console.log(`FROM ${JSON.stringify(from)}`);
}, 1000);
for (let i = 0; i < Number(count); i++) {
  const server = createServer((socket) => {
    accepted++;
    // By the address the client asked for: the peer's own address may be gone (getpeername
    // fails once a checker has reset the connection, as the fastest do at once).
    const peer = socket.localAddress ?? '?';
    from[peer] = (from[peer] ?? 0) + 1;
    socket.on('error', () => {});
    socket.destroy();
  });
  server.listen({ host: address, port: Number(base) + i, backlog: 64 }, () => {
    if (++listening === Number(count)) console.log('READY');
  });
}
