import { z } from 'zod';
import type { Auth, Role } from '../auth/index.js';
import { hashPassword, passwordProblem } from '../auth/index.js';
import { personMessages } from '../model/messages.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PASSWORD_RULE } from '../model/password-rule.js';
import {
  type ApplianceConfig,
  administrationSchema,
  certificateSchema,
  floatingIpSchema,
  healthCheckSchema,
  heartbeatSchema,
  ipvsSchema,
  layer4RealServerSchema,
  layer4ServiceSchema,
  layer7RealServerSchema,
  layer7ServiceSchema,
  networkSchema,
  sslTerminationSchema,
  userSchema,
} from '../model/schema.js';
import { badRequest, notFound } from './errors.js';
import { listedUserSchema, presentedHeartbeatSchema } from './schemas/config.js';
import { REDACTED } from './secrets.js';
import type { Effect } from './writes.js';

type Item = Record<string, unknown>;
type Params = Record<string, string>;
type Config = ApplianceConfig;

export interface OpContext {
  auth: Auth;
  /** Side effects to run once the change is stored. */
  effects: Effect[];
}

/** A list in the configuration whose items are addressed by a key field. */
export interface Collection {
  /** The collection's path under /api/v1, e.g. `/layer4/services/{service}/real-servers`. */
  path: string;
  /** The item parameter's name in `${path}/{param}`. */
  param: string;
  keyField: string;
  what: string;
  tag: string;
  /** For OpenAPI: what a client sends. */
  schema: z.ZodType;
  /** For OpenAPI: what a reader gets (`present`'s answer) [the stored item: `schema`'s output]. */
  itemSchema?: z.ZodType;
  list(config: Config, params: Params): readonly Item[] | undefined;
  replace(config: Config, params: Params, items: readonly Item[]): Config;
  /** Turn a request body into the stored item (users: hash the password). */
  toStored?(body: Item, existing: Item | undefined, ctx: OpContext): Promise<Item>;
  /** What a reader sees of an item (users: never the hash). */
  present?(item: Item, role: Role): unknown;
  /** Where an item's warnings are: the field path of the top-level object holding it (`layer4[3]`). */
  scope(config: Config, params: Params, key: string): string | undefined;
}

const indexScope = (section: string, list: readonly Item[], field: string, key: string | undefined) => {
  const i = list.findIndex((item) => item[field] === key);
  return i < 0 ? undefined : `${section}[${i}]`;
};

const services = (layer: 'layer4' | 'layer7', schema: z.ZodType): Collection => ({
  path: `/${layer}/services`,
  param: 'service',
  keyField: 'label',
  what: `${layer === 'layer4' ? 'Layer 4' : 'Layer 7'} virtual service`,
  tag: layer,
  schema,
  list: (config) => config[layer] as readonly Item[],
  replace: (config, _params, items) => ({ ...config, [layer]: items }),
  scope: (config, _params, key) => indexScope(layer, config[layer] as readonly Item[], 'label', key),
  // A PUT of a service without `realServers` keeps its real servers: they have their own routes.
  toStored: async (body, existing) =>
    existing !== undefined && !Object.hasOwn(body, 'realServers')
      ? { ...body, realServers: existing.realServers }
      : body,
});

const realServers = (layer: 'layer4' | 'layer7', schema: z.ZodType): Collection => ({
  path: `/${layer}/services/{service}/real-servers`,
  param: 'server',
  keyField: 'label',
  what: 'real server',
  tag: layer,
  schema,
  list: (config, params) =>
    (config[layer] as readonly Item[]).find((service) => service.label === params.service)?.realServers as
      | readonly Item[]
      | undefined,
  replace: (config, params, items) => ({
    ...config,
    [layer]: (config[layer] as readonly Item[]).map((service) =>
      service.label === params.service ? { ...service, realServers: items } : service,
    ),
  }),
  // A real server's warnings are its service's (the DR ARP problem, a NAT gateway).
  scope: (config, params) => indexScope(layer, config[layer] as readonly Item[], 'label', params.service),
});

const topLevel = (
  path: string,
  key: 'ssl' | 'healthChecks' | 'certificates' | 'floatingIps',
  keyField: string,
  param: string,
  what: string,
  schema: z.ZodType,
): Collection => ({
  path,
  param,
  keyField,
  what,
  tag: 'configuration',
  schema,
  list: (config) => config[key] as readonly Item[],
  replace: (config, _params, items) => ({ ...config, [key]: items }),
  scope: (config, _params, k) => indexScope(key, config[key] as readonly Item[], keyField, k),
});

