import { type FileHandle, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogChannel, LogLevel, LogQuery, LogRecord } from '../model/log-record.js';
import type { LogBook } from './contract.js';

export const LOG_CHANNELS: readonly LogChannel[] = ['heartbeat', 'layer4', 'layer7', 'health', 'audit', 'system'];
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const severity = (level: LogLevel) => LOG_LEVELS.indexOf(level);

export interface LogBookOptions {
  /** Where `<channel>.jsonl` files go; absent: memory only. */
  dir?: string;
  /** Records kept in memory for queries [10,000]. */
  capacity?: number;
  /** A channel's file is rotated past this size [5 MiB]. */
  maxFileBytes?: number;
  /** Rotated files kept per channel (`audit.jsonl.1` ...) [3]. */
  keepFiles?: number;
  now?: () => Date;
  /** Called when a file write fails (the record stays in memory). */
  onError?: (error: unknown) => void;
}

export interface ClosableLogBook extends LogBook {
  /** Every pending file write done. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

function matches(record: LogRecord, query: LogQuery, text: string | undefined): boolean {
  if (query.channels !== undefined && query.channels.length > 0 && !query.channels.includes(record.channel))
    return false;
  if (query.level !== undefined && severity(record.level) < severity(query.level)) return false;
  if (query.afterSeq !== undefined && record.seq <= query.afterSeq) return false;
  if (query.since !== undefined && record.time < query.since) return false;
  if (text !== undefined && !record.message.toLowerCase().includes(text)) return false;
  return true;
}

/**
 * The log book: the newest records in a ring buffer for queries and live views, and
 * every record appended to `<dir>/<channel>.jsonl` (JSON lines, so no message can forge
 * another line), rotated by size. Opening it reads the files' tails back, so queries
 * and sequence numbers continue across restarts.
 */
class FileLogBook implements ClosableLogBook {
  private readonly ring: (LogRecord | undefined)[];
  private start = 0;
  private size = 0;
  private seq = 0;
  private readonly followers = new Set<{
    query: LogQuery;
    text: string | undefined;
    listener: (r: LogRecord) => void;
  }>();
  private readonly pending = new Map<LogChannel, string[]>();
  private readonly sizes = new Map<LogChannel, number>();
  /** One open file per channel, so that a write costs no open() and close(). */
  private readonly handles = new Map<LogChannel, FileHandle>();
  private writing: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly options: Required<Omit<LogBookOptions, 'dir' | 'onError'>> &
      Pick<LogBookOptions, 'dir' | 'onError'>,
  ) {
    this.ring = new Array(options.capacity);
  }

  async load(): Promise<void> {
    const dir = this.options.dir;
    if (dir === undefined) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const loaded: LogRecord[] = [];
    for (const channel of LOG_CHANNELS) {
      const file = join(dir, `${channel}.jsonl`);
      const size = await stat(file).then(
        (info) => info.size,
        () => 0,
      );
      this.sizes.set(channel, size);
      if (size === 0) continue;
      // Split on "\n" only: a message may hold U+2028, which readline would take for a line end.
      const text = await readFile(file, 'utf8').catch(() => '');
      const lines = text.split('\n');
      const tail: LogRecord[] = [];
      for (let i = Math.max(0, lines.length - 1 - this.options.capacity); i < lines.length; i++) {
        const line = lines[i] as string;
        if (line === '') continue;
        try {
          const record = JSON.parse(line) as LogRecord;
          if (typeof record.seq === 'number' && typeof record.message === 'string') tail.push(record);
        } catch {
          // A line cut short by a crash.
        }
      }
      loaded.push(...tail);
    }
    loaded.sort((a, b) => a.seq - b.seq);
    for (const record of loaded.slice(-this.options.capacity)) this.push(record);
    this.seq = loaded.reduce((max, record) => Math.max(max, record.seq), 0);
  }

