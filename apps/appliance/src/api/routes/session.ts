import { z } from 'zod';
import { hashPassword, passwordProblem, SESSION_COOKIE } from '../../auth/index.js';
import { FailedLoginAudit } from '../../auth/login-audit.js';
import { ApplianceError, fieldError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { isTls } from '../http.js';
import { newPasswordSchema, requireObject } from '../resources.js';
import type { Ctx, Route } from '../router.js';
import type { Writer } from '../writes.js';

const role = z.enum(['admin', 'readonly']);
const SET_COOKIE = { 'Set-Cookie': { description: 'the session cookie', schema: { type: 'string' } } };

function strictFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw badRequest(key, 'is not a field of this request');
  }
}

function stringField(body: Record<string, unknown>, key: string, max = 256): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw badRequest(key, `must be a string of 1 to ${max} characters`);
  }
  return value;
}

/**
 * The session cookie lives as long as the browser session: the daemon ends idle and old
 * sessions itself (a Max-Age would drop the cookie of an active user after the idle time).
 */
function cookie(ctx: Ctx, value: string, clear = false): string {
  const secure = isTls(ctx.req) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${clear ? '; Max-Age=0' : ''}${secure}`;
}

/** Login, logout, who am I, and the password change (a new configuration version). */
export function sessionRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { auth, logs } = deps;
  const failedLogins = new FailedLoginAudit(
    () => auth.now().getTime(),
    (message, fields) => logs.write('audit', 'warn', message, fields),
  );
  return [
    {
      method: 'POST',
      path: '/session',
      summary: 'Log in: sets the session cookie and returns the CSRF token',
      tag: 'session',
      access: 'public',
      requestSchema: z.strictObject({ username: z.string(), password: z.string() }),
      responseSchema: z.strictObject({
        user: z.string(),
        role,
        mustChangePassword: z.boolean(),
        csrfToken: z.string(),
      }),
      responseHeaders: SET_COOKIE,
      errors: [401, 429],
      handler: async (ctx) => {
        const body = requireObject(ctx.body);
        strictFields(body, ['username', 'password']);
        const username = stringField(body, 'username', 64);
        const password = stringField(body, 'password');
        const safeName = JSON.stringify(username.slice(0, 64));
        try {
          const { session, role } = await auth.login(username, password, ctx.address);
          failedLogins.succeeded(ctx.address, username);
          logs.write('audit', 'info', `login of ${safeName} from ${ctx.address}`, {
            user: username,
            address: ctx.address,
            outcome: 'success',
          });
          return {
            body: {
              user: session.user,
              role,
              mustChangePassword: auth.mustChangePassword(session.user),
              csrfToken: session.csrfToken,
            },
            headers: { 'set-cookie': cookie(ctx, session.id) },
          };
        } catch (error) {
          if (error instanceof ApplianceError) failedLogins.failed(ctx.address, username.slice(0, 64), error.code);
          throw error;
        }
      },
    },
    {
      method: 'GET',
      path: '/session',
      summary: 'Who the caller is (and the CSRF token of its session)',
      tag: 'session',
      access: 'self',
      responseSchema: z.strictObject({
        user: z.string(),
        role,
        via: z.enum(['session', 'token']),
        mustChangePassword: z.boolean(),
        csrfToken: z.string().optional(),
      }),
      handler: async (ctx) => {
        const principal = ctx.principal;
        if (principal === undefined) throw new ApplianceError('AUTH_REQUIRED', 'log in first');
        return {
          body: {
            user: principal.user,
            role: principal.role,
            via: principal.via,
            mustChangePassword: principal.mustChangePassword,
            ...(principal.session === undefined ? {} : { csrfToken: principal.session.csrfToken }),
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/session',
      summary: 'Log out',
      tag: 'session',
      access: 'self',
      responseSchema: z.strictObject({ loggedOut: z.literal(true) }),
      responseHeaders: SET_COOKIE,
      handler: async (ctx) => {
        if (ctx.principal?.session !== undefined) {
          auth.sessions.delete(ctx.principal.session.id);
          logs.write('audit', 'info', `logout of ${JSON.stringify(ctx.principal.user)}`, { user: ctx.principal.user });
        }
        return { body: { loggedOut: true }, headers: { 'set-cookie': cookie(ctx, '', true) } };
      },
    },
    {
      method: 'POST',
      path: '/session/password',
      summary: "Change the caller's password (stored as a new configuration version)",
      tag: 'session',
      access: 'self',
      requestSchema: z.strictObject({ current: z.string(), new: newPasswordSchema }),
      responseSchema: z.strictObject({ version: z.int(), mustChangePassword: z.literal(false) }),
      errors: [404, 409, 422],
      handler: async (ctx) => {
        const principal = ctx.principal;
        if (principal === undefined) throw new ApplianceError('AUTH_REQUIRED', 'log in first');
        // The CLI token, not a user that happens to be named like it.
        if (principal.token?.volatile === true) throw badRequest('(user)', 'the local CLI token has no password');
        const body = requireObject(ctx.body);
        strictFields(body, ['current', 'new']);
        const current = stringField(body, 'current');
        const next = body.new;
        const problem = passwordProblem(next);
        if (problem !== undefined) throw badRequest('new', problem);
        if (next === current) throw badRequest('new', 'must differ from the current password');
        if (!(await auth.checkPassword(principal.user, current, ctx.address))) {
          throw new ApplianceError('AUTH_FAILED', 'the current password is wrong', { field: 'current' });
        }
        const passwordHash = await hashPassword(next as string, auth.cost);
        const outcome = await writer.commit(
          ctx,
          deps.store.current().version,
          (config) => {
            if (!config.administration.users.some((u) => u.username === principal.user)) {
              throw fieldError('API_NOT_FOUND', 'username', 'the user no longer exists');
            }
            return {
              ...config,
              administration: {
                ...config.administration,
                users: config.administration.users.map((u) =>
                  u.username === principal.user ? { ...u, passwordHash } : u,
                ),
              },
            };
          },
          `password change of ${principal.user}`,
        );
        await auth.passwordChanged(principal.user, principal.session?.id);
        logs.write('audit', 'info', `password of ${JSON.stringify(principal.user)} changed`, { user: principal.user });
        return { body: { version: outcome.result.version.version, mustChangePassword: false } };
      },
    },
  ];
}
