import type { ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './http.js';

export interface EventStream {
  send(event: string, data: unknown, id?: number): void;
  /** `json`: one line of JSON, already serialised. */
  sendJson(event: string, json: string): void;
  readonly closed: boolean;
  onClose(listener: () => void): void;
  close(): void;
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
  return stream;
}
