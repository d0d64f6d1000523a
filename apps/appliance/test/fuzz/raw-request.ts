import { connect } from 'node:net';

export interface RawAnswer {
  /** 0: the connection ended before an answer came. */
  status: number;
  /** Body bytes written to the socket before the answer (or the end) came. */
  sent: number;
}

/**
 * One request written by hand on a raw socket: the headers announce `announced` body bytes,
 * then the body goes out in 64 KiB pieces, as fast as the server reads, until `send` bytes
 * are out or the server answers or closes. So a test can announce a huge body and see
 * whether the server answers before reading it (what an attacker's early body looks like).
 */
export function rawRequest(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    announced: number;
    send: number;
    localAddress?: string;
  },
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({
      port,
      host: '127.0.0.1',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    let sent = 0;
    let answered = false;
    let data = '';
    const finish = (status: number) => {
      if (answered) return;
      answered = true;
      socket.destroy();
      resolve({ status, sent });
    };
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(data);
      if (match) finish(Number(match[1]));
    });
    const lines = Object.entries({ host: '127.0.0.1', ...options.headers }).map(([name, value]) => `${name}: ${value}`);
    socket.write(
      [`${options.method} ${options.path} HTTP/1.1`, `content-length: ${options.announced}`, ...lines, '', ''].join(
        '\r\n',
      ),
    );
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!answered && sent < options.send) {
        const size = Math.min(piece.length, options.send - sent);
        sent += size;
        if (!socket.write(piece.subarray(0, size))) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Samples this process's resident set every 10 ms until stopped: the peak a run reached. */
export function rssSampler(): { stop(): number; readonly start: number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    start,
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
