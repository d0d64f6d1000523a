import type {
  Operation,
  OperationResult,
  ServiceWithDestinations,
  ServiceWithSettings,
  SyncDaemon,
} from '@sluice/ipvs';
import { destinationId, serviceId, ZERO_STATS } from '@sluice/ipvs';

/** An in-memory IPVS table that records every operation it is sent. */
export class FakeIpvs {
  readonly table = new Map<string, ServiceWithDestinations>();
  readonly sent: Operation[] = [];
  lists = 0;
  /** When set, list() takes its snapshot at once but answers only when the gate opens. */
  gate: Promise<void> | undefined;
  async info() {
    return { version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 };
  }
  async list(): Promise<ServiceWithDestinations[]> {
    this.lists++;
    const snapshot = structuredClone([...this.table.values()]);
    if (this.gate) await this.gate;
    return snapshot;
  }
  /** Drift reads settings only; the fake's table has the same fields and more. */
  async listSettings(): Promise<ServiceWithSettings[]> {
    const snapshot = structuredClone([...this.table.values()]);
    if (this.gate) await this.gate;
    return snapshot;
  }
  async execute(ops: readonly Operation[]): Promise<OperationResult[]> {
    for (const op of ops) {
      this.sent.push(op);
      const id = serviceId(op.service);
      if (op.op === 'add-service' || op.op === 'edit-service') {
        const family = op.service.fwmark !== undefined ? op.service.family : op.service.address.includes(':') ? 6 : 4;
        const destinations = this.table.get(id)?.destinations ?? [];
        this.table.set(id, { scheduler: 'wlc', ...op.service, family, flags: 0, stats: ZERO_STATS, destinations });
      } else if (op.op === 'delete-service') this.table.delete(id);
      else {
        const s = this.table.get(id);
        if (!s) throw new Error(`no service ${id}`);
        s.destinations = s.destinations.filter((d) => destinationId(d) !== destinationId(op.destination));
        if (op.op !== 'delete-destination') {
          const d = op.destination;
          s.destinations.push({
            ...d,
            forwarding: d.forwarding ?? 'dr',
            weight: d.weight ?? 1,
            upperThreshold: d.upperThreshold ?? 0,
            lowerThreshold: d.lowerThreshold ?? 0,
            family: d.address.includes(':') ? 6 : 4,
            activeConnections: 2,
            inactiveConnections: 1,
            persistentConnections: 0,
            stats: { ...ZERO_STATS, inBytes: 10n, outBytes: 20n },
          });
        }
      }
    }
    return ops.map((operation) => ({ operation }));
  }
  async connections() {
    return [
      {
        protocol: 'tcp',
        client: { address: '203.0.113.5', port: 40000 },
        virtual: { address: '192.0.2.10', port: 80 },
        destination: { address: '198.51.100.11', port: 8080 },
        state: 'SYN_RECV',
        expires: 50,
      },
    ];
  }
  /** The kernel's sync daemons, and every start and stop in order. */
  daemons: SyncDaemon[] = [];
  readonly daemonCalls: string[] = [];
  async listDaemons(): Promise<SyncDaemon[]> {
    return structuredClone(this.daemons);
  }
  async startDaemon(daemon: SyncDaemon): Promise<void> {
    this.daemonCalls.push(`start ${daemon.state}`);
    this.daemons.push(daemon);
  }
  async stopDaemon(state: SyncDaemon['state']): Promise<void> {
    this.daemonCalls.push(`stop ${state}`);
    this.daemons = this.daemons.filter((d) => d.state !== state);
  }
  close() {}
}
