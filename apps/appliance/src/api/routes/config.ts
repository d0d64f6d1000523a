import { z } from 'zod';
import type { Role } from '../../auth/index.js';
import { ApplianceError } from '../../errors.js';
import type { DiffEntry } from '../../model/diff.js';
import { type ApplianceConfig, configSchema } from '../../model/schema.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { redactConfig, requireObject } from '../resources.js';
import type { Ctx, Route } from '../router.js';
import { diffEntrySchema, plainWriteReplySchema, storedVersionSchema, versionInfoSchema } from '../schemas/config.js';
import { diffQuery, positiveInt, versionsQuery, writeQuery } from '../schemas/parameters.js';
import { redactChanges, redactSecrets } from '../secrets.js';
import { type Writer, writeReply } from '../writes.js';

export const BIG_BODY = 64 * 1024 * 1024;

const roleOf = (ctx: Ctx): Role => ctx.principal?.role ?? 'readonly';

function intParam(ctx: Ctx, name: string, fallback?: number): number {
  const text = ctx.query.get(name) ?? ctx.params[name];
  if (text === null || text === undefined) {
    if (fallback !== undefined) return fallback;
    throw badRequest(name, 'is required');
  }
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw badRequest(name, 'must be a positive integer');
  return Number(text);
}

const SECRET_PATH = /(\.passwordHash|^heartbeat\.key|^heartbeat)$/;

/** History shows no secret to anyone (secrets.ts); a read-only user does not see the users' changes either. */
function redactDiff(all: DiffEntry[], role: Role): DiffEntry[] {
  const changes = redactChanges(all);
  if (role === 'admin') return changes;
  return changes.map((change) =>
    SECRET_PATH.test(change.path) || change.path.startsWith('administration.users')
      ? { path: change.path, op: change.op }
      : change,
  );
}

/**
 * A whole configuration without `administration.users` keeps the users as they are: a
 * tool (Terraform, Ansible) that manages services need not hold password hashes. Users are
 * managed at /users; a document that names them replaces them as before.
 */
function keepUsers(body: Record<string, unknown>, current: ApplianceConfig): Record<string, unknown> {
  const administration = body.administration;
  if (administration === undefined) return { ...body, administration: { users: current.administration.users } };
  if (typeof administration !== 'object' || administration === null || Array.isArray(administration)) return body;
  if ('users' in administration) return body;
  return { ...body, administration: { ...administration, users: current.administration.users } };
}

