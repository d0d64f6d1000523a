import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAdminStates } from '../../src/admin-states/index.js';
import { FailedLoginAudit } from '../../src/auth/login-audit.js';
import { addressKey, HashSlots, LoginRateLimiter } from '../../src/auth/rate-limit.js';
import { createLogBook } from '../../src/logs/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-logs-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('log book', () => {
  it('keeps a ring of the newest records, writes JSON lines per channel, reads them back on open', async () => {
    const book = await createLogBook({ dir, capacity: 5, now: () => new Date('2026-01-01T00:00:00Z') });
    for (let i = 1; i <= 7; i++) book.write(i % 2 ? 'layer4' : 'heartbeat', 'info', `record ${i}`, { i });
    book.write('audit', 'warn', 'two\nlines\u2028and a NUL \0');
    expect(book.query({}).map((r) => r.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(book.query({ channels: ['layer4'], limit: 2 }).map((r) => r.message)).toEqual(['record 5', 'record 7']);
    await book.close();
    const audit = await readFile(join(dir, 'audit.jsonl'), 'utf8');
    expect(audit.split('\n')).toHaveLength(2); // one line and the final newline: no message adds a line
    expect(JSON.parse(audit).message).toBe('two\nlines\u2028and a NUL \0');
    expect((await stat(join(dir, 'audit.jsonl'))).mode & 0o777).toBe(0o600);

    const again = await createLogBook({ dir, capacity: 5 });
    expect(again.query({}).map((r) => r.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(again.write('system', 'info', 'after restart').seq).toBe(9);
    await again.close();
  });

  it('rotates a channel file past its size, keeping a bounded number', async () => {
    const book = await createLogBook({ dir, maxFileBytes: 1000, keepFiles: 2 });
    for (let i = 0; i < 60; i++) {
      book.write('layer7', 'info', `a fairly long message number ${i} ${'x'.repeat(40)}`);
      await book.flush();
    }
    await book.close();
    const files = (await readdir(dir)).filter((name) => name.startsWith('layer7')).sort();
    expect(files).toEqual(['layer7.jsonl', 'layer7.jsonl.1', 'layer7.jsonl.2']);
    for (const file of files) expect((await stat(join(dir, file))).size).toBeLessThanOrEqual(1100);
  });

  it('follows matching records until stopped; a throwing follower harms no one', async () => {
    const book = await createLogBook();
    const seen: string[] = [];
    book.follow({}, () => {
      throw new Error('closed stream');
    });
    const stop = book.follow({ channels: ['health'], level: 'warn', text: 'DOWN' }, (r) => seen.push(r.message));
    book.write('health', 'warn', 'alpha is down');
    book.write('health', 'info', 'bravo is down');
    book.write('layer4', 'error', 'charlie is down');
    stop();
    book.write('health', 'error', 'delta is down');
    expect(seen).toEqual(['alpha is down']);
  });

  it('skips torn lines left by a crash', async () => {
    await writeFile(
      join(dir, 'system.jsonl'),
      '{"seq":1,"time":"t","channel":"system","level":"info","message":"ok"}\n{"seq":2,"ti',
    );
    const book = await createLogBook({ dir });
    expect(book.query({}).map((r) => r.message)).toEqual(['ok']);
    await book.close();
  });
});

describe('admin states', () => {
  it('stores states durably; online removes the entry; listeners hear every change', async () => {
    const states = await openAdminStates(dir, { now: () => new Date('2026-01-01T00:00:00Z') });
    const heard: string[] = [];
    states.onChange((entry) => heard.push(`${entry.server}:${entry.state}`));
    const ref = { layer: 'layer4' as const, service: 'web', server: 'alpha' };
    expect(states.get(ref)).toBe('online');
    await states.set(ref, 'drain', 'alice');
    await states.set({ ...ref, server: 'bravo' }, 'offline', 'alice');
    expect((await openAdminStates(dir)).get(ref)).toBe('drain');
    await states.set(ref, 'online', 'bob');
    expect((await openAdminStates(dir)).list().map((e) => e.server)).toEqual(['bravo']);
    await states.replaceAll([
      { ...ref, server: 'charlie', state: 'offline', author: 'peer', time: '2026-01-01T00:00:00Z' },
    ]);
    expect(heard).toEqual(['alpha:drain', 'bravo:offline', 'alpha:online', 'bravo:online', 'charlie:offline']);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await stat(join(dir, 'admin-states.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses to open a damaged file rather than guess', async () => {
    await writeFile(join(dir, 'admin-states.json'), '{"entries": [{"layer": "layer9"}]}');
    await expect(openAdminStates(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await writeFile(join(dir, 'admin-states.json'), '{"entr');
    await expect(openAdminStates(dir)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });
});

describe('login rate limiter', () => {
  it('blocks after the limit within the window, then lets the oldest failure expire', () => {
    let now = 0;
    const limiter = new LoginRateLimiter(() => now, 3, 60_000, 2);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a')).toBe(0);
      limiter.fail('a');
      now += 10_000;
    }
    expect(limiter.retryAfter('a')).toBe(30);
    now += 30_000;
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.clear('a');
    // Bounded memory: past maxKeys the oldest keys go.
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('d');
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('counts an attempt when it starts; a correct one takes back exactly its own count', () => {
    const limiter = new LoginRateLimiter(() => 0, 2, 60_000);
    const first = limiter.fail('a');
    const second = limiter.fail('a');
    expect(limiter.retryAfter('a')).toBe(60);
    second();
    second(); // twice is once
    expect(limiter.retryAfter('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.retryAfter('a')).toBe(60);
    first();
    expect(limiter.retryAfter('a')).toBe(0);
  });

  it('hash slots: capped per address and in total, refused at once, given back', () => {
    const slots = new HashSlots(3, 2);
    expect(slots.tryAcquire('192.0.2.1')).toBe(true);
    expect(slots.tryAcquire('192.0.2.1')).toBe(true);
    expect(slots.tryAcquire('192.0.2.1')).toBe(false);
    expect(slots.tryAcquire('192.0.2.2')).toBe(true);
    expect(slots.tryAcquire('192.0.2.3')).toBe(false);
    slots.release('192.0.2.1');
    expect(slots.tryAcquire('192.0.2.3')).toBe(true);
    expect(slots.tryAcquire('192.0.2.1')).toBe(false);
  });

  it('an IPv6 client is its /64; IPv4 and IPv4-mapped addresses are themselves', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(addressKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('failed-login audit', () => {
  it('writes the first failure of a pair at once and the rest as one record with a count', () => {
    let now = 0;
    const written: { message: string; count: unknown }[] = [];
    const audit = new FailedLoginAudit(
      () => now,
      (message, fields) => written.push({ message, count: fields.count }),
      60_000,
      2,
    );
    for (let i = 0; i < 10; i++) audit.failed('192.0.2.1', 'admin', 'AUTH_FAILED');
    expect(written).toEqual([{ message: 'failed login of "admin" from 192.0.2.1 (AUTH_FAILED)', count: 1 }]);
    // Refusals for being limited count per address, whatever the name.
    for (let i = 0; i < 5; i++) audit.failed('192.0.2.1', `name-${i}`, 'AUTH_RATE_LIMITED');
    // Past maxOpen pairs, every other client is counted together.
    for (let i = 0; i < 50; i++) audit.failed(`198.51.100.${i}`, 'admin', 'AUTH_FAILED');
    expect(written).toHaveLength(3);
    audit.succeeded('192.0.2.1', 'admin');
    expect(written[3]).toMatchObject({ count: 9 });
    expect(written[3]?.message).toMatch(/^9 more failed logins of "admin" from 192\.0\.2\.1 in 1 s \(AUTH_FAILED 9\)$/);
    now += 60_000;
    audit.sweep();
    expect(written.slice(4).map((record) => record.count)).toEqual([4, 49]);
    expect(written.reduce((sum, record) => sum + Number(record.count), 0)).toBe(65);
    audit.flush();
    expect(written).toHaveLength(6);
  });
});
