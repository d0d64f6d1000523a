// HTTP servers for the HTTP benchmark: COUNT listeners on ADDRESS (0.0.0.0: every address of
// the namespace), ports BASE..BASE+COUNT-1, answering 200 "ok".
// Usage: node http-listeners.mjs ADDRESS BASE COUNT   (prints "READY", then every second
// "ACCEPTED <total requests>" and "FROM {"<server address>": <requests>, ...}", by the address the requests were made to)
import { createServer } from 'node:http';

const [address, base, count] = process.argv.slice(2);
let listening = 0;
let accepted = 0;
const from = {};
setInterval(() => {
  console.log(`ACCEPTED ${accepted}`);
  console.log(`FROM ${JSON.stringify(from)}`);
}, 1000);
for (let i = 0; i < Number(count); i++) {
  const server = createServer((req, res) => {
    accepted++;
    const peer = req.socket.localAddress ?? '?';
    from[peer] = (from[peer] ?? 0) + 1;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\n');
  });
  server.listen({ host: address, port: Number(base) + i, backlog: 64 }, () => {
    if (++listening === Number(count)) console.log('READY');
  });
}
