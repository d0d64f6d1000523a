import type { IncomingMessage } from 'node:http';
import type { AdminStates } from '../admin-states/contract.js';
import type { Auth } from '../auth/index.js';
import type { Capability } from '../capabilities.js';
import type { ClusterService } from '../cluster/control.js';
import type { Engine } from '../engine/contract.js';
import type { Foreground } from '../engine/foreground.js';
import type { HaControl } from '../ha/contract.js';
import type { HostNetwork } from '../host-network/control.js';
import type { LogBook } from '../logs/contract.js';
import type { TrafficHistory } from '../metrics/traffic.js';
import type { CommitPipeline } from '../pipeline/index.js';
import type { ConfigStore } from '../store/contract.js';
import type { StreamLimits } from './sse.js';

export interface ApiDeps {
  store: ConfigStore;
  adminStates: Pick<AdminStates, 'list' | 'set' | 'replaceAll'>;
  engine: Pick<Engine, 'status' | 'onStatus' | 'connections' | 'layer7Stats' | 'hostWarnings' | 'metrics'>;
  ha: HaControl;
  /**
   * The ECMP cluster: its view for `GET /cluster`, this node's drain, and whether this node
   * takes edits (a follower does not). Absent: no cluster (the routes answer as a pair).
   */
  cluster?: Pick<ClusterService, 'status' | 'isEditable' | 'configuringNode' | 'drain' | 'undrain'>;
  logs: LogBook;
  auth: Auth;
  capabilities: readonly Capability[];
  /** The appliance's version (package.json). */
  version: string;
  now?: () => Date;
  /**
   * Receives `PUT /api/v1/ha/replica` from the HA peer: the request with its body unread;
   * it checks the HMAC itself and reads the body only once the headers authenticate.
   * Absent: the route answers 409 HA_DISABLED.
   */
  replicaReceiver?: (req: IncomingMessage) => Promise<unknown>;
  /** Where a write with `?wait=applied` waits for its version to be applied (the daemon's commit pipeline). */
  pipeline: Pick<CommitPipeline, 'applied'>;
  /** The traffic history `/reports/traffic` reads (the daemon's sampler fills it). */
  traffic: Pick<TrafficHistory, 'series'>;
  /** The longest a `?wait=applied` write waits for the engine's report [60]; then 503 (the version is stored). */
  applyWaitSeconds?: number;
  /** Seconds between keep-alive comments on event streams [15]; 0: none. */
  sseKeepAliveSeconds?: number;
  /** Live event streams per user or token, and in total [8, 64]; more get 429 API_TOO_MANY_STREAMS. */
  sseLimits?: StreamLimits;
  /**
   * The appliance's own network on this host (src/host-network): its status and the
   * confirmation of a trial. Absent: not managed (the section is stored only).
   */
  hostNetwork?: Pick<HostNetwork, 'managed' | 'status' | 'confirm'>;
  /** Marks writes in flight, so that background work on the whole table holds (the engine's). */
  foreground?: Foreground;
}
