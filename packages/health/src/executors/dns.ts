import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { DnsCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { DNS_TYPE_CODES, DnsFormatError, decodeResponse, encodeQuery } from './dns-codec.js';

/** The expected value in the form answers are printed in (RFC 5952 IPv6, names without the dot). */
function normalize(type: DnsCheck['recordType'], value: string): string {
  // WHATWG URL serialises IPv6 exactly as RFC 5952, as formatIpv6 does for answers.
  if (type === 'AAAA' && isIP(value) === 6) return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  if (type === 'CNAME' || type === 'NS' || type === 'SOA') return value.replace(/\.$/, '').toLowerCase();
  return value;
}

/** One UDP query; the answer must be NOERROR with a record of the type (equal to `expect` if given). */
export function runDns(
  request: CheckRequest,
  check: DnsCheck,
  port: number,
  signal: AbortSignal,
): Promise<CheckResult> {
  const type = check.recordType ?? 'A';
  const id = Math.floor(Math.random() * 0x10000);
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(request.address) === 6 ? 'udp6' : 'udp4');
    const done = (settle: () => void) => {
      signal.removeEventListener('abort', onAbort);
      socket.close();
      settle();
    };
    const onAbort = () => done(() => resolve(fail('timeout', 'no DNS answer')));
    signal.addEventListener('abort', onAbort, { once: true });
    // Connected UDP: an ICMP port unreachable comes back as ECONNREFUSED.
    socket.once('error', (error) => done(() => reject(error)));
    socket.on('message', (msg) => {
      let response: ReturnType<typeof decodeResponse>;
      try {
        response = decodeResponse(msg);
      } catch (error) {
        if (error instanceof DnsFormatError) done(() => resolve(fail('protocol', `bad DNS answer: ${error.message}`)));
        else done(() => reject(error));
        return;
      }
      if (response.id !== id) return; // not ours: keep waiting
      done(() => resolve(judge(check, type, response)));
    });
    socket.connect(port, request.address, () => socket.send(encodeQuery(id, check.name, type)));
  });
}

function judge(
  check: DnsCheck,
  type: NonNullable<DnsCheck['recordType']>,
  response: ReturnType<typeof decodeResponse>,
) {
  if (response.rcode !== 'NOERROR') return fail('dns-mismatch', `${check.name} ${type}: ${response.rcode}`);
  const records = response.answers.filter((a) => a.type === DNS_TYPE_CODES[type]).map((a) => a.data);
  if (records.length === 0) return fail('dns-mismatch', `${check.name} ${type}: no such record in the answer`);
  if (check.expect !== undefined) {
    const want = normalize(type, check.expect);
    const got = records.map((r) => (type === 'CNAME' || type === 'NS' || type === 'SOA' ? r.toLowerCase() : r));
    if (!got.includes(want)) {
      return fail('dns-mismatch', `${check.name} ${type}: ${got.join(', ')} does not include ${check.expect}`);
    }
  }
  return pass({ detail: `${check.name} ${type}: ${records.join(', ')}` });
}
