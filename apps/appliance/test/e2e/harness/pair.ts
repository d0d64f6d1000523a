import type { ApplianceConfigInput } from '../../../src/model/schema.js';
import { Appliance, until } from './appliance.js';
import { E2E_PREFIX, type StatusBody } from './lab.js';

export interface Pair {
  master: Appliance;
  slave: Appliance;
}

export interface Diagnosis {
  /** The log query shown per node (`/logs?channel=heartbeat&limit=20`). */
  logs: string;
  /** More lines per node (its connection table, ...). */
  more?: (node: Appliance) => Promise<string[]>;
}

/** The daemons' side of a failed pair test: each node's HA view, its log and its daemon's output. */
export function diagnosePair(pair: () => Partial<Pair>, options: Diagnosis): (error: Error) => Promise<never> {
  return async (error) => {
    const lines = [error.message];
    for (const [name, node] of Object.entries(pair())) {
      if (node === undefined) continue;
      const status = await node.api.get<StatusBody>('/status').catch((e: Error) => e.message);
      const logs = await node.api
        .get<{ records?: { message: string; level: string }[] }>(options.logs)
        .then((r) => (r.records ?? []).map((x) => `${x.level} ${x.message}`).join('\n'))
        .catch((e: Error) => e.message);
      const summary =
        typeof status === 'string'
          ? status
          : JSON.stringify({
              ha: status.ha,
              configVersion: status.configVersion,
              connectionSync: status.engine.connectionSync,
            });
      lines.push(
        `--- ${name}: ${summary}`,
        `log (${options.logs}):\n${logs}`,
        `daemon output (tail):\n${(node.daemon?.log ?? '').slice(-1500)}`,
        ...(options.more ? await options.more(node).catch((e: Error) => [e.message]) : []),
      );
    }
    throw new Error(lines.join('\n'));
  };
}

/**
 * The pair lab's balancers: lb1 the master, lb2 the slave. Both get the heartbeat section
 * (the slave first, so that it accepts the master's versions); resolves once the master is
 * active, the slave passive and the link up.
 */
export async function startPair(
  heartbeat: NonNullable<ApplianceConfigInput['heartbeat']>,
  diagnosis: Diagnosis,
): Promise<Pair> {
  const [master, slave] = await Promise.all([
    Appliance.start(`${E2E_PREFIX}lb1`, ['--ha-role', 'master', '--ha-name', 'lb1']),
    Appliance.start(`${E2E_PREFIX}lb2`, ['--ha-role', 'slave', '--ha-peer', 'lb1@192.0.2.2']),
  ]);
  const diagnose = diagnosePair(() => ({ master, slave }), diagnosis);
  await slave.api.write('PUT', '/heartbeat', heartbeat);
  await master.api.write('PUT', '/heartbeat', heartbeat);
  const haState = (node: Appliance) => node.api.get<StatusBody>('/status').then((s) => s.ha);
  await until(
    'master active, slave passive, link up',
    async () => {
      const [m, s] = await Promise.all([haState(master), haState(slave)]);
      return m.state === 'active' && s.state === 'passive' && m.link === 'up' && s.link === 'up' ? true : undefined;
    },
    60_000,
  ).catch(async (error: Error) => {
    // The test never gets the pair to close: close it here.
    try {
      return await diagnose(error);
    } finally {
      await Promise.all([master.close(), slave.close()]);
    }
  });
  return { master, slave };
}
