// A real server for tests: answers every HTTP request with its own name.
// Usage: node http-server.mjs NAME ADDRESS PORT   (prints "READY {json}" once listening)
import { createServer } from 'node:http';

const [name, address, port] = process.argv.slice(2);
const server = createServer((_req, res) => {
  const body = `${name}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'x-served-by': name, 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen({ host: address, port: Number(port) }, () => {
  const info = server.address();
  console.log(`READY ${JSON.stringify({ name, address: info.address, port: info.port })}`);
});
