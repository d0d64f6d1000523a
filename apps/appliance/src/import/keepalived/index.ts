/**
 * The keepalived.conf importer (issue #23): virtual servers to Layer 4 services, checkers to
 * health checks, VRRP addresses to floating IPs and, where it maps, the pair to the
 * heartbeat. Every directive is mapped or noted; broken input is refused whole.
 */
import type { ApplianceConfigInput } from '../../model/schema.js';
import type { Importer, ImportResult } from '../contract.js';
import { ensureValid, sortNotes } from '../lvs-shared.js';
import { type Context, newContext, unsupported } from './context.js';
import { type Directive, parseKeepalived } from './parse.js';
import { mapVirtualServers } from './virtual-servers.js';
import { mapVrrp } from './vrrp.js';

/** Top-level blocks the mappers read. */
const READ = new Set(['virtual_server', 'virtual_server_group', 'vrrp_instance', 'vrrp_sync_group', 'global_defs']);

const WHY: Record<string, string> = {
  vrrp_script: 'has no counterpart: the heartbeat runs no scripts',
  SSL: '(the SSL_GET client certificate) has no counterpart: the appliance checks without one',
};

/** The directives no mapper reads, each noted. */
function noteTheRest(ctx: Context, tree: Directive[]): void {
  for (const d of tree) {
    if (READ.has(d.keyword)) continue;
    unsupported(ctx, d, WHY[d.keyword]);
  }
}

export const importKeepalived: Importer = async (source) => {
  const { tree, files } = await parseKeepalived(source);
  const ctx = newContext();
  const layer4 = mapVirtualServers(ctx, tree);
  const vrrp = mapVrrp(ctx, tree);
  noteTheRest(ctx, tree);
  const config: Partial<ApplianceConfigInput> = {};
  if (layer4.services.length > 0) config.layer4 = layer4.services;
  if (ctx.checks.list.length > 0) config.healthChecks = ctx.checks.list;
  if (vrrp.floatingIps.length > 0) config.floatingIps = vrrp.floatingIps;
  if (vrrp.heartbeat !== undefined) config.heartbeat = vrrp.heartbeat;
  const result: ImportResult = {
    format: 'keepalived',
    config,
    notes: sortNotes(ctx.notes.list, files),
    mapped: ctx.notes.mapped,
    files,
  };
  return ensureValid(
    result,
    { layer4: layer4.origins, floatingIps: vrrp.origins, ...(vrrp.heartbeatAt ? { heartbeat: vrrp.heartbeatAt } : {}) },
    source.file,
  );
};