/**
 * A new password as the OpenAPI document describes it. Only a description: the handlers
 * judge it with `passwordProblem`, the rule and message the web forms use too.
 */
export const newPasswordSchema = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH).describe(PASSWORD_RULE);

const USER_FIELDS = new Set(['username', 'password', 'passwordHash', 'role', 'mustChangePassword']);

/** Users: a client sends a password (or a hash made elsewhere); the hash is never shown. */
const users: Collection = {
  path: '/users',
  param: 'username',
  keyField: 'username',
  what: 'user',
  tag: 'users',
  // What a client sends: a password (hashed here) or a hash made elsewhere; never shown back.
  schema: z.strictObject({
    username: userSchema.shape.username,
    password: newPasswordSchema.optional(),
    passwordHash: userSchema.shape.passwordHash.optional(),
    role: z.enum(['admin', 'readonly']).optional(),
    mustChangePassword: z.boolean().optional(),
  }),
  itemSchema: listedUserSchema,
  list: (config) => config.administration.users as readonly Item[],
  scope: (config, _params, key) =>
    indexScope('administration.users', config.administration.users as readonly Item[], 'username', key),
  replace: (config, _params, items) => ({
    ...config,
    administration: { ...config.administration, users: items as Config['administration']['users'] },
  }),
  async toStored(body, existing, ctx) {
    for (const key of Object.keys(body)) {
      if (!USER_FIELDS.has(key)) throw badRequest(key, 'is not a field of a user');
    }
    const { password, passwordHash, mustChangePassword, ...rest } = body;
    if (mustChangePassword !== undefined && typeof mustChangePassword !== 'boolean') {
      throw badRequest('mustChangePassword', 'must be true or false');
    }
    if (password !== undefined && passwordHash !== undefined) {
      throw badRequest('password', 'give a password or a passwordHash, not both');
    }
    let hash = passwordHash ?? existing?.passwordHash;
    if (password !== undefined) {
      const problem = passwordProblem(password);
      if (problem !== undefined) throw badRequest('password', problem);
      hash = await hashPassword(password as string, ctx.auth.cost);
    }
    if (hash === undefined) throw badRequest('password', 'a new user needs a password');
    const username = String(rest.username);
    const changed = password !== undefined || passwordHash !== undefined;
    ctx.effects.push(async () => {
      if (existing !== undefined && changed) await ctx.auth.passwordChanged(username);
      if (mustChangePassword !== undefined) await ctx.auth.setMustChange(username, mustChangePassword as boolean);
    });
    return { ...(existing === undefined ? {} : { role: existing.role }), ...rest, passwordHash: hash };
  },
  present: ({ passwordHash: _hash, ...user }) => user,
};

export const COLLECTIONS: readonly Collection[] = [
  services('layer4', layer4ServiceSchema),
  realServers('layer4', layer4RealServerSchema),
  services('layer7', layer7ServiceSchema),
  realServers('layer7', layer7RealServerSchema),
  topLevel('/ssl', 'ssl', 'label', 'label', 'SSL termination', sslTerminationSchema),
  topLevel('/health-checks', 'healthChecks', 'label', 'label', 'health check', healthCheckSchema),
  topLevel('/certificates', 'certificates', 'label', 'label', 'certificate', certificateSchema),
  topLevel('/floating-ips', 'floatingIps', 'address', 'address', 'floating IP', floatingIpSchema),
  users,
];

/** A whole section of the configuration: GET and PUT (and DELETE when it is optional). */
export interface Singleton {
  path: string;
  key: 'heartbeat' | 'ipvs' | 'network' | 'administration';
  optional: boolean;
  schema: z.ZodType;
  /** For OpenAPI: what a reader gets [`schema`'s output]. */
  itemSchema?: z.ZodType;
  /** Users are managed at /users: PUT /administration keeps them and GET leaves them out. */
  toStored?(body: Item, config: Config): Item;
  present?(value: Item): unknown;
}

