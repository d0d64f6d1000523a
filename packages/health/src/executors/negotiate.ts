import { isIP } from 'node:net';
import { Agent, type Dispatcher, interceptors } from 'undici';
import type { NegotiateCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { stableKey } from '../stable-key.js';
import { excerpt } from './conversation.js';

/**
 * One undici Agent per distinct TLS/redirect setting, shared by every target that uses it.
 * Requests carry `reset: true` (Connection: close), so each check opens its own connection
 * and proves the server still accepts new ones, as keepalived's HTTP_GET does.
 */
export class DispatcherCache {
  private readonly agents = new Map<string, Dispatcher>();

  get(check: NegotiateCheck): Dispatcher {
    const servername = check.servername ?? hostName(check.host);
    const settings = {
      servername,
      verify: check.verify,
      ca: check.ca,
      cert: check.cert,
      key: check.key,
      redirects: check.redirects ?? 0,
    };
    const key = stableKey(settings);
    let agent = this.agents.get(key);
    if (!agent) {
      const base = new Agent({
        connect: {
          rejectUnauthorized: check.verify !== false,
          ...(servername ? { servername } : {}),
          ...(check.ca ? { ca: check.ca } : {}),
          ...(check.cert ? { cert: check.cert } : {}),
          ...(check.key ? { key: check.key } : {}),
        },
      });
      agent =
        settings.redirects > 0 ? base.compose(interceptors.redirect({ maxRedirections: settings.redirects })) : base;
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.destroy()));
  }
}

/** The host name part of a Host header value, or undefined for none or an IP literal. */
function hostName(host: string | undefined): string | undefined {
  if (!host || host.startsWith('[')) return undefined;
  const name = host.replace(/:\d+$/, '');
  return isIP(name) === 0 ? name : undefined;
}

function inRange(status: number, check: NegotiateCheck): boolean {
  return check.expectStatus ? check.expectStatus.includes(status) : status >= 200 && status < 400;
}

export async function runNegotiate(
  request: CheckRequest,
  check: NegotiateCheck,
  port: number,
  signal: AbortSignal,
  dispatchers: DispatcherCache,
): Promise<CheckResult> {
  const scheme = check.scheme ?? 'http';
  const host = isIP(request.address) === 6 ? `[${request.address}]` : request.address;
  const url = `${scheme}://${host}:${port}${check.path ?? '/'}`;
  // The caller's signal may abort long after this check is over (a scheduler stopping);
  // undici would then error the finished body stream, so only a pending request listens.
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await exchange(url, host, check, port, request.timeoutMs, local.signal, dispatchers);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function exchange(
  url: string,
  host: string,
  check: NegotiateCheck,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
  dispatchers: DispatcherCache,
): Promise<CheckResult> {
  const scheme = check.scheme ?? 'http';
  const headers: Record<string, string> = { 'user-agent': 'sluice-health', ...check.headers };
  if (check.host) headers.host = check.host;
  const response = await dispatchers.get(check).request({
    origin: `${scheme}://${host}:${port}`,
    path: check.path ?? '/',
    method: check.method ?? 'GET',
    headers,
    signal,
    reset: true,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  response.body.on('error', () => {
    // Destroying the body below is how we stop reading; its errors mean nothing here.
  });
  const status = response.statusCode;
  const wantsBody = check.expectContent !== undefined || check.expectRegex !== undefined;
  if (!inRange(status, check)) {
    response.body.destroy();
    return fail('bad-status', `${check.method ?? 'GET'} ${url}: status ${status}`, { status });
  }
  if (!wantsBody) {
    response.body.destroy();
    return pass({ status, detail: `status ${status}` });
  }
  const limit = check.maxBodyBytes ?? 65536;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size >= limit) break;
  }
  response.body.destroy();
  const body = Buffer.concat(chunks).subarray(0, limit).toString('utf8');
  if (check.expectContent !== undefined && !body.includes(check.expectContent)) {
    return fail('content-mismatch', `body lacks ${JSON.stringify(check.expectContent)}: ${excerpt(body)}`, { status });
  }
  if (check.expectRegex !== undefined && !new RegExp(check.expectRegex).test(body)) {
    return fail('content-mismatch', `body does not match /${check.expectRegex}/: ${excerpt(body)}`, { status });
  }
  return pass({ status, detail: `status ${status}` });
}
