import { z } from 'zod';
import { ApplianceError } from '../../errors.js';
import type { ApplianceConfig } from '../../model/schema.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import {
  COLLECTIONS,
  createItem,
  deleteItem,
  deleteSingleton,
  type OpContext,
  putSingleton,
  replaceItem,
  requireObject,
  SINGLETONS,
} from '../resources.js';
import { type Method, type Route, Router } from '../router.js';
import { writeReplySchema } from '../schemas/config.js';
import { writeQuery } from '../schemas/parameters.js';
import { type Effect, type Writer, writeReply } from '../writes.js';

type Op = (
  config: ApplianceConfig,
  params: Record<string, string>,
  body: unknown,
  ctx: OpContext,
) => Promise<ApplianceConfig>;

const MAX_OPERATIONS = 10_000;

/** The writes a batch may hold: the collections' and singletons' POST, PUT and DELETE. */
function batchRouter(): { router: Router; ops: Map<Route, Op> } {
  const ops = new Map<Route, Op>();
  const add = (method: Method, path: string, op: Op) => {
    const route: Route = { method, path, summary: '', tag: '', access: 'write', handler: async () => undefined };
    ops.set(route, op);
  };
  for (const c of COLLECTIONS) {
    const item = `${c.path}/{${c.param}}`;
    add('POST', c.path, async (config, params, body, ctx) => (await createItem(c, config, params, body, ctx)).config);
    add('PUT', item, (config, params, body, ctx) => replaceItem(c, config, params, body, ctx));
    add('DELETE', item, async (config, params, _body, ctx) => deleteItem(c, config, params, ctx));
  }
  for (const s of SINGLETONS) {
    add('PUT', s.path, async (config, _params, body) => putSingleton(s, config, body));
    if (s.optional) add('DELETE', s.path, async (config) => deleteSingleton(s, config));
  }
  return { router: new Router([...ops.keys()]), ops };
}

export const batchSchema = z.strictObject({
  operations: z
    .array(
      z.strictObject({
        method: z.enum(['POST', 'PUT', 'DELETE']),
        path: z.string().describe('a collection or item path under /api/v1, e.g. /layer4/services/web/real-servers'),
        body: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(MAX_OPERATIONS),
  comment: z.string().max(1000).optional(),
});

/** POST /batch: every operation applies to one draft; the result is one version, or nothing at all. */
export function batchRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { router, ops } = batchRouter();
  return [
    {
      method: 'POST',
      path: '/batch',
      summary: 'Several configuration writes as one version: all or nothing',
      tag: 'configuration',
      access: 'write',
      query: writeQuery,
      bodyLimit: 16 * 1024 * 1024,
      requestSchema: batchSchema,
      responseSchema: writeReplySchema({ operations: z.int() }),
      errors: [404],
      handler: async (ctx) => {
        const base = writer.baseVersion(ctx);
        const body = requireObject(ctx.body);
        for (const key of Object.keys(body)) {
          if (key !== 'operations' && key !== 'comment') throw badRequest(key, 'is not a field of a batch');
        }
        const list = body.operations;
        if (!Array.isArray(list) || list.length === 0 || list.length > MAX_OPERATIONS) {
          throw badRequest('operations', `must be a list of 1 to ${MAX_OPERATIONS} operations`);
        }
        let comment = writer.comment(ctx, `batch of ${list.length} operations`);
        if (body.comment !== undefined) {
          if (
            typeof body.comment !== 'string' ||
            body.comment.length > 1000 ||
            /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(body.comment)
          ) {
            throw badRequest('comment', 'must be at most 1000 characters without control characters');
          }
          comment = body.comment;
        }
        // Every operation is checked before anything is built, so that a bad one costs nothing.
        const steps = list.map((raw, i) => {
          const at = `operations[${i}]`;
          const op = requireObject(raw, at);
          for (const key of Object.keys(op)) {
            if (key !== 'method' && key !== 'path' && key !== 'body')
              throw badRequest(`${at}.${key}`, 'is not a field of an operation');
          }
          if (op.method !== 'POST' && op.method !== 'PUT' && op.method !== 'DELETE') {
            throw badRequest(`${at}.method`, 'must be POST, PUT or DELETE');
          }
          if (typeof op.path !== 'string' || !op.path.startsWith('/') || op.path.length > 2048) {
            throw badRequest(`${at}.path`, 'must be a path under /api/v1 such as /layer4/services/web');
          }
          const path = op.path.startsWith('/api/v1/') ? op.path.slice('/api/v1'.length) : op.path;
          const match = router.match(path.split('?')[0] as string).get(op.method);
          if (match === undefined)
            throw badRequest(`${at}.path`, `${op.method} ${op.path} is not a configuration write`);
          if (op.method !== 'DELETE' && op.body === undefined) throw badRequest(`${at}.body`, 'is required');
          return { at, op: ops.get(match.route) as Op, params: match.params, body: op.body };
        });
        const effects: Effect[] = [];
        const outcome = await writer.commit(
          ctx,
          base,
          async (config) => {
            let draft = config;
            for (const step of steps) {
              try {
                draft = await step.op(draft, step.params, step.body, { auth: deps.auth, effects });
              } catch (error) {
                if (error instanceof ApplianceError) {
                  throw new ApplianceError(error.code, `${step.at}: ${error.message}`, {
                    cause: error,
                    field: error.field === undefined ? step.at : `${step.at}.${error.field}`,
                    issues: error.issues,
                  });
                }
                throw error;
              }
            }
            return draft;
          },
          comment,
          effects,
        );
        return { body: writeReply(outcome, { operations: steps.length }) };
      },
    },
  ];
}
