import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { NegotiateCheck } from '../checks.js';
import type { CheckRequest } from '../executor.js';
import { type CheckResult, fail, pass } from '../result.js';
import { stableKey } from '../stable-key.js';
import { excerpt } from './conversation.js';

const MAX_CLIENTS = 50_000;

/**
 * undici, loaded with the first HTTP check: a scheduler with TCP checks only never needs
 * it, and an embedding daemon's start does not pay for loading it.
 */
let undiciModule: typeof Undici | undefined;
function undici(): typeof Undici {
  undiciModule ??= createRequire(import.meta.url)('undici') as typeof Undici;
  return undiciModule;
}

/**
 * undici dispatchers for checks. Requests carry `reset: true` (Connection: close), so each
 * check opens its own connection and proves the server still accepts new ones, as
 * keepalived's HTTP_GET does. Without redirects, one `Client` per origin and TLS setting,
 * kept between checks: an `Agent` would build and tear down a pool for its origin on every
 * check, since the connection is gone each time. With redirects (which may cross origins),
 * one `Agent` per setting.
 */
export class DispatcherCache {
  private readonly clients = new Map<string, Dispatcher>();
  private readonly agents = new Map<string, Dispatcher>();
  private readonly settingsKeys = new WeakMap<NegotiateCheck, string>();

  get(check: NegotiateCheck, origin: string): Dispatcher {
    const redirects = check.redirects ?? 0;
    let settings = this.settingsKeys.get(check);
    if (settings === undefined) {
      settings = stableKey({ ...connectOptions(check), redirects });
      this.settingsKeys.set(check, settings);
    }
    if (redirects > 0) {
      let agent = this.agents.get(settings);
      if (!agent) {
        const { Agent, interceptors } = undici();
        agent = new Agent({ connect: connectOptions(check) }).compose(
          interceptors.redirect({ maxRedirections: redirects }),
        );
        this.agents.set(settings, agent);
      }
      return agent;
    }
    const key = `${origin} ${settings}`;
    let client = this.clients.get(key);
    if (client) {
      // Most recently used last, so the eviction below drops the least recently used.
      this.clients.delete(key);
    } else {
      const { Client } = undici();
      client = new Client(origin, { connect: connectOptions(check) });
      if (this.clients.size >= MAX_CLIENTS) {
        const [oldestKey, oldest] = this.clients.entries().next().value as [string, Dispatcher];
        this.clients.delete(oldestKey);
        void oldest.close().catch(() => {});
      }
    }
    this.clients.set(key, client);
    return client;
  }

  async close(): Promise<void> {
    const all = [...this.clients.values(), ...this.agents.values()];
    this.clients.clear();
    this.agents.clear();
    await Promise.all(all.map((d) => d.destroy()));
  }
}

function connectOptions(check: NegotiateCheck) {
  const servername = check.servername ?? hostName(check.host);
  return {
    rejectUnauthorized: check.verify !== false,
    ...(servername ? { servername } : {}),
    ...(check.ca ? { ca: check.ca } : {}),
    ...(check.cert ? { cert: check.cert } : {}),
    ...(check.key ? { key: check.key } : {}),
  };
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
  const origin = `${scheme}://${host}:${port}`;
  const response = await dispatchers.get(check, origin).request({
    origin,
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
  if (!inRange(status, check) || !wantsBody) {
    // Reading the rest (the server closes after it) costs less than aborting, which makes
    // undici build an error with a stack trace.
    await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
    if (!inRange(status, check)) {
      return fail('bad-status', `${check.method ?? 'GET'} ${url}: status ${status}`, { status });
    }
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
