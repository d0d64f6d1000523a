// A real server for tests: answers each UDP datagram with "NAME:payload".
// Usage: node udp-echo.mjs NAME ADDRESS PORT   (prints "READY {json}" once bound)
import { createSocket } from 'node:dgram';
import { isIPv4 } from 'node:net';

const [name, address, port] = process.argv.slice(2);
const socket = createSocket({ type: isIPv4(address) ? 'udp4' : 'udp6', ipv6Only: false });
socket.on('message', (message, peer) => {
  socket.send(`${name}:${message.toString('utf8')}`, peer.port, peer.address);
});
socket.bind({ address, port: Number(port) }, () => {
  const info = socket.address();
  console.log(`READY ${JSON.stringify({ name, address: info.address, port: info.port })}`);
});