export const SINGLETONS: readonly Singleton[] = [
  // A read-only reader gets the key redacted.
  {
    path: '/heartbeat',
    key: 'heartbeat',
    optional: true,
    schema: heartbeatSchema,
    itemSchema: presentedHeartbeatSchema,
  },
  // Deleted, the section means what it meant before it existed: `ownership: all`.
  { path: '/ipvs', key: 'ipvs', optional: true, schema: ipvsSchema },
  { path: '/network', key: 'network', optional: false, schema: networkSchema },
  {
    path: '/administration',
    key: 'administration',
    optional: false,
    schema: administrationSchema.omit({ users: true }),
    toStored(body, config) {
      if (Object.hasOwn(body, 'users')) throw badRequest('users', 'users are managed at /api/v1/users');
      return { ...body, users: config.administration.users };
    },
    present: ({ users: _users, ...rest }) => rest,
  },
];

export function requireObject(body: unknown, field = '(body)'): Item {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest(field, 'must be a JSON object');
  return body as Item;
}

/** The body as the schema takes it, or API_BAD_REQUEST naming the first field at fault. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(requireObject(body), personMessages);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [...(issue?.path ?? [])];
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  throw badRequest(path.map(String).join('.') || '(body)', issue?.message ?? 'is invalid');
}

function listOrNotFound(collection: Collection, config: Config, params: Params): readonly Item[] {
  const list = collection.list(config, params);
  if (list === undefined) throw notFound(`virtual service "${params.service}"`);
  return list;
}

export function findItem(collection: Collection, config: Config, params: Params): Item {
  const key = params[collection.param];
  const item = listOrNotFound(collection, config, params).find((candidate) => candidate[collection.keyField] === key);
  if (item === undefined) throw notFound(`${collection.what} "${key}"`);
  return item;
}

export function listItems(collection: Collection, config: Config, params: Params): readonly Item[] {
  return listOrNotFound(collection, config, params);
}

/** POST: append a new item (a duplicate key is the validation's CONFIG_DUPLICATE_LABEL). */
export async function createItem(
  collection: Collection,
  config: Config,
  params: Params,
  body: unknown,
  ctx: OpContext,
): Promise<{ config: Config; key: string }> {
  const item = requireObject(body);
  const key = item[collection.keyField];
  if (typeof key !== 'string') throw badRequest(collection.keyField, 'is required and must be a string');
  const list = listOrNotFound(collection, config, params);
  const stored = collection.toStored ? await collection.toStored(item, undefined, ctx) : item;
  return { config: collection.replace(config, params, [...list, stored]), key };
}

/** PUT: replace an existing item; the body's key, if given, must be the URL's. */
export async function replaceItem(
  collection: Collection,
  config: Config,
  params: Params,
  body: unknown,
  ctx: OpContext,
): Promise<Config> {
  const item = requireObject(body);
  const key = params[collection.param] as string;
  if (Object.hasOwn(item, collection.keyField) && item[collection.keyField] !== key) {
    throw badRequest(collection.keyField, `must be "${key}" as in the URL (to rename, delete and create)`);
  }
  const existing = findItem(collection, config, params);
  const withKey = { ...item, [collection.keyField]: key };
  const stored = collection.toStored ? await collection.toStored(withKey, existing, ctx) : withKey;
  const list = listOrNotFound(collection, config, params);
  return collection.replace(
    config,
    params,
    list.map((candidate) => (candidate === existing ? stored : candidate)),
  );
}

export function deleteItem(collection: Collection, config: Config, params: Params, ctx: OpContext): Config {
  const existing = findItem(collection, config, params);
  if (collection === users) {
    const username = String(existing.username);
    ctx.effects.push(() => ctx.auth.userRemoved(username));
  }
  const list = listOrNotFound(collection, config, params);
  return collection.replace(
    config,
    params,
    list.filter((candidate) => candidate !== existing),
  );
}

export function putSingleton(singleton: Singleton, config: Config, body: unknown): Config {
  const item = requireObject(body);
  return { ...config, [singleton.key]: singleton.toStored ? singleton.toStored(item, config) : item };
}

export function deleteSingleton(singleton: Singleton, config: Config): Config {
  if (!singleton.optional) throw badRequest('(path)', `${singleton.key} cannot be removed, only replaced`);
  if (config[singleton.key] === undefined) throw notFound(singleton.key);
  const { [singleton.key]: _removed, ...rest } = config;
  return rest as Config;
}

/** What a read-only user may not see: password hashes and the heartbeat key. */
export function redactConfig(config: Config, role: Role): unknown {
  if (role === 'admin') return config;
  return {
    ...config,
    administration: {
      ...config.administration,
      users: config.administration.users.map(({ passwordHash: _hash, ...user }) => user),
    },
    ...(config.heartbeat === undefined ? {} : { heartbeat: { ...config.heartbeat, key: REDACTED } }),
  };
}
