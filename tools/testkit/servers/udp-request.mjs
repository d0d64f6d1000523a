// A client for tests: sends one UDP datagram and prints the reply.
// Usage: node udp-request.mjs ADDRESS PORT MESSAGE TIMEOUT_MS
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';

const [address, port, message, timeoutMs] = process.argv.slice(2);
const socket = createSocket(isIPv4(address) ? 'udp4' : 'udp6');
const timer = setTimeout(() => {
  console.error(`no reply from ${address}:${port} in ${timeoutMs} ms`);
  process.exit(1);
}, Number(timeoutMs));
socket.on('message', (reply) => {
  clearTimeout(timer);
  console.log(reply.toString('utf8'));
  socket.close();
});
socket.send(message, Number(port), address);
