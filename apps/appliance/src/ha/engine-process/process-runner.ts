/**
 * HaControl's heartbeat in the HA engine process: the engine process holds the links, the
 * election and the addresses; the daemon's engine follows its role for what stays in the
 * daemon (the connection sync daemon's master/backup).
 */
import type { HeartbeatEventRecord } from '@sluice/heartbeat';
import type { Engine } from '../../engine/contract.js';
import type { HeartbeatRunner } from '../heartbeat-runner.js';
import type { HaEngineClient } from './client.js';

export function processHeartbeat(client: HaEngineClient, engine: Pick<Engine, 'setActive'>): HeartbeatRunner {
  let unsubscribe: (() => void) | undefined;
  const follow = (event: HeartbeatEventRecord) => {
    if (event.type === 'state' && (event.to === 'active' || event.to === 'passive')) {
      void engine.setActive(event.to === 'active');
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
      await engine.setActive(client.status()?.state === 'active');
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
            await engine.setActive(false);
          },
        },
      };
    },
    async standalone() {
      unsubscribe?.();
      unsubscribe = undefined;
      await client.request({ type: 'heartbeat', spec: 'standalone' });
      await engine.setActive(true);
    },
    onRestarted: (listener) => client.onRestarted(() => listener()),
  };
}
