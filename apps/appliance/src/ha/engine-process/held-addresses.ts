/**
 * The daemon engine's addresses part when the HA engine process holds the addresses: it
 * tells the process what the configuration places (the floating IPs and VIPs), and the
 * process holds them while its heartbeat says this node is active. The daemon's own idea
 * of the role is not sent: the process, whose loop no commit can hold, is the one that
 * knows, and a takeover must not wait for the daemon.
 */
import { type AddressSource, addressSource } from '../../engine/addresses/placement.js';
import type { DesiredInput, PartApplyResult, PartDriver, ProbeResult, ServerObservation } from '../../engine/driver.js';
import type { HaEngineClient } from './client.js';

export class HeldAddressesDriver implements PartDriver {
  readonly part = 'addresses' as const;
  private readonly client: HaEngineClient;
  /** The source last told (JSON), to skip telling the same again; cleared when a new process starts. */
  private told: string | undefined;
  private last: AddressSource | undefined;

  constructor(client: HaEngineClient) {
    this.client = client;
    // A new process knows no addresses: it is told the last ones at once.
    client.onRestarted(() => {
      this.told = undefined;
      if (this.last !== undefined) void this.tell(this.last).catch(() => undefined);
    });
  }

  probe(): Promise<ProbeResult> {
    return this.client.request({ type: 'probe' });
  }

  async apply(input: DesiredInput): Promise<PartApplyResult> {
    return this.tell(addressSource(input.config));
  }

  private async tell(source: AddressSource): Promise<PartApplyResult> {
    this.last = source;
    const json = JSON.stringify(source);
    if (json === this.told) return { changes: [] };
    const result = await this.client.request({ type: 'addresses', source });
    // An address left unplaced is looked at again next time (an interface may have come).
    this.told = result.detail === undefined ? json : undefined;
    return result;
  }

  drift(): Promise<string[]> {
    return this.client.request({ type: 'drift' });
  }

  async announce(which: 'all' | 'pending'): Promise<void> {
    await this.client.request({ type: 'announce', which });
  }

  async observe(): Promise<Map<string, ServerObservation>> {
    return new Map();
  }

  async stop(): Promise<void> {
    // The process is the daemon's to stop (after HA has stopped): its addresses stay for a restart.
  }
}
