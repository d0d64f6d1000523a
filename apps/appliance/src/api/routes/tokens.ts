import { z } from 'zod';
import type { TokenInfo } from '../../auth/tokens.js';
import { ApplianceError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { requireObject } from '../resources.js';
import type { Route } from '../router.js';
import type { Agrees } from '../schemas/agree.js';

const tokenInfoSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  role: z.enum(['admin', 'readonly']),
  created: z.string(),
  credential: z.string().exactOptional(),
  volatile: z.literal(true).exactOptional(),
});
const _agrees: Agrees<typeof tokenInfoSchema, TokenInfo> = true;

const NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,64}$/u;

/** API tokens: an administrator sees and revokes all; a read-only user only its own. */
export function tokenRoutes(deps: ApiDeps): Route[] {
  const { auth, logs } = deps;
  return [
    {
      method: 'GET',
      path: '/tokens',
      summary: 'API tokens (never their secrets)',
      tag: 'session',
      access: 'user',
      responseSchema: z.strictObject({ tokens: z.array(tokenInfoSchema) }),
      handler: async (ctx) => {
        const all = auth.tokens.list();
        const principal = ctx.principal;
        return { body: { tokens: principal?.role === 'admin' ? all : all.filter((t) => t.user === principal?.user) } };
      },
    },
    {
      method: 'POST',
      path: '/tokens',
      summary: 'Create an API token for the caller (the secret is shown once)',
      tag: 'session',
      access: 'user',
      requestSchema: z.strictObject({ name: z.string(), role: z.enum(['admin', 'readonly']).optional() }),
      created: true,
      responseSchema: tokenInfoSchema.extend({ token: z.string().describe('the secret: shown this once') }),
      handler: async (ctx) => {
        const principal = ctx.principal;
        if (principal === undefined) throw new ApplianceError('AUTH_REQUIRED', 'log in first');
        const body = requireObject(ctx.body);
        for (const key of Object.keys(body)) {
          if (key !== 'name' && key !== 'role') throw badRequest(key, 'is not a field of a token');
        }
        if (typeof body.name !== 'string' || !NAME.test(body.name)) {
          throw badRequest('name', 'must be 1 to 64 characters without control characters');
        }
        const role = body.role ?? principal.role;
        if (role !== 'admin' && role !== 'readonly') throw badRequest('role', 'must be "admin" or "readonly"');
        if (role === 'admin' && principal.role !== 'admin') {
          throw new ApplianceError('AUTH_FORBIDDEN', 'a read-only user can create read-only tokens only');
        }
        const { info, token } = await auth.createToken(principal, body.name, role);
        logs.write('audit', 'info', `${principal.user}: created API token ${info.id} (${role})`, {
          user: principal.user,
          token: info.id,
        });
        return {
          status: 201,
          body: { ...info, token },
          headers: { location: `/api/v1/tokens/${encodeURIComponent(info.id)}` },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/tokens/{id}',
      summary: 'Revoke an API token',
      tag: 'session',
      access: 'user',
      params: z.strictObject({ id: z.string().max(256) }),
      responseSchema: z.strictObject({ deleted: z.string() }),
      handler: async (ctx) => {
        const id = ctx.params.id as string;
        const token = auth.tokens.list().find((t) => t.id === id);
        if (token === undefined || (ctx.principal?.role !== 'admin' && token.user !== ctx.principal?.user)) {
          throw notFound(`token "${id}"`);
        }
        await auth.tokens.delete(id);
        logs.write('audit', 'info', `${ctx.principal?.user}: revoked API token ${id}`, { token: id });
        return { body: { deleted: id } };
      },
    },
  ];
}
