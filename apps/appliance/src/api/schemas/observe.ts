import { z } from 'zod';
import type { LogRecord } from '../../model/log-record.js';
import type { TrafficSeries } from '../../model/traffic.js';
import type { Agrees } from './agree.js';

export const logRecordSchema = z.strictObject({
  seq: z.int(),
  time: z.string(),
  channel: z.enum(['heartbeat', 'layer4', 'layer7', 'health', 'audit', 'system']),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).exactOptional(),
});
const _log: Agrees<typeof logRecordSchema, LogRecord> = true;

const point = z.strictObject({
  time: z.string(),
  connections: z.number(),
  bytesInPerSecond: z.number(),
  bytesOutPerSecond: z.number(),
});

export const trafficSeriesSchema = z.strictObject({
  layer: z.string(),
  service: z.string(),
  points: z.array(point),
  servers: z.array(z.strictObject({ label: z.string(), points: z.array(point) })),
});
const _traffic: Agrees<typeof trafficSeriesSchema, TrafficSeries> = true;
