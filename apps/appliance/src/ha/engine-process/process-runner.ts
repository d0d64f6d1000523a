/**
 * HaControl's heartbeat in the HA engine process: the engine process holds the links, the
 * election and the addresses; the daemon's engine follows its role for what stays in the
 * daemon (the connection sync daemon's master/backup).
 */
import type { HeartbeatEventRecord } from '@sluice/heartbeat';
import type { Engine } from '../../engine/contract.js';
import type { LogLevel } from '../../model/log-record.js';
import { serial } from '../../serial.js';
import type { HeartbeatRunner } from '../heartbeat-runner.js';
import type { HaEngineClient } from './client.js';

export function processHeartbeat(
  client: HaEngineClient,
  engine: Pick<Engine, 'setActive'>,
  log: (level: LogLevel, message: string) => void,
): HeartbeatRunner {
  let unsubscribe: (() => void) | undefined;
  // Role changes arrive as events while start/stop set the role too: one queue keeps them in
  // the order they happened (a late "active" must not land after the "passive" that followed).
  const roles = serial();
  const setActive = (active: boolean) => roles(() => engine.setActive(active));
  const follow = (event: HeartbeatEventRecord) => {
    if (event.type === 'state' && (event.to === 'active' || event.to === 'passive')) {
      const active = event.to === 'active';
      // Nobody awaits an event's consequence: a failure is logged, not lost.
      setActive(active).catch((error: unknown) =>
        log('error', `the engine did not become ${active ? 'active' : 'passive'}: ${(error as Error).message}`),
      );
    }
  };
  return {
    async start(spec, onEvent) {
      unsubscribe?.();
      const off = client.onEvent((event) => {
        follow(event);
        onEvent(event);
      });
      unsubscribe = off;
      const { adopted } = await client.request({ type: 'heartbeat', spec });
      // An adopted engine may be active already: the daemon's engine takes its role.
      await setActive(client.status()?.state === 'active');
      return {
        adopted,
        run: {
          status: () => client.status() ?? undefined,
          takeover: () => client.request({ type: 'takeover' }).then(() => undefined),
          standby: () => client.request({ type: 'standby' }).then(() => undefined),
          settled: () => client.request({ type: 'settled' }).then(() => undefined),
          async stop() {
            await client.request({ type: 'heartbeat', spec: 'off' }).catch(() => undefined);
            off();
            await setActive(false);
          },
        },
      };
    },
    async standalone() {
      unsubscribe?.();
      unsubscribe = undefined;
      await client.request({ type: 'heartbeat', spec: 'standalone' });
      await setActive(true);
    },
    onRestarted: (listener) => client.onRestarted(() => listener()),
  };
}
