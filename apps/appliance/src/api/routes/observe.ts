import { z } from 'zod';
import { LOG_CHANNELS, LOG_LEVELS } from '../../logs/index.js';
import type { TrafficHistory } from '../../metrics/traffic.js';
import type { LogChannel, LogLevel, LogQuery } from '../../model/log-record.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import type { Ctx, Route } from '../router.js';
import { logRecordSchema, trafficSeriesSchema } from '../schemas/observe.js';
import { logQuerySchema, trafficQuery } from '../schemas/parameters.js';
import { layer4ConnectionSchema, layer7StatRowSchema, statusSchema } from '../schemas/status.js';
import { EVENT_STREAM, type EventStreams, streamOwner } from '../sse.js';

/** The least time between two status events on one stream. */
const STATUS_EVENT_MS = 250;

const ARP_HINT =
  'SYN_RECV on a DR or TUN service: the real server answers ARP for the VIP or does not hold it; run `sluice-arp-fix check` on the real server';

function logQuery(ctx: Ctx): LogQuery {
  const q = ctx.query;
  const query: LogQuery = {};
  const channel = q.get('channel');
  if (channel !== null && channel !== '') {
    const channels = channel.split(',');
    for (const c of channels)
      if (!LOG_CHANNELS.includes(c as LogChannel))
        throw badRequest('channel', `must be among ${LOG_CHANNELS.join(', ')}`);
    query.channels = channels as LogChannel[];
  }
  const level = q.get('level');
  if (level !== null) {
    if (!LOG_LEVELS.includes(level as LogLevel)) throw badRequest('level', `must be one of ${LOG_LEVELS.join(', ')}`);
    query.level = level as LogLevel;
  }
  const text = q.get('q');
  if (text !== null) {
    if (text.length > 256) throw badRequest('q', 'must be at most 256 characters');
    query.text = text;
  }
  const after = q.get('after') ?? (ctx.req.headers['last-event-id'] as string | undefined) ?? null;
  if (after !== null) {
    if (!/^\d{1,15}$/.test(after)) throw badRequest('after', 'must be a sequence number');
    query.afterSeq = Number(after);
  }
  const since = q.get('since');
  if (since !== null) {
    if (Number.isNaN(Date.parse(since)) || since.length > 40) throw badRequest('since', 'must be an ISO 8601 time');
    query.since = new Date(since).toISOString();
  }
  const limit = q.get('limit');
  if (limit !== null) {
    if (!/^\d{1,5}$/.test(limit) || Number(limit) < 1 || Number(limit) > 10_000)
      throw badRequest('limit', 'must be 1 to 10000');
    query.limit = Number(limit);
  }
  return query;
}

