// The log book's records and queries, as the API answers with them and the UI shows them.

export type LogChannel = 'heartbeat' | 'layer4' | 'layer7' | 'health' | 'audit' | 'system';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogRecord {
  /** Increasing within a log book; `follow` resumes after a seq. */
  seq: number;
  /** ISO 8601, UTC. */
  time: string;
  channel: LogChannel;
  level: LogLevel;
  message: string;
  fields?: Record<string, string | number | boolean | null>;
}

export interface LogQuery {
  channels?: readonly LogChannel[];
  /** The least severe level returned. */
  level?: LogLevel;
  /** Substring of the message (case-insensitive). */
  text?: string;
  afterSeq?: number;
  /** ISO 8601. */
  since?: string;
  limit?: number;
}
