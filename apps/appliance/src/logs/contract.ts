// The log book's contract (implemented by ./index.ts): the other parts see the log book only through it,
// each taking a Pick<> of what it uses, so that a test fakes just that (Seesaw's engine/ecu/ha split).
import type { LogChannel, LogLevel, LogQuery, LogRecord } from '../model/log-record.js';

export interface LogBook {
  write(channel: LogChannel, level: LogLevel, message: string, fields?: LogRecord['fields']): LogRecord;
  query(query: LogQuery): LogRecord[];
  /** Every new record that matches, until the returned function is called. */
  follow(query: LogQuery, listener: (record: LogRecord) => void): () => void;
}