/** Status, live status, reports and logs: what the System Overview, Reports and Logs pages read. */
export function observeRoutes(
  deps: ApiDeps,
  traffic: Pick<TrafficHistory, 'series'>,
  streams: EventStreams,
  now: () => Date,
): Route[] {
  const { engine, ha, store, logs } = deps;
  const keepAlive = deps.sseKeepAliveSeconds ?? 15;
  // A live view ends with its session or token (logout, expiry, user removed, token revoked).
  const allowed = (ctx: Ctx) => () =>
    deps.auth.authenticate(ctx.req.headers.authorization, ctx.req.headers.cookie) !== undefined;
  // Counted against the caller (a user across their sessions, or a token): 429 past the limits.
  const open = (ctx: Ctx) =>
    streams.open(
      ctx.res,
      keepAlive,
      ctx.principal ? streamOwner(ctx.principal) : `address:${ctx.address}`,
      allowed(ctx),
    );
  const status = (): unknown => ({ ha: ha.status(), engine: engine.status(), configVersion: store.current().version });
  // The status of thousands of real servers is megabytes of JSON: it is serialised once
  // per change (engine or HA event, new version) and at most once a second for the
  // counters, whatever the number of readers and live views.
  let cached: { text: string; bytes: Buffer; time: number; version: number } | undefined;
  let refreshing = false;
  const invalidate = () => {
    cached = undefined;
  };
  engine.onStatus(invalidate);
  ha.onStatus(invalidate);
  const build = () => {
    const text = JSON.stringify(status());
    // Encoded straight into its buffer with the newline after it: `${text}\n` would copy megabytes once more.
    const bytes = Buffer.allocUnsafe(Buffer.byteLength(text) + 1);
    bytes[bytes.write(text)] = 0x0a;
    cached = { text, bytes, time: now().getTime(), version: store.current().version };
    return cached;
  };
  const statusCache = () => {
    const time = now().getTime();
    // A change (an event, a new version) is served at once. Counters up to 3 s old are
    // served while a refresh runs after the answer, so that a steady reader does not wait
    // for the serialisation; older ones (a one-off reader such as the CLI) are rebuilt now.
    if (cached === undefined || cached.version !== store.current().version || time < cached.time) return build();
    if (time - cached.time >= 3000) return build();
    if (time - cached.time >= 1000 && !refreshing) {
      refreshing = true;
      setImmediate(() => {
        refreshing = false;
        if (cached !== undefined && now().getTime() - cached.time >= 1000) build();
      });
    }
    return cached;
  };
  const statusText = () => statusCache().text;
  return [
    {
      method: 'GET',
      path: '/status',
      summary: 'HA role, engine parts, every VIP and real server with its colour',
      tag: 'status',
      access: 'read',
      responseSchema: statusSchema,
      handler: async () => ({ body: undefined, json: statusCache().bytes }),
    },
    {
      method: 'GET',
      path: '/status/events',
      summary: 'The status as a server-sent event stream (event: status) on every change',
      tag: 'status',
      access: 'read',
      responseType: EVENT_STREAM,
      responseDescription: 'events `status`, each data line the status as GET /status answers it',
      errors: [429],
      handler: async (ctx) => {
        if (ctx.head) return { body: '', headers: { 'content-type': 'text/event-stream; charset=utf-8' } };
        const stream = open(ctx);
        let pending = false;
        let last = 0;
        // Changes in quick succession (an apply touching many servers, health flapping)
        // become one event, and a stream gets at most four a second: each is the whole status.
        const push = () => {
          if (pending) return;
          pending = true;
          const wait = Math.max(0, last + STATUS_EVENT_MS - Date.now());
          const send = () => {
            pending = false;
            last = Date.now();
            stream.sendJson('status', statusText());
          };
          if (wait === 0) setImmediate(send);
          else setTimeout(send, wait).unref();
        };
        last = Date.now();
        stream.sendJson('status', statusText());
        const offEngine = engine.onStatus(push);
        const offHa = ha.onStatus(push);
        stream.onClose(() => {
          offEngine();
          offHa();
        });
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/reports/connections',
      summary: 'The current Layer 4 connection table, SYN_RECV flagged with the ARP hint',
      tag: 'reports',
      access: 'read',
      responseSchema: z.strictObject({
        connections: z.array(layer4ConnectionSchema),
        synRecv: z.int(),
        hint: z.string().optional(),
      }),
      handler: async () => {
        const connections = await engine.connections();
        const synRecv = connections.filter((c) => c.synRecv).length;
        return { body: { connections, synRecv, ...(synRecv > 0 ? { hint: ARP_HINT } : {}) } };
      },
    },
    {
      method: 'GET',
      path: '/reports/layer7',
      summary: 'HAProxy statistics per proxy and server',
      tag: 'reports',
      access: 'read',
      responseSchema: z.strictObject({ rows: z.array(layer7StatRowSchema) }),
      handler: async () => ({ body: { rows: await engine.layer7Stats() } }),
    },
    {
      method: 'GET',
      path: '/reports/traffic',
      summary: 'Traffic rates over time per virtual service and real server',
      tag: 'reports',
      access: 'read',
      query: trafficQuery,
      responseSchema: z.strictObject({ series: z.array(trafficSeriesSchema) }),
      handler: async (ctx) => {
        const minutesText = ctx.query.get('minutes') ?? '60';
        if (!/^\d{1,4}$/.test(minutesText) || Number(minutesText) < 1 || Number(minutesText) > 1440) {
          throw badRequest('minutes', 'must be 1 to 1440');
        }
        const service = ctx.query.get('service') ?? undefined;
        const engineStatus = engine.status();
        if (service !== undefined && !engineStatus.services.some((s) => s.label === service)) {
          throw badRequest('service', `no virtual service is labelled ${JSON.stringify(service.slice(0, 64))}`);
        }
        return { body: { series: traffic.series(engineStatus, now(), Number(minutesText), service) } };
      },
    },
    {
      method: 'GET',
      path: '/logs',
      summary: 'Log records (heartbeat, layer4, layer7, health, audit, system) with filters',
      tag: 'logs',
      access: 'read',
      query: logQuerySchema,
      responseSchema: z.strictObject({ records: z.array(logRecordSchema) }),
      handler: async (ctx) => ({ body: { records: logs.query(logQuery(ctx)) } }),
    },
    {
      method: 'GET',
      path: '/logs/follow',
      summary: 'New log records as server-sent events (event: log, id: seq; resumes after Last-Event-ID)',
      tag: 'logs',
      access: 'read',
      query: logQuerySchema,
      responseType: EVENT_STREAM,
      responseDescription:
        "events `log` with `id:` the record's seq, each data line a log record as GET /logs lists it",
      errors: [429],
      handler: async (ctx) => {
        const query = logQuery(ctx);
        if (ctx.head) return { body: '', headers: { 'content-type': 'text/event-stream; charset=utf-8' } };
        const stream = open(ctx);
        if (query.afterSeq !== undefined) {
          for (const record of logs.query({ ...query, limit: 10_000 })) stream.send('log', record, record.seq);
        }
        const { afterSeq: _after, limit: _limit, ...live } = query;
        const off = logs.follow(live, (record) => stream.send('log', record, record.seq));
        stream.onClose(off);
        return undefined;
      },
    },
  ];
}
