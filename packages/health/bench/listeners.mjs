// Real servers for the benchmark: COUNT TCP listeners on ADDRESS, ports BASE..BASE+COUNT-1.
// Usage: node listeners.mjs ADDRESS BASE COUNT   (prints "READY" once all listen, then
// "ACCEPTED <total>" every second: the checks the server saw, whoever made them)
import { createServer } from 'node:net';

const [address, base, count] = process.argv.slice(2);
let listening = 0;
let accepted = 0;
setInterval(() => console.log(`ACCEPTED ${accepted}`), 1000);
for (let i = 0; i < Number(count); i++) {
  const server = createServer((socket) => {
    accepted++;
    socket.on('error', () => {});
    socket.destroy();
  });
  server.listen({ host: address, port: Number(base) + i, backlog: 64 }, () => {
    if (++listening === Number(count)) console.log('READY');
  });
}
