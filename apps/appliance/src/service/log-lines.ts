/**
 * The log book's records as one line each on stdout, for the journal: with the
 * `<priority>` prefix journald reads (SyslogLevelPrefix) when stdout is the journal, so
 * `journalctl -u sluice -p warning` finds the warnings; JSON when asked, for collectors.
 */
import type { LogLevel, LogRecord } from '../model/log-record.js';
import type { LogFormat } from './settings-file.js';

/** syslog(3) priorities. */
const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LogLineOptions {
  format: LogFormat;
  /** Records below this level are not written. */
  level: LogLevel;
  /** Prefix each line with `<priority>` (stdout is the journal: JOURNAL_STREAM is set). */
  journal: boolean;
}

export function wanted(record: Pick<LogRecord, 'level'>, level: LogLevel): boolean {
  return RANK[record.level] >= RANK[level];
}

/** One record as one line: a message's own line breaks are escaped, so a record never spans two. */
export function logLine(record: LogRecord, options: Pick<LogLineOptions, 'format' | 'journal'>): string {
  const prefix = options.journal ? `<${PRIORITY[record.level]}>` : '';
  if (options.format === 'json') {
    return `${prefix}${JSON.stringify({
      time: record.time,
      level: record.level,
      channel: record.channel,
      message: record.message,
      ...(record.fields === undefined ? {} : { fields: record.fields }),
    })}`;
  }
  const message = record.message.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  // The journal stamps its own time; a terminal gets one.
  const time = options.journal ? '' : `${record.time} `;
  return `${prefix}${time}${record.level} ${record.channel}: ${message}`;
}
