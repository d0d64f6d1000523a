import type { ConnectionSyncStatus, EngineStatus, VirtualServiceStatus } from '../model/engine-status.js';
import type { HaStatus } from '../model/ha-status.js';
import { CLIENT_OPTIONS_HELP, type CommandSpec } from './command.js';
import { EXIT } from './io.js';

export interface StatusReply {
  ha: HaStatus;
  engine: EngineStatus;
  configVersion: number;
}

export function describeHa(ha: HaStatus): string[] {
  if (!ha.enabled) return ['HA: standalone (always active)'];
  const peer = ha.peer
    ? `; peer ${ha.peer.name} (${ha.peer.address})${ha.peer.configVersion === undefined ? '' : ` at version ${ha.peer.configVersion}`}`
    : '';
  const since = ha.since === undefined ? '' : ` since ${ha.since}${ha.reason ? ` (${ha.reason})` : ''}`;
  return [`HA: ${ha.role}, ${ha.state}${since}, link ${ha.link}${peer}`, ...ha.warnings.map((w) => `  ! ${w}`)];
}

function describeService(service: VirtualServiceStatus): string[] {
  const head = `  [${service.colour}] ${service.layer} ${service.label} ${service.vip} ${service.ports.join(',')} ${service.protocol}, ${service.connections} connection(s)${service.fallbackActive ? ', FALLBACK ACTIVE' : ''}`;
  return [
    head,
    ...service.realServers.map(
      (r) =>
        `      [${r.colour}] ${r.label} ${r.address}${r.port === null ? '' : `:${r.port}`} ${r.admin}, health ${r.health}${r.healthReason ? ` (${r.healthReason})` : ''}, weight ${r.effectiveWeight}/${r.weight}, ${r.activeConnections} active`,
    ),
  ];
}

/** `  connection sync: master on eth1 (sync id 7)`; `off`; `failed — why`. */
export function describeConnectionSync(sync: ConnectionSyncStatus): string {
  const where = sync.interface === undefined ? '' : ` on ${sync.interface} (sync id ${sync.syncId ?? 0})`;
  return `  connection sync: ${sync.state}${where}${sync.detail ? ` — ${sync.detail}` : ''}`;
}

export function describeStatus(status: StatusReply): string {
  const parts = status.engine.parts.map((p) => `  ${p.part}: ${p.state}${p.detail ? ` — ${p.detail}` : ''}`);
  if (status.engine.connectionSync) parts.push(describeConnectionSync(status.engine.connectionSync));
  const services = status.engine.services.flatMap(describeService);
  // An SSL termination's HTTPS listener, after the services: it feeds one of them.
  for (const t of status.engine.terminations ?? []) {
    services.push(`  [${t.colour}] ssl ${t.label} ${t.vip}:${t.port} https, feeds layer7 ${t.service}`);
  }
  return [
    `configuration version ${status.configVersion} (engine applied ${status.engine.version ?? 'none yet'})`,
    ...describeHa(status.ha),
    'engine:',
    ...parts,
    services.length ? 'virtual services:' : 'no virtual services',
    ...services,
  ].join('\n');
}

export const statusCommand: CommandSpec = {
  name: 'status',
  summary: 'status [--json]                   HA role, engine parts, every VIP and real server',
  usage: `status [--json] [--url URL] [--data-dir DIR]\n${CLIENT_OPTIONS_HELP}`,
  async run(ctx) {
    const { body } = await (await ctx.client()).call<StatusReply>('GET', '/status');
    ctx.print(describeStatus(body), body);
    return EXIT.ok;
  },
};
