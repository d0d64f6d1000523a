/**
 * Where HaControl's heartbeat runs. The daemon runs it in the HA engine process
 * (./engine-process/process-runner.ts), which holds the addresses itself; `inProcess`
 * runs it on the caller's event loop, the engine holding the addresses (tests of the
 * control's logic, embedders without a process of their own).
 */
import type { HeartbeatEventRecord, HeartbeatStatus } from '@sluice/heartbeat';
import type { Engine } from '../engine/contract.js';
import { type HeartbeatSpec, openNode } from './heartbeat-spec.js';

export interface HeartbeatRun {
  status(): HeartbeatStatus | undefined;
  takeover(): Promise<void>;
  standby(): Promise<void>;
  /** Resolves once no acquire or release is in flight. */
  settled(): Promise<void>;
  /** Releases what it holds (the peer takes over at once) and stops. */
  stop(): Promise<void>;
}

export interface HeartbeatRunner {
  /**
   * Runs the heartbeat of `spec`, `onEvent` hearing every event from the first; `adopted`:
   * it was running already with this spec (a restarted daemon and its HA engine).
   */
  start(
    spec: HeartbeatSpec,
    onEvent: (event: HeartbeatEventRecord) => void,
  ): Promise<{ run: HeartbeatRun; adopted: boolean }>;
  /** No heartbeat: this node is standalone and always active. */
  standalone(): Promise<void>;
  /** Told when the heartbeat's process died and a new one started: it must be told everything again. */
  onRestarted?(listener: () => void): () => void;
}

export function inProcessHeartbeat(engine: Pick<Engine, 'setActive' | 'announce'>): HeartbeatRunner {
  return {
    async start(spec, onEvent) {
      // A node starts passive: the engine must not hold the floating IPs until it is elected.
      await engine.setActive(false);
      const opened = await openNode(spec, {
        name: 'engine',
        acquire: () => engine.setActive(true),
        release: () => engine.setActive(false),
        // Every frame the heartbeat schedules (the takeover's bursts, the re-announcement after
        // a split brain or a silent peer, the refresh) goes out: the engine adds an address
        // only once, and one lost gratuitous ARP would leave clients on the old node's MAC.
        // The takeover's first frame is the one the engine sent as it added the addresses:
        // only those it could not send go again. A rejection makes the heartbeat retry.
        announce: (reason) => engine.announce(reason === 'acquired' ? 'pending' : 'all'),
      });
      const node = opened.node;
      node.onEvent(onEvent);
      node.start();
      return {
        adopted: false,
        run: {
          status: () => node.status(),
          takeover: async () => node.takeover(),
          standby: async () => node.standby(),
          settled: () => node.settled(),
          stop: () => opened.close(),
        },
      };
    },
    standalone: () => engine.setActive(true),
  };
}
