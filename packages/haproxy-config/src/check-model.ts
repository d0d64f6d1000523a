import { HaproxyConfigError } from './errors.js';
import type { Backend, HaproxyConfig, ProxyMode } from './model.js';
import { name, oneOf } from './strings.js';

/**
 * Cross-object rules HAProxy itself would only report at load time (or not at all):
 * unique names, references that resolve, modes that agree. Field syntax is checked while
 * rendering, where each value is written.
 */
const MODES: readonly ProxyMode[] = ['http', 'tcp'];

export function checkReferences(config: HaproxyConfig): void {
  // Modes are compared below: an unknown one must be refused as such, not as a mismatch.
  const defaultMode = oneOf(config.defaults?.mode ?? 'http', MODES, 'defaults.mode');
  const backends = new Map<string, { backend: Backend; index: number }>();
  unique(config.frontends, 'frontends');
  unique(config.backends, 'backends');
  config.backends.forEach((backend, index) => {
    backends.set(backend.name, { backend, index });
    unique(backend.servers, `backends[${index}].servers`);
  });

  config.frontends.forEach((frontend, fi) => {
    const mode = oneOf(frontend.mode ?? defaultMode, MODES, `frontends[${fi}].mode`);
    const use = (name: string, field: string) => {
      const found = backends.get(name);
      if (!found) {
        throw new HaproxyConfigError(
          'HAPROXY_UNKNOWN_REFERENCE',
          `${field}: no backend named ${JSON.stringify(name)}`,
          {
            field,
          },
        );
      }
      const backendMode = oneOf(found.backend.mode ?? defaultMode, MODES, `backends[${found.index}].mode`);
      if (backendMode !== mode) {
        throw new HaproxyConfigError(
          'HAPROXY_INCOMPATIBLE',
          `${field}: frontend ${frontend.name} is mode ${mode} but backend ${name} is mode ${backendMode}`,
          { field },
        );
      }
    };
    if (frontend.defaultBackend !== undefined) use(frontend.defaultBackend, `frontends[${fi}].defaultBackend`);
    const ruleNames = new Set<string>();
    (frontend.rules ?? []).forEach((rule, ri) => {
      const ruleName = rule.name ?? `rule${ri}`;
      if (ruleNames.has(ruleName)) {
        throw new HaproxyConfigError(
          'HAPROXY_DUPLICATE_NAME',
          `frontends[${fi}].rules[${ri}].name: ${ruleName} twice`,
          {
            field: `frontends[${fi}].rules[${ri}].name`,
          },
        );
      }
      ruleNames.add(ruleName);
      use(rule.backend, `frontends[${fi}].rules[${ri}].backend`);
    });
  });
}

function unique(items: readonly { name: string }[], field: string): void {
  if (!Array.isArray(items)) {
    throw new HaproxyConfigError('HAPROXY_INVALID_FIELD', `${field}: must be an array`, { field });
  }
  const seen = new Set<string>();
  items.forEach((item, index) => {
    name(item?.name, `${field}[${index}].name`);
    if (seen.has(item.name)) {
      throw new HaproxyConfigError('HAPROXY_DUPLICATE_NAME', `${field}[${index}].name: ${item.name} is used twice`, {
        field: `${field}[${index}].name`,
      });
    }
    seen.add(item.name);
  });
}

/** Raises HAPROXY_INCOMPATIBLE when an option needs another mode. */
export function requireMode(actual: ProxyMode, wanted: ProxyMode, field: string, what: string): void {
  if (actual !== wanted) {
    throw new HaproxyConfigError('HAPROXY_INCOMPATIBLE', `${field}: ${what} needs mode ${wanted}, not ${actual}`, {
      field,
    });
  }
}
