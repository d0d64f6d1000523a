import { HealthError } from './errors.js';

export interface QuorumOptions {
  /** Sum of the weights of up servers needed for the service to be up (keepalived `quorum`, default 1). */
  quorum?: number;
  /** The sum must reach `quorum + hysteresis` to come up and fall below `quorum - hysteresis` to go down (default 0). */
  hysteresis?: number;
  /**
   * When to send traffic to the fallback ("sorry") server: `none-up` (keepalived
   * `sorry_server`, ldirectord `fallback`: no real server is up) or `quorum-lost` (as soon
   * as the service is down). Default `none-up`. Without a fallback server this only
   * affects `useFallback` in the decision.
   */
  fallbackWhen?: 'none-up' | 'quorum-lost';
}

export interface QuorumMember {
  id: string;
  up: boolean;
  /** Default 1. A feedback agent's weight can be folded in here. */
  weight?: number;
}

export interface QuorumDecision {
  /** The service has quorum. */
  up: boolean;
  /** `up` differs from the previous decision. */
  changed: boolean;
  upWeight: number;
  upCount: number;
  /** Servers to keep in the service (up ones; none when the fallback takes over). */
  active: string[];
  /** Route to the fallback server instead. */
  useFallback: boolean;
}

/** Service-level health from its servers' states, with hysteresis (keepalived's quorum). */
export class Quorum {
  private readonly quorum: number;
  private readonly hysteresis: number;
  private readonly fallbackWhen: 'none-up' | 'quorum-lost';
  private state: boolean | undefined;

  constructor(options: QuorumOptions = {}) {
    this.quorum = options.quorum ?? 1;
    this.hysteresis = options.hysteresis ?? 0;
    this.fallbackWhen = options.fallbackWhen ?? 'none-up';
    if (!Number.isFinite(this.quorum) || this.quorum < 0) {
      throw new HealthError('HEALTH_INVALID_OPTION', 'quorum must be a number >= 0', { field: 'quorum' });
    }
    if (!Number.isFinite(this.hysteresis) || this.hysteresis < 0 || this.hysteresis > this.quorum) {
      throw new HealthError('HEALTH_INVALID_OPTION', 'hysteresis must be a number from 0 to quorum', {
        field: 'hysteresis',
      });
    }
    if (this.fallbackWhen !== 'none-up' && this.fallbackWhen !== 'quorum-lost') {
      throw new HealthError('HEALTH_INVALID_OPTION', 'fallbackWhen must be none-up or quorum-lost', {
        field: 'fallbackWhen',
      });
    }
  }

  /** The current decision given every server of the service. */
  update(members: readonly QuorumMember[]): QuorumDecision {
    let upWeight = 0;
    const active: string[] = [];
    members.forEach((m, i) => {
      const weight = m.weight ?? 1;
      if (!Number.isFinite(weight) || weight < 0) {
        throw new HealthError('HEALTH_INVALID_OPTION', `members[${i}].weight must be a number >= 0`, {
          field: `members[${i}].weight`,
        });
      }
      if (m.up && weight > 0) {
        upWeight += weight;
        active.push(m.id);
      }
    });
    const previous = this.state;
    let up: boolean;
    if (previous === undefined) up = upWeight >= this.quorum;
    else if (previous) up = upWeight >= this.quorum - this.hysteresis;
    else up = upWeight >= this.quorum + this.hysteresis;
    this.state = up;
    const useFallback = this.fallbackWhen === 'none-up' ? active.length === 0 : !up;
    return {
      up,
      changed: previous !== undefined && previous !== up,
      upWeight,
      upCount: active.length,
      active: useFallback ? [] : active,
      useFallback,
    };
  }
}