export function configRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { store } = deps;
  // The whole document is a megabyte with 10,000 real servers: serialised once per version and role.
  const cache = new Map<Role, { version: number; bytes: Buffer }>();
  const currentBytes = (role: Role): Buffer => {
    const current = store.current();
    const hit = cache.get(role);
    if (hit !== undefined && hit.version === current.version) return hit.bytes;
    const bytes = Buffer.from(`${JSON.stringify({ ...current, config: redactConfig(current.config, role) })}\n`);
    cache.set(role, { version: current.version, bytes });
    return bytes;
  };
  return [
    {
      method: 'GET',
      path: '/config',
      summary: 'The current configuration and its version (ETag "N")',
      tag: 'configuration',
      access: 'read',
      responseSchema: storedVersionSchema,
      etag: true,
      responses: { 304: { description: 'not modified: If-None-Match holds the current ETag' } },
      handler: async (ctx) => {
        const version = store.current().version;
        const etag = `"${version}"`;
        // A client that holds this version already gets no body.
        if (ctx.req.headers['if-none-match'] === etag) return { status: 304, body: '', headers: { etag } };
        return { body: undefined, json: currentBytes(roleOf(ctx)), headers: { etag } };
      },
    },
    {
      method: 'PUT',
      path: '/config',
      summary: 'Replace the whole configuration (a new version)',
      tag: 'configuration',
      access: 'write',
      query: writeQuery,
      responseSchema: plainWriteReplySchema,
      etag: true,
      bodyLimit: BIG_BODY,
      requestSchema: configSchema,
      handler: async (ctx) => {
        const base = writer.baseVersion(ctx);
        requireObject(ctx.body);
        const outcome = await writer.commit(
          ctx,
          base,
          (current) => keepUsers(ctx.body as Record<string, unknown>, current),
          writer.comment(ctx, 'configuration replaced'),
        );
        return { body: writeReply(outcome), headers: { etag: `"${outcome.result.version.version}"` } };
      },
    },
    {
      method: 'GET',
      path: '/config/versions',
      summary: 'Configuration versions, newest first (author, time, comment)',
      tag: 'configuration',
      access: 'read',
      query: versionsQuery,
      responseSchema: z.strictObject({ current: z.int(), versions: z.array(versionInfoSchema) }),
      handler: async (ctx) => {
        const limit = Math.min(intParam(ctx, 'limit', 50), 1000);
        const before = ctx.query.has('before') ? intParam(ctx, 'before') : undefined;
        const versions = await store.history({ limit, ...(before === undefined ? {} : { before }) });
        return { body: { current: store.current().version, versions } };
      },
    },
    {
      method: 'GET',
      path: '/config/versions/{version}',
      summary: 'One configuration version (password hashes and the heartbeat key redacted)',
      tag: 'configuration',
      access: 'read',
      params: z.strictObject({ version: positiveInt }),
      responseSchema: storedVersionSchema,
      handler: async (ctx) => {
        const stored = await store.get(intParam(ctx, 'version'));
        return { body: { ...stored, config: redactConfig(redactSecrets(stored.config), roleOf(ctx)) } };
      },
    },
    {
      method: 'GET',
      path: '/config/diff',
      summary: 'What changed between two versions (to: current, from: the one before); secrets redacted',
      tag: 'configuration',
      access: 'read',
      query: diffQuery,
      responseSchema: z.strictObject({ from: z.int(), to: z.int(), changes: z.array(diffEntrySchema) }),
      errors: [404],
      handler: async (ctx) => {
        const to = intParam(ctx, 'to', store.current().version);
        const from = intParam(ctx, 'from', Math.max(1, to - 1));
        return { body: { from, to, changes: redactDiff(await store.diff(from, to), roleOf(ctx)) } };
      },
    },
    {
      method: 'POST',
      path: '/config/rollback',
      summary: 'Make an earlier version current again (as a new version)',
      tag: 'configuration',
      access: 'write',
      query: writeQuery,
      responseSchema: plainWriteReplySchema,
      errors: [404],
      requestSchema: z.strictObject({ to: z.int().min(1), version: z.int().min(1).optional() }),
      handler: async (ctx) => {
        const body = requireObject(ctx.body);
        for (const key of Object.keys(body)) {
          if (key !== 'to' && key !== 'version') throw badRequest(key, 'is not a field of a rollback');
        }
        if (!Number.isSafeInteger(body.to) || (body.to as number) < 1)
          throw badRequest('to', 'must be a version number');
        const base = writer.baseVersion(ctx, body.version);
        writer.requireEditable();
        const wait = ctx.query.get('wait');
        if (wait !== null && wait !== 'applied') throw badRequest('wait', 'must be "applied"');
        const author = ctx.principal?.user ?? 'system';
        let result: Awaited<ReturnType<typeof store.rollback>>;
        try {
          result = await store.rollback({
            to: body.to as number,
            baseVersion: base,
            author,
            comment: writer.comment(ctx, `rollback to version ${body.to}`),
          });
        } catch (error) {
          if (error instanceof ApplianceError) {
            deps.logs.write('audit', 'warn', `${author}: rollback rejected (${error.code}): ${error.message}`, {
              author,
              outcome: 'rejected',
              code: error.code,
            });
          }
          throw writer.precondition(ctx, error, body.version);
        }
        return { body: writeReply(await writer.stored(ctx, result)) };
      },
    },
  ];
}
