import { DEFAULT_ADMIN_SOCKET } from '@sluice/haproxy-config';
import { inspectCertificateFile } from '../engine/layer7/certificate-file.js';
import { renderLayer7 } from '../engine/layer7/render.js';
import { ApplianceError } from '../errors.js';
import type { ApplianceConfig } from '../model/schema.js';

/**
 * What the consumers of a configuration say about it before it is stored: the schema and
 * the rules across objects (validate.ts) accept shapes, but the Layer 7 model and the
 * HAProxy renderer have their own limits (a name is a token, a port list is bounded). A
 * version they refuse would be stored, then fail to apply, and every later Layer 7 change
 * with it while it is current; checked here, it is refused with the field instead.
 *
 * Runs the same code the engine runs (layer7Model and @sluice/haproxy-config's render,
 * which checks every string field), without `haproxy -c`: that is a process per write and
 * needs the certificate files in place (a file kept outside `<dataDir>/certificates` may not be on the passive node of a pair).
 */

/** Fixed paths for the check: they are the appliance's own, never the user's, so any will do. */
const CHECK_OPTIONS = { adminSocket: DEFAULT_ADMIN_SOCKET, serverStateFile: '/run/sluice/haproxy/server-state' };

/** The parts of a configuration the Layer 7 model is made from. */
const LAYER7_PARTS = ['layer7', 'ssl', 'certificates', 'healthChecks'] as const;

/**
 * Every refusal of `config`'s consumers, each with its code and configuration field.
 * `base` (the stored configuration the change was made from) lets a change that leaves the
 * Layer 7 parts as they were (the same objects, as the store shares them) skip the render.
 */
export async function consumerErrors(config: ApplianceConfig, base?: ApplianceConfig): Promise<ApplianceError[]> {
  const errors: ApplianceError[] = [];
  if (base === undefined || LAYER7_PARTS.some((part) => config[part] !== base[part])) {
    const { subset, layer7, ssl } = changedLayer7(config, base);
    try {
      renderLayer7(subset, CHECK_OPTIONS);
    } catch (error) {
      if (!(error instanceof ApplianceError)) throw error;
      errors.push(renumbered(error, layer7, ssl));
    }
  }
  errors.push(...(await certificateFileErrors(config, base)));
  return errors;
}

/**
 * The part of `config` a change can have made HAProxy refuse: the Layer 7 services and SSL
 * terminations that are not the stored objects of `base` (the store shares unchanged ones),
 * with every service they switch to or stand in front of, and the services that switch to
 * those (a target's mode must match). Rendering only that keeps a change to one of a
 * thousand services as cheap as a configuration of one. With no base, or changed health
 * checks or certificates (which any service may name), everything.
 * `layer7[k]` and `ssl[k]` are the original indexes of the subset's k-th entries.
 */
function changedLayer7(
  config: ApplianceConfig,
  base: ApplianceConfig | undefined,
): { subset: ApplianceConfig; layer7: number[]; ssl: number[] } {
  const all = { subset: config, layer7: config.layer7.map((_, i) => i), ssl: config.ssl.map((_, i) => i) };
  if (base === undefined || config.healthChecks !== base.healthChecks || config.certificates !== base.certificates) {
    return all;
  }
  const stored = new Set<object>([...base.layer7, ...base.ssl]);
  const index = new Map(config.layer7.map((service, i) => [service.label, i]));
  const wanted = new Set<number>();
  const sslWanted = new Set<number>();
  const pending: number[] = [];
  const want = (label: string) => {
    const i = index.get(label);
    if (i !== undefined && !wanted.has(i)) {
      wanted.add(i);
      pending.push(i);
    }
  };
  // A stored service that only moved (one before it was removed) renders as it did.
  for (const service of config.layer7) if (!stored.has(service)) want(service.label);
  const changedLabels = new Set([...wanted].map((i) => config.layer7[i]?.label));
  config.ssl.forEach((termination, i) => {
    if (!stored.has(termination) || changedLabels.has(termination.service)) {
      sslWanted.add(i);
      want(termination.service);
    }
  });
  // Who switches to a changed service renders a rule against it.
  config.layer7.forEach((service) => {
    if (service.urlRules.some((rule) => changedLabels.has(rule.service))) want(service.label);
  });
  // Every service a rendered one switches to must be there for the model to resolve it.
  while (pending.length > 0) {
    const service = config.layer7[pending.pop() as number];
    for (const rule of service?.urlRules ?? []) want(rule.service);
  }
  if (wanted.size === config.layer7.length && sslWanted.size === config.ssl.length) return all;
  const layer7 = [...wanted].sort((a, b) => a - b);
  const ssl = [...sslWanted].sort((a, b) => a - b);
  return {
    subset: {
      ...config,
      layer7: layer7.map((i) => config.layer7[i] as ApplianceConfig['layer7'][number]),
      ssl: ssl.map((i) => config.ssl[i] as ApplianceConfig['ssl'][number]),
    },
    layer7,
    ssl,
  };
}

/** An error about the subset, naming the field of the whole configuration. */
function renumbered(error: ApplianceError, layer7: readonly number[], ssl: readonly number[]): ApplianceError {
  const fix = (text: string) =>
    text.replace(/^(layer7|ssl)\[(\d+)\]/, (whole, part: string, k: string) => {
      const original = (part === 'layer7' ? layer7 : ssl)[Number(k)];
      return original === undefined ? whole : `${part}[${original}]`;
    });
  if (error.field === undefined) return error;
  const field = fix(error.field);
  if (field === error.field) return error;
  return new ApplianceError(error.code, fix(error.message), { field, cause: error.cause ?? error });
}

/**
 * A certificate file that exists must be one HAProxy can load: a regular file of a bounded
 * size (a FIFO or /dev/zero would hang or flood whoever reads it). A missing file is not
 * refused here: it may be copied in later, or not be on this node of a pair yet; the apply
 * says so.
 */
async function certificateFileErrors(config: ApplianceConfig, base?: ApplianceConfig): Promise<ApplianceError[]> {
  const before = new Set(base?.certificates.map((c) => c.file));
  const errors: ApplianceError[] = [];
  for (const [i, certificate] of config.certificates.entries()) {
    // A file already stored was checked then; a FIFO put in its place later fails the apply.
    if (before.has(certificate.file)) continue;
    const problem = await inspectCertificateFile(certificate.file, `certificates[${i}].file`);
    if (problem !== undefined && problem.reason !== 'missing') errors.push(problem.error);
  }
  return errors;
}
