/** The appliance's own network on this host, as GET /api/v1/network/status tells it (src/host-network). */
export interface HostNetworkStatus {
  managed: boolean;
  state: 'not-managed' | 'ha-pair' | 'applied' | 'failed' | 'pending';
  /** One line for people: what is (not) applied and why. */
  detail: string;
  appliedVersion?: number;
  appliedAt?: string;
  /** What was changed by the last apply, and what could not be said in the files. */
  changes: string[];
  notes: string[];
  /** A change waiting for confirmation; rolled back at `deadline` without one. */
  trial?: { version: number; restoreVersion: number; deadline: string; secondsLeft: number; timeoutSeconds: number };
}
