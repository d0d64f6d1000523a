/** The REST API client of the page: same origin, session cookie, CSRF token on every write. */

export interface ApiIssue {
  code: string;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
    readonly issues: readonly ApiIssue[],
  ) {
    super(message);
  }
  /** Every error to show: the issues of a rejected change, or the error itself. */
  all(): ApiIssue[] {
    if (this.issues.length > 0) return [...this.issues];
    return [{ code: this.code, message: this.message, ...(this.field === undefined ? {} : { field: this.field }) }];
  }
}

const BASE = '/api/v1';
let csrfToken = '';
const authListeners = new Set<(code: string) => void>();

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** Called when the API answers that the session is gone or the password must be changed first. */
export function onAuthProblem(listener: (code: string) => void): void {
  authListeners.add(listener);
}

export interface RequestOptions {
  /** The configuration version a write is based on (`?version=N`). */
  version?: number;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** Do not report auth problems to the router (the login form handles its own). */
  quiet?: boolean;
}

export function apiUrl(path: string, query: RequestOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `${BASE}${path}${qs ? `?${qs}` : ''}`;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const query = { ...options.query, ...(options.version === undefined ? {} : { version: options.version }) };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(apiUrl(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    throw new ApiError(0, 'NETWORK', `the appliance cannot be reached (${String(cause)})`, undefined, []);
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = text;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; field?: string; issues?: ApiIssue[] } })?.error;
    const code = error?.code ?? `HTTP_${res.status}`;
    if (!options.quiet && (code === 'AUTH_REQUIRED' || code === 'AUTH_PASSWORD_CHANGE_REQUIRED')) {
      for (const listener of authListeners) listener(code);
    }
    throw new ApiError(
      res.status,
      code,
      error?.message ?? `${res.status} ${res.statusText}`,
      error?.field,
      error?.issues ?? [],
    );
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  put: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PUT', path, body, options),
  del: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options),
};

/** A path segment from a label or address (`2001:db8::1/64` stays one segment). */
export const seg = (value: string): string => encodeURIComponent(value);
