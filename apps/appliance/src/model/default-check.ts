import type { ApplianceConfig } from './schema.js';

/**
 * A new service's real servers are checked from the start: a TCP connect to each server's
 * address and port (ldirectord's `checktype = connect`, HAProxy's bare `check`, the check
 * a Loadbalancer.org VIP gets by default). Without one, a stopped server keeps its traffic
 * and nothing says so. The check is stored like any other, so the user sees it under
 * Health checks and on the service, and can edit it or take it off the service.
 */
export const DEFAULT_CHECK = {
  label: 'connect',
  description: 'TCP connect to each real server (the default check of a new service)',
  type: 'connect',
} as const;

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The label of a check that does what the default does (a connect to the server's own port), if there is one. */
function connectLabel(checks: readonly unknown[]): string | undefined {
  for (const check of checks) {
    if (isObject(check) && check.type === 'connect' && check.port === undefined && typeof check.label === 'string') {
      return check.label;
    }
  }
  return undefined;
}

/** `connect`, or the first of `connect-2`, `connect-3`, ... that no check has. */
function freeLabel(checks: readonly unknown[]): string {
  const base = DEFAULT_CHECK.label;
  const taken = new Set(checks.map((c) => (isObject(c) ? c.label : undefined)));
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

/**
 * `input` (a configuration as written, not yet validated) with the default connect check on
 * every Layer 7 and TCP Layer 4 service (not UDP, not a firewall mark) that gets its first
 * real servers in this change (a new service with servers, or a service that had none)
 * and names no health check. A connect check on the server's own port is used if there
 * is one, else `connect` is added to `healthChecks` (`connect-2` if that label is taken).
 *
 * A service written with `"healthCheck": null` gets none and is stored without the field
 * (the schema's `healthCheck` stays a label or absent): a client that wants its servers
 * unchecked from the start says so.
 *
 * Only the first servers bring it: a service whose check the user took off keeps running
 * unchecked when servers are added later, and a stored configuration is never changed by
 * this alone (its unchecked servers are shown grey, "not checked", never healthy). What
 * is not a configuration object is returned as it is, for the validation to refuse.
 */
export function withDefaultChecks(before: Pick<ApplianceConfig, 'layer4' | 'layer7'>, input: unknown): unknown {
  if (!isObject(input)) return input;
  const hadServers = new Set<string>();
  for (const layer of ['layer4', 'layer7'] as const) {
    for (const service of before[layer]) {
      if (service.realServers.length > 0) hadServers.add(`${layer}/${service.label}`);
    }
  }
  const checks = Array.isArray(input.healthChecks) ? [...input.healthChecks] : [];
  let changed = false;
  const out: Raw = { ...input };
  for (const layer of ['layer4', 'layer7'] as const) {
    const services = input[layer];
    if (!Array.isArray(services)) continue;
    out[layer] = services.map((service: unknown) => {
      // `"healthCheck": null`: none, deliberately (LB.org's "no checks, always on"); not stored.
      if (isObject(service) && service.healthCheck === null) {
        changed = true;
        const { healthCheck: _none, ...unchecked } = service;
        return unchecked;
      }
      if (
        !isObject(service) ||
        service.healthCheck !== undefined ||
        // A TCP connect says nothing of a UDP server; a firewall mark names no port to connect to.
        service.protocol === 'udp' ||
        service.protocol === 'fwmark' ||
        !Array.isArray(service.realServers) ||
        service.realServers.length === 0 ||
        hadServers.has(`${layer}/${String(service.label)}`)
      ) {
        return service;
      }
      let label = connectLabel(checks);
      if (label === undefined) {
        label = freeLabel(checks);
        checks.push({ ...DEFAULT_CHECK, label });
      }
      changed = true;
      return { ...service, healthCheck: label };
    });
  }
  if (!changed) return input;
  if (checks.length > 0 || Array.isArray(input.healthChecks)) out.healthChecks = checks;
  return out;
}
