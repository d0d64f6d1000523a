import type { z } from 'zod';
import { type ApplianceConfig, configSchema } from '../model/schema.js';
import { checkSemantics, type ValidationResult, validateConfig } from '../model/validate.js';

/*
 * Validation that reuses what is already known valid. A change made through the API
 * starts from the current configuration, whose objects are frozen and were validated
 * when they were stored; the new document shares every object it did not change. Only
 * the objects that are new are parsed against their schema, and a parsed object equal
 * to the stored one with the same label is replaced by it, so that the result shares
 * structure with the current version (which makes the next change, and its delta on
 * disk, cheap). The cross-object rules always run over the whole result. Whenever
 * anything is not as expected, or a part fails, the whole document goes through
 * validateConfig, so the errors (and what is accepted) are exactly the same as without
 * this shortcut.
 */

type Schema = z.ZodType;
type Item = Record<string, unknown>;

interface ZodInternals {
  _zod: {
    def: { type: string; innerType?: Schema; element?: Schema; checks?: { _zod: { def: Record<string, unknown> } }[] };
  };
}
const def = (schema: Schema) => (schema as unknown as ZodInternals)._zod.def;

interface ListShape {
  element: Schema;
  max: number;
}

/** A `z.array(element).max(n).default([])` field; undefined for anything else. */
function listShape(schema: Schema): ListShape | undefined {
  const outer = def(schema);
  if (outer.type !== 'default' || outer.innerType === undefined) return undefined;
  const inner = def(outer.innerType);
  if (inner.type !== 'array' || inner.element === undefined) return undefined;
  let max = Number.POSITIVE_INFINITY;
  for (const check of inner.checks ?? []) {
    const d = check._zod.def;
    if (d.check !== 'max_length' || typeof d.maximum !== 'number') return undefined;
    max = d.maximum;
  }
  return { element: inner.element, max };
}

const isPlain = (value: unknown): value is Item =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

/** Structural equality of parsed JSON values. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => same(item, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && same(a[key], b[key]));
  }
  return false;
}

const keyOf = (item: unknown) => (isPlain(item) ? (item.label ?? item.address ?? item.username) : undefined);

class Fallback extends Error {}

function parseList(
  input: unknown,
  base: readonly unknown[] | undefined,
  shape: ListShape,
  nested?: ListShape,
): unknown[] {
  if (!Array.isArray(input) || input.length > shape.max) throw new Fallback();
  // Built only when an item is not the one at its place in `base` (most are, in a change).
  let known: Set<unknown> | undefined;
  let byKey: Map<unknown, unknown> | undefined;
  return input.map((item, i) => {
    const inPlace = base?.[i];
    if (inPlace === item) return item;
    let previous: unknown;
    const key = keyOf(item);
    if (key !== undefined && keyOf(inPlace) === key) {
      // A changed item in its place (the usual edit): its previous version is right there.
      previous = inPlace;
    } else {
      known ??= new Set(base ?? []);
      if (known.has(item)) return item;
      if (byKey === undefined) {
        byKey = new Map();
        for (const old of base ?? []) byKey.set(keyOf(old), old);
      }
      previous = byKey.get(key);
    }
    let parsed: unknown;
    if (nested !== undefined && isPlain(item) && Array.isArray(item.realServers)) {
      // A service: its real servers one by one, so that changing one costs one.
      const head = shape.element.safeParse({ ...item, realServers: [] });
      if (!head.success) throw new Fallback();
      const servers = parseList(
        item.realServers,
        (previous as Item | undefined)?.realServers as unknown[] | undefined,
        nested,
      );
      parsed = { ...(head.data as Item), realServers: servers };
    } else {
      const result = shape.element.safeParse(item);
      if (!result.success) throw new Fallback();
      parsed = result.data;
    }
    return previous !== undefined && same(parsed, previous) ? previous : parsed;
  });
}

const shapes = new Map<string, { list?: ListShape; nested?: ListShape; schema: Schema }>();
for (const [key, schema] of Object.entries(configSchema.shape) as [string, Schema][]) {
  const list = listShape(schema);
  let nested: ListShape | undefined;
  if (list !== undefined && (key === 'layer4' || key === 'layer7')) {
    const realServers = (list.element as unknown as { shape?: Record<string, Schema> }).shape?.realServers;
    nested = realServers === undefined ? undefined : listShape(realServers);
  }
  shapes.set(key, { schema, ...(list === undefined ? {} : { list }), ...(nested === undefined ? {} : { nested }) });
}

/**
 * Virtual services that were part of a configuration found valid. The rules about real
 * servers are local to their service (labels, ports, address family, thresholds), so such
 * a service object (frozen, never changed) has valid real servers in any configuration.
 */
