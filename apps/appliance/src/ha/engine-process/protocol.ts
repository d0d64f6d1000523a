/**
 * What the daemon and its HA engine process say to each other over the Unix socket in the
 * data directory: one JSON message per line. Requests carry an id and get one reply; the
 * engine also pushes its heartbeat's events, status and log lines. Both ends are this
 * build (the daemon restarts an engine of another protocol version), so the types are the
 * contract and the lines are not validated field by field; a line that is not JSON, or
 * longer than MAX_LINE, ends the connection.
 */
import type { Socket } from 'node:net';
import type { HeartbeatEventRecord, HeartbeatStatus } from '@sluice/heartbeat';
import type { AddressSource } from '../../engine/addresses/placement.js';
import type { PartApplyResult, ProbeResult } from '../../engine/driver.js';
import type { LogLevel } from '../../model/log-record.js';
import type { HeartbeatSpec } from '../heartbeat-spec.js';

/** Bumped when a message changes: a daemon finding an engine of another version replaces it. */
export const PROTOCOL = 1;
/** A 10,000-VIP address source is under 1 MB. */
export const MAX_LINE = 16 * 1024 * 1024;

export type Request =
  | { type: 'hello' }
  /**
   * Run this heartbeat (a running one with the same key is kept: that is adoption);
   * `standalone`: no heartbeat, always holding the addresses; `off`: no heartbeat, holding
   * none (between a stop and the next start).
   */
  | { type: 'heartbeat'; spec: HeartbeatSpec | 'standalone' | 'off' }
  | { type: 'addresses'; source: AddressSource }
  | { type: 'probe' }
  | { type: 'drift' }
  | { type: 'announce'; which: 'all' | 'pending' }
  | { type: 'takeover' }
  | { type: 'standby' }
  | { type: 'settled' }
  /** Stop the heartbeat (the peer takes over at once) and exit; standalone addresses stay. */
  | { type: 'shutdown' };

export interface Hello {
  protocol: number;
  pid: number;
  /** The running heartbeat's key, `standalone` or `off` (not yet told). */
  heartbeat: string;
  status: HeartbeatStatus | null;
}

export interface Results {
  hello: Hello;
  heartbeat: { adopted: boolean };
  addresses: PartApplyResult;
  probe: ProbeResult;
  drift: string[];
  announce: null;
  takeover: null;
  standby: null;
  settled: null;
  shutdown: null;
}

export interface WireError {
  code: string;
  message: string;
  field?: string;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

export type Push =
  | { type: 'event'; event: HeartbeatEventRecord }
  | { type: 'status'; status: HeartbeatStatus | null }
  | { type: 'log'; level: LogLevel; message: string };

export type FromEngine = Reply | Push;
export type ToEngine = Request & { id: number };

/** An error as it crosses the socket: its code, message and field, nothing that will not serialise. */
export function wireError(error: unknown): WireError {
  const e = error as { code?: unknown; message?: unknown; field?: unknown };
  return {
    code: typeof e?.code === 'string' ? e.code : 'HA_ENGINE_FAILED',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.field === 'string' ? { field: e.field } : {}),
  };
}

/** An event whose `error` (resource-failed) would not serialise keeps its message. */
export function wireEvent(event: HeartbeatEventRecord): HeartbeatEventRecord {
  if (event.type !== 'resource-failed') return event;
  return { ...event, error: wireError(event.error) };
}

/**
 * Newline-delimited JSON over a socket. `send` drops a message to a closed socket (the
 * other end is gone; its close handler says so).
 */
export class LineChannel<In, Out> {
  private buffered = '';

  constructor(
    private readonly socket: Socket,
    onMessage: (message: In) => void,
    onBad: (reason: string) => void,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      if (this.buffered.length > MAX_LINE) {
        onBad(`a message longer than ${MAX_LINE} bytes`);
        socket.destroy();
        return;
      }
      let newline = this.buffered.indexOf('\n');
      while (newline >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        let message: In;
        try {
          message = JSON.parse(line) as In;
        } catch {
          onBad('a line that is not JSON');
          socket.destroy();
          return;
        }
        onMessage(message);
        newline = this.buffered.indexOf('\n');
      }
    });
  }

  send(message: Out): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(`${JSON.stringify(message)}\n`);
  }
}
