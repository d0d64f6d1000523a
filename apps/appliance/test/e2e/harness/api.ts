import { request } from 'node:http';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export class ApiError extends Error {
  readonly response: ApiResponse;
  constructor(method: string, path: string, response: ApiResponse) {
    super(`${method} ${path}: HTTP ${response.status} ${response.text.slice(0, 1000)}`);
    this.response = response;
  }
}

/** Where the API answers: the forwarder's Unix socket, or TCP (a daemon in the test's own namespace). */
export type ApiTarget = string | { host: string; port: number };

/**
 * The REST API of an appliance inside a namespace, reached through the Unix socket that
 * the harness's forwarder listens on (or over TCP when the daemon runs outside). It logs in as a browser does (session cookie and CSRF
 * token), so the tests exercise the same authentication as the web UI.
 */
export class ApiClient {
  readonly target: ApiTarget;
  private cookie: string | undefined;
  private csrf: string | undefined;
  /** The last login's, to log in again as a browser user would when the session ends. */
  private credentials: { username: string; password: string } | undefined;

  constructor(target: ApiTarget) {
    this.target = target;
  }

  /**
   * One request; a session that ended (401) is logged in again once and the request sent
   * again. Sessions end by design when their user's password hash changes, and in an HA
   * pair the master's users replace the slave's (same password, another salt).
   */
  async raw<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<ApiResponse<T>> {
    const response = await this.once<T>(method, path, body, headers, timeoutMs);
    if (response.status !== 401 || path === '/session' || this.credentials === undefined || this.cookie === undefined)
      return response;
    await this.login(this.credentials.username, this.credentials.password);
    return this.once<T>(method, path, body, headers, timeoutMs);
  }

  /** A GET at the server's root, outside /api/v1 (`/metrics`), logged in as this client. */
  async rootGet(path: string): Promise<ApiResponse<string>> {
    return this.once<string>('GET', path, undefined, { accept: 'text/plain' }, 30_000, '');
  }

  private once<T>(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
    under = '/api/v1',
  ): Promise<ApiResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const all: Record<string, string> = { accept: 'application/json', ...headers };
    if (payload) {
      all['content-type'] = 'application/json';
      all['content-length'] = String(payload.length);
    }
    if (this.cookie) all.cookie = this.cookie;
    if (this.csrf && method !== 'GET') all['x-csrf-token'] = this.csrf;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...(typeof this.target === 'string' ? { socketPath: this.target } : this.target),
          method,
          path: `${under}${path}`,
          headers: all,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request that must succeed (2xx); its JSON body. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.raw<T>(method, path, body);
    if (response.status < 200 || response.status > 299) throw new ApiError(method, path, response);
    return response.body;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** Logs in; returns whether the password must still be changed. */
  async login(username: string, password: string): Promise<{ mustChangePassword: boolean }> {
    this.cookie = undefined;
    this.csrf = undefined;
    const response = await this.once<{ mustChangePassword: boolean; csrfToken: string }>(
      'POST',
      '/session',
      { username, password },
      {},
      30_000,
    );
    if (response.status !== 200 && response.status !== 201) throw new ApiError('POST', '/session', response);
    const setCookie = response.headers['set-cookie'];
    const session = (Array.isArray(setCookie) ? setCookie : [setCookie ?? ''])
      .map((c) => c.split(';')[0] ?? '')
      .find((c) => c.startsWith('sluice_session='));
    if (!session) throw new Error(`POST /session set no sluice_session cookie: ${JSON.stringify(response.headers)}`);
    this.cookie = session;
    this.csrf = response.body.csrfToken;
    this.credentials = { username, password };
    return { mustChangePassword: response.body.mustChangePassword };
  }

  /** The current configuration version (writes name it). */
  async version(): Promise<number> {
    return (await this.get<{ version: number }>('/config')).version;
  }

  /**
   * A configuration write based on the current version, stored and applied (`wait=applied`)
   * before it resolves; retried once on a version conflict (replication may have moved it).
   */
  async write<T = unknown>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const version = await this.version();
      const sep = path.includes('?') ? '&' : '?';
      const response = await this.raw<T>(method, `${path}${sep}version=${version}&wait=applied`, body);
      if (response.status === 409 && attempt === 0) continue;
      if (response.status < 200 || response.status > 299) throw new ApiError(method, path, response);
      return response.body;
    }
  }
}
