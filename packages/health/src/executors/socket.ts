import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

export interface TlsOptions {
  servername?: string | undefined;
  verify?: boolean | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError');
}

/**
 * Opens a TCP (or TLS) connection and resolves once it is usable. The socket is destroyed
 * when `signal` aborts, whenever that happens.
 */
export function openSocket(
  address: string,
  port: number,
  signal: AbortSignal,
  tls?: TlsOptions,
): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(aborted(signal));
      return;
    }
    const socket = tls
      ? tlsConnect({
          host: address,
          port,
          // SNI only for names: an IP address as server name is not allowed by RFC 6066.
          ...(tls.servername && isIP(tls.servername) === 0 ? { servername: tls.servername } : {}),
          rejectUnauthorized: tls.verify !== false,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
        })
      : netConnect({ host: address, port });
    const onAbort = () => {
      socket.destroy();
      reject(aborted(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => signal.removeEventListener('abort', onAbort));
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve(socket));
  });
}
