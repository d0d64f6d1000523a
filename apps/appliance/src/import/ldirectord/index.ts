/**
 * The ldirectord.cf importer (issue #23): virtual services to Layer 4 services, their
 * checks to health checks. Every setting is mapped or noted; broken input is refused whole.
 */
import type { ApplianceConfigInput } from '../../model/schema.js';
import type { Importer, ImportResult } from '../contract.js';
import { ensureValid, HealthChecks, importInvalid, Labels, Notes, type Origin, sortNotes } from '../lvs-shared.js';
import { parseLdirectord } from './parse.js';
import { type Context, mapVirtual } from './virtuals.js';

/** Global settings a virtual section inherits (mapped there); the other globals are noted here. */
const INHERITED = new Set([
  'checktimeout',
  'connecttimeout',
  'negotiatetimeout',
  'checkinterval',
  'failurecount',
  'fallback',
  'quiescent',
  'checktype',
  'service',
  'scheduler',
  'protocol',
  'persistent',
  'netmask',
  'checkport',
  'request',
  'receive',
  'httpmethod',
  'virtualhost',
  'checkcount',
]);

const WHY: Record<string, string> = {
  autoreload: 'has no counterpart: the appliance applies each change as it is made',
  callback: 'runs a command, which the appliance does not',
  logfile: 'has no counterpart: the appliance logs to the journal',
  execute: 'starts another ldirectord, which the appliance does not',
  supervised: 'has no counterpart: systemd supervises the appliance',
  fork: 'has no counterpart: the appliance runs its checks concurrently',
  maintenancedir: 'has no counterpart: drain a real server through the API',
  readdquiescent: 'has no counterpart: a failed real server keeps its place with weight 0',
  cleanstop: 'has no counterpart in the appliance',
};

export const importLdirectord: Importer = async (source) => {
  const parsed = await parseLdirectord(source);
  const ctx: Context = { notes: new Notes(), checks: new HealthChecks() };
  for (const g of parsed.globals) {
    if (INHERITED.has(g.key)) ctx.notes.mapped++;
    else
      ctx.notes.add(
        g,
        g.key,
        'unsupported',
        `${g.key} ${WHY[g.key] ?? 'has no counterpart in the appliance'}; left out`,
      );
  }
  const services: NonNullable<ApplianceConfigInput['layer4']> = [];
  const origins: Origin[] = [];
  const labels = new Labels();
  const listeners = new Map<string, Origin>();
  for (const v of parsed.virtuals) {
    const before = services.length;
    mapVirtual(ctx, v, labels, services);
    const made = services[before];
    if (made === undefined) continue;
    const key =
      made.protocol === 'fwmark'
        ? `fwmark ${made.fwmark} ${made.vip}`
        : `${made.vip} ${made.ports?.[0]} ${made.protocol}`;
    const first = listeners.get(key);
    if (first !== undefined)
      throw importInvalid(v.at, `${key} is already a virtual service at ${first.file}:${first.line}`);
    listeners.set(key, v.at);
    origins.push(v.at);
  }
  const config: Partial<ApplianceConfigInput> = {};
  if (services.length > 0) config.layer4 = services;
  if (ctx.checks.list.length > 0) config.healthChecks = ctx.checks.list;
  const files = [source.file];
  const result: ImportResult = {
    format: 'ldirectord',
    config,
    notes: sortNotes(ctx.notes.list, files),
    mapped: ctx.notes.mapped,
    files,
  };
  return ensureValid(result, { layer4: origins, floatingIps: [] }, source.file);
};
