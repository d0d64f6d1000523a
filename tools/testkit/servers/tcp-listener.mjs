// A real server for tests: greets each TCP connection with its name, then echoes.
// Usage: node tcp-listener.mjs NAME ADDRESS PORT   (prints "READY {json}" once listening)
import { createServer } from 'node:net';

const [name, address, port] = process.argv.slice(2);
const server = createServer((socket) => {
  socket.write(`${name}\n`);
  socket.pipe(socket);
  socket.on('error', () => socket.destroy());
});
server.listen({ host: address, port: Number(port) }, () => {
  const info = server.address();
  console.log(`READY ${JSON.stringify({ name, address: info.address, port: info.port })}`);
});
