/**
 * One path to the peer (a UDP socket, a serial line). Links carry opaque datagrams; the
 * node authenticates them. Liveness is tracked per link: the peer is dead only when every
 * link has been silent for the deadtime.
 */
export interface Link {
  readonly name: string;
  /** Sends one datagram; must not throw (a lost heartbeat is what the protocol tolerates). */
  send(datagram: Buffer): void;
  /** Registers the single receiver of incoming datagrams. */
  onReceive(handler: (datagram: Buffer) => void): void;
  close(): Promise<void>;
}

/** Reachability of this node's ping nodes, reported on every change. */
export interface PingMonitor {
  start(report: (reachable: boolean) => void): void;
  stop(): void;
}