  write(channel: LogChannel, level: LogLevel, message: string, fields?: LogRecord['fields']): LogRecord {
    const record: LogRecord = {
      seq: ++this.seq,
      time: this.options.now().toISOString(),
      channel,
      level,
      message: message.length > 4000 ? `${message.slice(0, 4000)}…` : message,
      ...(fields === undefined ? {} : { fields }),
    };
    this.push(record);
    if (this.options.dir !== undefined && !this.closed) {
      const list = this.pending.get(channel);
      const line = `${JSON.stringify(record)}\n`;
      if (list === undefined) this.pending.set(channel, [line]);
      else list.push(line);
      this.scheduleFlush();
    }
    for (const follower of this.followers) {
      if (matches(record, follower.query, follower.text)) {
        try {
          follower.listener(record);
        } catch {
          // A follower's fault (a closed stream) must not stop the others.
        }
      }
    }
    return record;
  }

  query(query: LogQuery): LogRecord[] {
    const limit = Math.max(1, Math.min(query.limit ?? 200, this.options.capacity));
    const text = query.text?.toLowerCase();
    const out: LogRecord[] = [];
    if (query.afterSeq !== undefined) {
      // Paging forward: the first `limit` records after the given one.
      for (let i = 0; i < this.size && out.length < limit; i++) {
        const record = this.at(i);
        if (matches(record, query, text)) out.push(record);
      }
      return out;
    }
    for (let i = this.size - 1; i >= 0 && out.length < limit; i--) {
      const record = this.at(i);
      if (matches(record, query, text)) out.push(record);
    }
    return out.reverse();
  }

  follow(query: LogQuery, listener: (record: LogRecord) => void): () => void {
    const follower = { query, text: query.text?.toLowerCase(), listener };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  flush(): Promise<void> {
    this.flushScheduled = false;
    const batches = [...this.pending];
    this.pending.clear();
    this.writing = this.writing.then(async () => {
      for (const [channel, lines] of batches) await this.append(channel, lines.join(''));
    });
    return this.writing;
  }

  async close(): Promise<void> {
    this.followers.clear();
    await this.flush();
    this.closed = true;
    for (const handle of this.handles.values()) await handle.close().catch(() => undefined);
    this.handles.clear();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      if (this.flushScheduled) void this.flush();
    });
  }

  private async append(channel: LogChannel, data: string): Promise<void> {
    const dir = this.options.dir as string;
    const file = join(dir, `${channel}.jsonl`);
    try {
      const size = this.sizes.get(channel) ?? 0;
      if (size > 0 && size + data.length > this.options.maxFileBytes) {
        await this.handles.get(channel)?.close();
        this.handles.delete(channel);
        for (let n = this.options.keepFiles - 1; n >= 1; n--) {
          await rename(`${file}.${n}`, `${file}.${n + 1}`).catch(() => undefined);
        }
        await rename(file, `${file}.1`).catch(() => undefined);
        this.sizes.set(channel, 0);
      }
      let handle = this.handles.get(channel);
      if (handle === undefined) {
        handle = await open(file, 'a', 0o600);
        this.handles.set(channel, handle);
      }
      await handle.write(data);
      this.sizes.set(channel, (this.sizes.get(channel) ?? 0) + Buffer.byteLength(data));
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private push(record: LogRecord): void {
    const capacity = this.options.capacity;
    if (this.size < capacity) {
      this.ring[(this.start + this.size) % capacity] = record;
      this.size++;
    } else {
      this.ring[this.start] = record;
      this.start = (this.start + 1) % capacity;
    }
  }

  private at(i: number): LogRecord {
    return this.ring[(this.start + i) % this.options.capacity] as LogRecord;
  }
}

export async function createLogBook(options: LogBookOptions = {}): Promise<ClosableLogBook> {
  const book = new FileLogBook({
    capacity: options.capacity ?? 10_000,
    maxFileBytes: options.maxFileBytes ?? 5 * 1024 * 1024,
    keepFiles: options.keepFiles ?? 3,
    now: options.now ?? (() => new Date()),
    ...(options.dir === undefined ? {} : { dir: options.dir }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  await book.load();
  return book;
}
