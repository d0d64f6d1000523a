// HTTP servers for the HTTP benchmark: COUNT listeners on ADDRESS, ports BASE..BASE+COUNT-1,
// answering 200 "ok". Usage: node http-listeners.mjs ADDRESS BASE COUNT   (prints "READY",
// then "ACCEPTED <total requests>" every second)
import { createServer } from 'node:http';

const [address, base, count] = process.argv.slice(2);
let listening = 0;
let accepted = 0;
setInterval(() => console.log(`ACCEPTED ${accepted}`), 1000);
for (let i = 0; i < Number(count); i++) {
  const server = createServer((_req, res) => {
    accepted++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('ok\n');
  });
  server.listen({ host: address, port: Number(base) + i, backlog: 64 }, () => {
    if (++listening === Number(count)) console.log('READY');
  });
}
