/**
 * The cookie a Layer 7 service's cookie persistence uses when it names none: what the
 * HAProxy configuration is written with (engine/layer7/model.ts) and what the service
 * form shows in the empty Cookie name field, from this one place.
 */
export const DEFAULT_COOKIES = {
  /** HTTP cookie: the balancer inserts its own, as Loadbalancer.org's and HAProxy's examples name it. */
  'cookie-insert': 'SERVERID',
  /** Application cookie: the balancer prefixes the application's session cookie (Java's by default). */
  'passive-cookie': 'JSESSIONID',
} as const;

export type CookiePersistence = keyof typeof DEFAULT_COOKIES;

/** The cookie name an empty field stands for under this persistence type, if it is a cookie one. */
export const defaultCookie = (type: unknown): string | undefined =>
  typeof type === 'string' && Object.hasOwn(DEFAULT_COOKIES, type)
    ? DEFAULT_COOKIES[type as CookiePersistence]
    : undefined;