const checked = new WeakSet<object>();
/** A checked service with only its first real server, made once per service object. */
const skeletons = new WeakMap<object, object>();
const LAYERS = ['layer4', 'layer7'] as const;
/** Below this many real servers left out, the plain check is as cheap. */
const SKELETON_THRESHOLD = 500;

/**
 * The cross-object rules over `config`, with every checked service reduced to its first
 * real server. What the rules say is the same: the real servers left out have no errors
 * (see `checked`), and what the rules say about a service itself depends on its real
 * servers only through whether it has any (the DR ARP and "no real servers" warnings),
 * which one server keeps. Errors are rare: the plain check gives them, exactly.
 */
function semantics(config: ApplianceConfig): ReturnType<typeof checkSemantics> {
  // Indexed loops: for-of allocates an iterator result per item until the code is optimised.
  let skipped = 0;
  for (const layer of LAYERS) {
    const services = config[layer];
    for (let i = 0; i < services.length; i++) {
      const service = services[i] as (typeof services)[number];
      if (checked.has(service)) skipped += Math.max(0, service.realServers.length - 1);
    }
  }
  if (skipped < SKELETON_THRESHOLD) return checkSemantics(config);
  const skeleton = { ...config } as Record<string, unknown>;
  for (const layer of LAYERS) {
    skeleton[layer] = config[layer].map((service) => {
      if (!checked.has(service) || service.realServers.length <= 1) return service;
      let reduced = skeletons.get(service);
      if (reduced === undefined) {
        // Frozen like the service, so that the rules' findings about it can be kept (validate.ts).
        reduced = Object.freeze({ ...service, realServers: Object.freeze(service.realServers.slice(0, 1)) });
        skeletons.set(service, reduced);
      }
      return reduced;
    });
  }
  const result = checkSemantics(skeleton as unknown as ApplianceConfig);
  return result.errors.length > 0 ? checkSemantics(config) : result;
}

/** validateConfig(input), faster when `input` shares objects with `base` (a stored, valid configuration). */
export function validateAgainst(input: unknown, base: ApplianceConfig): ValidationResult {
  const result = validateShared(input, base);
  if (result.ok) {
    for (const layer of LAYERS) {
      const services = result.config[layer];
      for (let i = 0; i < services.length; i++) checked.add(services[i] as object);
    }
  }
  return result;
}

function validateShared(input: unknown, base: ApplianceConfig): ValidationResult {
  if (!isPlain(input)) return validateConfig(input);
  for (const key of Object.keys(input)) if (!shapes.has(key)) return validateConfig(input);
  const out: Item = {};
  const previous = base as unknown as Item;
  try {
    for (const [key, { schema, list, nested }] of shapes) {
      const value = input[key];
      if (value !== undefined && value === previous[key]) {
        out[key] = value;
        continue;
      }
      let parsed: unknown;
      if (list !== undefined && value !== undefined) {
        parsed = parseList(value, previous[key] as unknown[] | undefined, list, nested);
        const old = previous[key] as unknown[] | undefined;
        if (
          old !== undefined &&
          (parsed as unknown[]).length === old.length &&
          (parsed as unknown[]).every((x, i) => x === old[i])
        ) {
          parsed = old;
        }
      } else {
        const result = schema.safeParse(value);
        if (!result.success) throw new Fallback();
        parsed = result.data;
        if (same(parsed, previous[key])) parsed = previous[key];
      }
      if (parsed !== undefined) out[key] = parsed;
    }
  } catch (error) {
    if (error instanceof Fallback) return validateConfig(input);
    throw error;
  }
  const config = out as ApplianceConfig;
  const { errors, warnings } = semantics(config);
  if (errors.length > 0) return validateConfig(input);
  return { ok: true, config, errors: [], warnings };
}
