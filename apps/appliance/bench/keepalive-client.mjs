// A minimal HTTP/1.1 client on one keep-alive connection that reads every answer into one
// reused buffer (net's `onread`), counting the bytes (`keep`: the answer's text, for the
// small ones it reads). Node's own client allocates a buffer per chunk: 2.3 MB of garbage
// per status, whose collections would be counted in the figures as the server's latency.
import { connect } from 'node:net';

export async function keepAliveClient({ host = '127.0.0.1', port, authorization }) {
  const buffer = Buffer.allocUnsafe(256 * 1024);
  let pending;
  const socket = connect({
    host,
    port,
    onread: {
      buffer,
      callback(n) {
        const p = pending;
        if (p === undefined) return;
        let body = 0;
        if (p.need === undefined) {
          const end = buffer.indexOf('\r\n\r\n', 0, 'latin1');
          if (end < 0 || end + 4 > n) return p.reject(new Error('headers longer than one read'));
          const head = buffer.toString('latin1', 0, end);
          p.status = Number(head.slice(9, 12));
          p.need = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
          if (Number.isNaN(p.need)) return p.reject(new Error(`no content-length: ${head}`));
          body = end + 4;
        }
        if (p.keep || p.status >= 300) p.text += buffer.toString('utf8', body, n);
        p.got += n - body;
        if (p.got >= p.need) {
          pending = undefined;
          if (p.status >= 300) p.reject(new Error(`${p.what}: ${p.status} ${p.text}`));
          else p.resolve(p.keep ? p.text : p.got);
        }
      },
    },
  });
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', (error) => pending?.reject(error));

  /** One request; resolves with the answer's text (`keep`) or its length in bytes. */
  function call(method, path, body, keep = false) {
    const data = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', `authorization: ${authorization}`];
    if (body !== undefined)
      headers.push('content-type: application/json', `content-length: ${Buffer.byteLength(data)}`);
    return new Promise((resolve, reject) => {
      pending = { resolve, reject, keep, what: `${method} ${path}`, need: undefined, got: 0, text: '', status: 0 };
      socket.write(`${headers.join('\r\n')}\r\n\r\n${data}`);
    });
  }
  return { call, close: () => socket.destroy() };
}
