import { z } from 'zod';
import type { Role } from '../../auth/index.js';
import type { ApiDeps } from '../deps.js';
import {
  COLLECTIONS,
  type Collection,
  createItem,
  deleteItem,
  deleteSingleton,
  findItem,
  listItems,
  type OpContext,
  putSingleton,
  redactConfig,
  replaceItem,
  SINGLETONS,
} from '../resources.js';
import type { Ctx, QuerySchema, Route } from '../router.js';
import { writeReplySchema } from '../schemas/config.js';
import { itemKey, writeQuery } from '../schemas/parameters.js';
import { type Effect, type Writer, writeReply } from '../writes.js';

const roleOf = (ctx: Ctx): Role => ctx.principal?.role ?? 'readonly';
const present = (collection: Collection, item: Record<string, unknown>, role: Role) =>
  collection.present ? collection.present(item, role) : item;

/** The URL of an item: its route's path with the parameters filled in (encoded: a label may hold `/`). */
export function itemLocation(path: string, params: Record<string, string>): string {
  return `/api/v1${path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''))}`;
}

/** The path's parameters, each an item key. */
const keyParams = (path: string): QuerySchema =>
  z.strictObject(Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] as string, itemKey])));

/** CRUD for every labelled collection and the section singletons. */
export function collectionRoutes(deps: ApiDeps, writer: Writer): Route[] {
  const { store } = deps;
  const routes: Route[] = [];
  const opContext = (effects: Effect[]): OpContext => ({ auth: deps.auth, effects });
  for (const collection of COLLECTIONS) {
    const item = `${collection.path}/{${collection.param}}`;
    const shown = collection.itemSchema ?? collection.schema;
    const listParams = collection.path.includes('{') ? { params: keyParams(collection.path) } : {};
    const itemParams = keyParams(item);
    routes.push(
      {
        method: 'GET',
        path: collection.path,
        summary: `List ${collection.what}s`,
        tag: collection.tag,
        access: 'read',
        ...listParams,
        responseSchema: z.strictObject({ version: z.int(), items: z.array(shown) }),
        etag: true,
        handler: async (ctx) => {
          const current = store.current();
          const items = listItems(collection, current.config, ctx.params).map((i) =>
            present(collection, i, roleOf(ctx)),
          );
          return { body: { version: current.version, items }, headers: { etag: `"${current.version}"` } };
        },
      },
      {
        method: 'POST',
        path: collection.path,
        summary: `Add a ${collection.what}`,
        tag: collection.tag,
        access: 'write',
        ...listParams,
        query: writeQuery,
        requestSchema: collection.schema,
        created: true,

        responseSchema: writeReplySchema({ item: shown }),
        etag: true,
        handler: async (ctx) => {
          const base = writer.baseVersion(ctx);
          const effects: Effect[] = [];
          let key = '';
          const outcome = await writer.commit(
            ctx,
            base,
            async (config) => {
              const made = await createItem(collection, config, ctx.params, ctx.body, opContext(effects));
              key = made.key;
              return made.config;
            },
            writer.comment(
              ctx,
              `add ${collection.what} ${String((ctx.body as Record<string, unknown>)?.[collection.keyField])}`,
            ),
            effects,
          );
          const stored = findItem(collection, outcome.result.version.config, {
            ...ctx.params,
            [collection.param]: key,
          });
          const scope = collection.scope(outcome.result.version.config, ctx.params, key) ?? null;
          return {
            status: 201,
            body: writeReply(outcome, { item: present(collection, stored, roleOf(ctx)) }, scope),
            headers: {
              etag: `"${outcome.result.version.version}"`,
              location: itemLocation(item, { ...ctx.params, [collection.param]: key }),
            },
          };
        },
      },
      {
        method: 'GET',
        path: item,
        summary: `One ${collection.what}`,
        tag: collection.tag,
        access: 'read',
        params: itemParams,
        responseSchema: z.strictObject({ version: z.int(), item: shown }),
        etag: true,
        handler: async (ctx) => {
          const current = store.current();
          const found = findItem(collection, current.config, ctx.params);
          return {
            body: { version: current.version, item: present(collection, found, roleOf(ctx)) },
            headers: { etag: `"${current.version}"` },
          };
        },
      },
      {
        method: 'PUT',
        path: item,
        summary: `Replace a ${collection.what}`,
        tag: collection.tag,
        access: 'write',
        params: itemParams,
        query: writeQuery,
        requestSchema: collection.schema,
        responseSchema: writeReplySchema({ item: shown }),
        etag: true,
        handler: async (ctx) => {
          const base = writer.baseVersion(ctx);
          const effects: Effect[] = [];
          const outcome = await writer.commit(
            ctx,
            base,
            (config) => replaceItem(collection, config, ctx.params, ctx.body, opContext(effects)),
            writer.comment(ctx, `change ${collection.what} ${ctx.params[collection.param]}`),
            effects,
          );
          const stored = findItem(collection, outcome.result.version.config, ctx.params);
          const key = ctx.params[collection.param] as string;
          const scope = collection.scope(outcome.result.version.config, ctx.params, key) ?? null;
          return {
            body: writeReply(outcome, { item: present(collection, stored, roleOf(ctx)) }, scope),
            headers: { etag: `"${outcome.result.version.version}"` },
          };
        },
      },
      {
        method: 'DELETE',
        path: item,
        summary: `Remove a ${collection.what}`,
        tag: collection.tag,
        access: 'write',
        params: itemParams,
        query: writeQuery,
        responseSchema: writeReplySchema({}),
        etag: true,
        handler: async (ctx) => {
          const base = writer.baseVersion(ctx);
          const effects: Effect[] = [];
          const outcome = await writer.commit(
            ctx,
            base,
            (config) => deleteItem(collection, config, ctx.params, opContext(effects)),
            writer.comment(ctx, `remove ${collection.what} ${ctx.params[collection.param]}`),
            effects,
          );
          // What remains of the parent (a service losing a real server) may have warnings; a removed item has none.
          const scope =
            collection.param === 'server'
              ? (collection.scope(outcome.result.version.config, ctx.params, '') ?? null)
              : null;
          return { body: writeReply(outcome, {}, scope), headers: { etag: `"${outcome.result.version.version}"` } };
        },
      },
    );
  }
  for (const singleton of SINGLETONS) {
    const shown = singleton.optional
      ? (singleton.itemSchema ?? singleton.schema).nullable()
      : (singleton.itemSchema ?? singleton.schema);
    const show = (value: unknown, role: Role) => {
      if (value === undefined) return null;
      const redacted = (
        redactConfig({ ...store.current().config, [singleton.key]: value }, role) as Record<string, unknown>
      )[singleton.key] as Record<string, unknown>;
      return singleton.present ? singleton.present(redacted) : redacted;
    };
    routes.push(
      {
        method: 'GET',
        path: singleton.path,
        summary: `The ${singleton.key} section${singleton.optional ? ' (null when not configured)' : ''}`,
        tag: 'configuration',
        access: 'read',
        responseSchema: z.strictObject({ version: z.int(), item: shown }),
        etag: true,
        handler: async (ctx) => {
          const current = store.current();
          return {
            body: { version: current.version, item: show(current.config[singleton.key], roleOf(ctx)) },
            headers: { etag: `"${current.version}"` },
          };
        },
      },
      {
        method: 'PUT',
        path: singleton.path,
        summary: `Replace the ${singleton.key} section`,
        tag: 'configuration',
        access: 'write',
        query: writeQuery,
        requestSchema: singleton.schema,
        responseSchema: writeReplySchema({ item: shown }),
        etag: true,
        handler: async (ctx) => {
          const base = writer.baseVersion(ctx);
          const outcome = await writer.commit(
            ctx,
            base,
            (config) => putSingleton(singleton, config, ctx.body),
            writer.comment(ctx, `change ${singleton.key}`),
          );
          return {
            body: writeReply(
              outcome,
              { item: show(outcome.result.version.config[singleton.key], roleOf(ctx)) },
              singleton.key,
            ),
            headers: { etag: `"${outcome.result.version.version}"` },
          };
        },
      },
    );
    if (singleton.optional) {
      routes.push({
        method: 'DELETE',
        path: singleton.path,
        summary: `Remove the ${singleton.key} section`,
        tag: 'configuration',
        access: 'write',
        query: writeQuery,
        responseSchema: writeReplySchema({}),
        errors: [404],
        handler: async (ctx) => {
          const base = writer.baseVersion(ctx);
          const outcome = await writer.commit(
            ctx,
            base,
            (config) => deleteSingleton(singleton, config),
            writer.comment(ctx, `remove ${singleton.key}`),
          );
          return { body: writeReply(outcome) };
        },
      });
    }
  }
  return routes;
}
