import type { Operation } from '../operations.js';
import type { DestinationSpec, ServiceSpec } from '../types.js';
import { destinationId, serviceId } from './keys.js';
import type { Plan } from './plan.js';

function describeService(s: ServiceSpec): string {
  const parts = [
    serviceId(s)
      .toUpperCase()
      .replace(/^FWM (\d+) V(\d)$/, 'FWM $1 (IPv$2)'),
    s.scheduler ?? 'wlc',
  ];
  if (s.persistence)
    parts.push(
      `persistent ${s.persistence.timeout}${s.persistence.netmask !== undefined ? ` /${s.persistence.netmask}` : ''}`,
    );
  if (s.onePacket) parts.push('ops');
  if (s.persistenceEngine) parts.push(`pe ${s.persistenceEngine}`);
  return parts.join(' ');
}

function describeDestination(d: DestinationSpec): string {
  const parts = [destinationId(d), d.forwarding ?? 'dr', `weight ${d.weight ?? 1}`];
  if (d.upperThreshold) parts.push(`upper ${d.upperThreshold}`);
  if (d.lowerThreshold) parts.push(`lower ${d.lowerThreshold}`);
  if (d.tunnel) parts.push(`tunnel ${d.tunnel.type}`);
  return parts.join(' ');
}

function line(op: Operation): string {
  switch (op.op) {
    case 'add-service':
      return `+ ${describeService(op.service)}`;
    case 'edit-service':
      return `~ ${serviceId(op.service)}`;
    case 'delete-service':
      return `- ${serviceId(op.service)}`;
    case 'add-destination':
      return `+ ${serviceId(op.service)} -> ${describeDestination(op.destination)}`;
    case 'edit-destination':
      return `~ ${serviceId(op.service)} -> ${destinationId(op.destination)}`;
    case 'delete-destination':
      return `- ${serviceId(op.service)} -> ${destinationId(op.destination)}`;
  }
}

/** The plan as a diff a person can review before applying it (a dry run). */
export function formatPlan(plan: Plan): string {
  if (plan.items.length === 0) return 'no changes';
  return plan.items
    .map((item) => {
      const changes = item.changes
        ? ` (${Object.entries(item.changes)
            .map(([field, [before, after]]) => `${field} ${JSON.stringify(before)} -> ${JSON.stringify(after)}`)
            .join(', ')})`
        : '';
      return `${line(item.operation)}${changes}`;
    })
    .join('\n');
}
