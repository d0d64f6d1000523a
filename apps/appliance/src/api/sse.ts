import type { ServerResponse } from 'node:http';
import type { Principal } from '../auth/index.js';
import { ApplianceError } from '../errors.js';
import { SECURITY_HEADERS } from './http.js';

/** The content type of an event stream answer, as the OpenAPI document names it. */
export const EVENT_STREAM = 'text/event-stream';

export interface EventStream {
  send(event: string, data: unknown, id?: number): void;
  /** `json`: one line of JSON, already serialised. */
  sendJson(event: string, json: string): void;
  readonly closed: boolean;
  onClose(listener: () => void): void;
  close(): void;
}

export interface StreamLimits {
  /** Streams one user (all their sessions) or one API token may hold open [8]. */
  perOwner: number;
  /** Streams open on the appliance at once [64]. */
  total: number;
}

/**
 * A browser tab holds one or two streams (status, logs); eight per user is several tabs.
 * Each stream is a connection and a timer held for as long as the client likes, so an
 * account (a read-only one too) must not be able to take them all.
 */
export const DEFAULT_STREAM_LIMITS: StreamLimits = { perOwner: 8, total: 64 };

/** Who a stream counts against: a user across all their sessions, or one API token. */
export function streamOwner(principal: Pick<Principal, 'user' | 'via' | 'token'>): string {
  return principal.via === 'token' && principal.token !== undefined
    ? `token:${principal.token.id}`
    : `user:${principal.user}`;
}

/** The open event streams, counted per owner and in total against their limits. */
export class EventStreams {
  private readonly all = new Set<EventStream>();
  private readonly owners = new Map<string, number>();

  constructor(readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS) {}

  get size(): number {
    return this.all.size;
  }

  /** Streams `owner` holds open now. */
  count(owner: string): number {
    return this.owners.get(owner) ?? 0;
  }

  /**
   * Opens a stream for `owner`, or throws API_TOO_MANY_STREAMS (429) before anything is
   * written, when the owner or the appliance is at its limit.
   */
  open(
    res: ServerResponse,
    keepAliveSeconds: number,
    owner: string,
    stillAllowed: () => boolean = () => true,
  ): EventStream {
    if (this.count(owner) >= this.limits.perOwner) {
      throw new ApplianceError(
        'API_TOO_MANY_STREAMS',
        `at most ${this.limits.perOwner} live event streams per user or token: close one (another tab) first`,
      );
    }
    if (this.all.size >= this.limits.total) {
      throw new ApplianceError(
        'API_TOO_MANY_STREAMS',
        `the appliance serves at most ${this.limits.total} live event streams at once: try again later`,
      );
    }
    this.owners.set(owner, this.count(owner) + 1);
    const stream = openEventStream(res, keepAliveSeconds, this.all, stillAllowed);
    stream.onClose(() => {
      const left = this.count(owner) - 1;
      if (left > 0) this.owners.set(owner, left);
      else this.owners.delete(owner);
    });
    return stream;
  }

  closeAll(): void {
    for (const stream of [...this.all]) stream.close();
  }
}

/**
 * A text/event-stream answer. Data is JSON on one `data:` line (JSON escapes newlines),
 * so no value can start another field or event. Keep-alive comments stop proxies from
 * closing an idle stream.
 */
export function openEventStream(
  res: ServerResponse,
  keepAliveSeconds: number,
  streams: Set<EventStream>,
  /** Checked at every keep-alive: a stream whose session or token ended is closed. */
  stillAllowed: () => boolean = () => true,
): EventStream {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': 'text/event-stream; charset=utf-8',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': sluice\n\n');
  const listeners: (() => void)[] = [];
  let closed = false;
  const timer =
    keepAliveSeconds > 0
      ? setInterval(() => {
          if (stillAllowed()) res.write(': keep-alive\n\n');
          else stream.close();
        }, keepAliveSeconds * 1000)
      : undefined;
  timer?.unref();
  const stream: EventStream = {
    send(event, data, id) {
      if (closed) return;
      res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    sendJson(event, json) {
      if (closed) return;
      res.write(`event: ${event}\ndata: ${json.trimEnd()}\n\n`);
    },
    get closed() {
      return closed;
    },
    onClose(listener) {
      listeners.push(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      streams.delete(stream);
      for (const listener of listeners) listener();
      res.end();
    },
  };
  streams.add(stream);
  res.once('close', () => stream.close());
  // A client gone before the stream opened sends no 'close' any more: release its place now.
  if (res.destroyed) stream.close();
  return stream;
}
