import type { TLSSocket } from 'node:tls';
import type { TlsCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { openSocket } from './socket.js';

const DAY = 86_400_000;

/** TLS handshake; the certificate's expiry is judged even when chain verification is off. */
export async function runTls(
  request: CheckRequest,
  check: TlsCheck,
  port: number,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<CheckResult> {
  const socket = (await openSocket(request.address, port, signal, {
    servername: check.servername,
    verify: check.verify,
    ca: check.ca,
  })) as TLSSocket;
  try {
    const cert = socket.getPeerCertificate();
    if (!cert?.valid_to) return fail('tls', 'the server sent no certificate');
    const notAfter = Date.parse(cert.valid_to);
    const notBefore = Date.parse(cert.valid_from);
    const t = now();
    if (t > notAfter) return fail('tls', `certificate expired on ${new Date(notAfter).toISOString()}`);
    if (t < notBefore) return fail('tls', `certificate not valid before ${new Date(notBefore).toISOString()}`);
    const days = Math.floor((notAfter - t) / DAY);
    const warnDays = check.warnDays ?? 14;
    const detail = `certificate valid until ${new Date(notAfter).toISOString()} (${days} days)`;
    return days < warnDays ? pass({ detail, warnings: [`certificate expires in ${days} days`] }) : pass({ detail });
  } finally {
    socket.destroy();
  }
}
