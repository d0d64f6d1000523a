import { request } from '../api.js';
import { type Child, h, replace } from '../dom.js';

type Json = Record<string, unknown>;

const DOCUMENT = '/api/v1/openapi.json';
const METHODS = ['get', 'put', 'post', 'delete'] as const;

/** A schema in one line: its type, enum, or the component it refers to. */
function typeOf(schema: Json | undefined): string {
  if (schema === undefined) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.replace('#/components/schemas/', '');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any');
  if (type === 'array') return `${typeOf(schema.items as Json | undefined)}[]`;
  const bounds = [
    schema.minimum === undefined ? '' : `≥ ${schema.minimum}`,
    schema.maximum === undefined || schema.maximum === Number.MAX_SAFE_INTEGER ? '' : `≤ ${schema.maximum}`,
    schema.format === undefined ? '' : String(schema.format),
  ].filter(Boolean);
  return bounds.length === 0 ? type : `${type} (${bounds.join(', ')})`;
}

/** A schema shown whole, folded: the document's JSON Schema as it is. */
const schemaBlock = (title: string, schema: unknown): HTMLElement =>
  h(
    'details',
    { class: 'schema' },
    h('summary', {}, title),
    h('pre', {}, h('code', {}, JSON.stringify(schema, null, 2))),
  );

function parameters(list: Json[]): Child {
  if (list.length === 0) return null;
  return h(
    'table',
    {},
    h('caption', {}, 'Parameters'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'In'),
        h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'Description'),
      ),
    ),
    h(
      'tbody',
      {},
      list.map((p) =>
        h(
          'tr',
          {},
          h('td', {}, h('code', {}, String(p.name)), p.required ? ' (required)' : ''),
          h('td', {}, String(p.in)),
          h('td', {}, h('code', {}, typeOf(p.schema as Json))),
          h('td', {}, String(p.description ?? '')),
        ),
      ),
    ),
  );
}

function responses(all: Record<string, Json>): Child {
  return h(
    'ul',
    { class: 'responses' },
    Object.entries(all).map(([status, response]) => {
      const content = (response.content ?? {}) as Record<string, Json>;
      const types = Object.keys(content);
      const json = content['application/json']?.schema as Json | undefined;
      const headers = Object.keys((response.headers ?? {}) as Json);
      return h(
        'li',
        {},
        h('strong', {}, status),
        ` ${String(response.description ?? '')}`,
        types.length === 0 ? '' : ` — ${types.join(', ')}`,
        json === undefined ? '' : [' ', h('code', {}, typeOf(json))],
        headers.length === 0 ? '' : ` (headers: ${headers.join(', ')})`,
        json === undefined || typeof json.$ref === 'string' ? null : schemaBlock(`${status} body schema`, json),
      );
    }),
  );
}

function operationView(method: string, path: string, operation: Json): HTMLElement {
  const body = (operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const bodyType = body === undefined ? undefined : Object.keys(body)[0];
  const bodySchema = bodyType === undefined ? undefined : (body?.[bodyType]?.schema as Json | undefined);
  return h(
    'details',
    { class: 'operation', 'data-operation': `${method.toUpperCase()} ${path}` },
    h(
      'summary',
      {},
      h('code', { class: `method method-${method}` }, method.toUpperCase()),
      ' ',
      h('code', {}, path),
      ' ',
      String(operation.summary ?? ''),
    ),
    h('p', { class: 'muted' }, `Who may call it: ${String(operation['x-access'] ?? 'anyone')}.`),
    parameters((operation.parameters ?? []) as Json[]),
    bodyType === undefined
      ? null
      : h(
          'div',
          {},
          h('h4', {}, 'Request body'),
          h('p', {}, bodyType, ' ', h('code', {}, typeOf(bodySchema))),
          bodySchema === undefined ? null : schemaBlock('Request body schema', bodySchema),
        ),
    h('h4', {}, 'Responses'),
    responses((operation.responses ?? {}) as Record<string, Json>),
  );
}

/**
 * Help > REST API: the appliance's own OpenAPI document (GET /api/v1/openapi.json),
 * drawn here by operation and tag with its parameters and schemas folded away: no
 * third-party viewer, so the page works on an appliance without Internet access.
 */
export async function renderApiReference(main: HTMLElement): Promise<void> {
  const doc = await request<Json>('GET', '/openapi.json');
  const byTag = new Map<string, HTMLElement[]>();
  let count = 0;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      count++;
      const tag = ((operation.tags ?? ['other']) as string[])[0] as string;
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationView(method, path, operation)]);
    }
  }
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, unknown>;
  const info = doc.info as Json;
  replace(
    main,
    h('h1', {}, 'REST API'),
    h(
      'p',
      {},
      `${String(info.title)} ${String(info.version)}: ${count} operations. The machine-readable document is `,
      h('a', { href: DOCUMENT }, DOCUMENT),
      ' (OpenAPI 3.1; it needs a login or an API token, like the rest of the API).',
    ),
    h('p', {}, String(info.description ?? '')),
    h(
      'p',
      {},
      'A typed client for scripts: save the document, then ',
      h('code', {}, 'npx openapi-typescript openapi.json -o sluice-api.d.ts'),
      '.',
    ),
    [...byTag.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tag, operations]) => h('section', { 'aria-label': tag }, h('h2', {}, tag), operations)),
    h(
      'section',
      { 'aria-label': 'Schemas' },
      h('h2', {}, 'Schemas'),
      h(
        'details',
        {},
        h('summary', {}, `The ${Object.keys(schemas).length} named schemas the operations refer to`),
        Object.entries(schemas).map(([name, schema]) => schemaBlock(name, schema)),
      ),
    ),
  );
}
