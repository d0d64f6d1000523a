import { describe, expect, it } from 'vitest';
import { HealthError, validateCheck, validateTarget } from '../src/index.js';

function rejects(fn: () => unknown, code: string, field: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HealthError);
    expect(error).toMatchObject({ code, field });
    return;
  }
  throw new Error(`expected ${code} on ${field}`);
}

describe('validateCheck', () => {
  it('accepts every check type', () => {
    const checks = [
      { type: 'connect', port: 80 },
      {
        type: 'negotiate',
        scheme: 'https',
        method: 'HEAD',
        path: '/health?full=1',
        host: 'www.example.com',
        headers: { 'x-probe': 'sluice' },
        expectStatus: [200, 204],
        expectContent: 'OK',
        expectRegex: '^ok$',
        servername: 'www.example.com',
        verify: false,
        redirects: 2,
      },
      { type: 'external', command: '/usr/local/bin/check', args: ['--deep'], env: { MODE: 'x' }, dynamicWeight: true },
      { type: 'on' },
      { type: 'off' },
      { type: 'ping' },
      { type: 'agent', port: 3333, send: 'hello\n' },
      { type: 'dns', name: 'www.example.com', recordType: 'AAAA', expect: '2001:db8::1' },
      { type: 'smtp' },
      { type: 'pop3', tls: true },
      { type: 'imap' },
      { type: 'ftp', port: 2121 },
      { type: 'tls', warnDays: 30 },
      { type: 'send-expect', port: 6379, steps: [{ send: 'PING\r\n' }, { expect: '+PONG' }, { expectRegex: '.' }] },
    ];
    for (const c of checks) expect(validateCheck(c)).toEqual(c);
  });

  it('names the field at fault', () => {
    rejects(() => validateCheck({ type: 'telnet' }), 'HEALTH_INVALID_CHECK', 'check.type');
    rejects(() => validateCheck({ type: 'connect', port: 0 }), 'HEALTH_INVALID_CHECK', 'check.port');
    rejects(() => validateCheck({ type: 'connect', prot: 1 }), 'HEALTH_INVALID_CHECK', 'check.prot');
    rejects(() => validateCheck({ type: 'negotiate', path: 'health' }), 'HEALTH_INVALID_CHECK', 'check.path');
    rejects(
      () => validateCheck({ type: 'negotiate', headers: { 'x-a': 'b\r\nInjected: 1' } }),
      'HEALTH_INVALID_CHECK',
      'check.headers.x-a',
    );
    rejects(
      () => validateCheck({ type: 'negotiate', headers: { 'bad name': 'v' } }),
      'HEALTH_INVALID_CHECK',
      'check.headers',
    );
    rejects(
      () => validateCheck({ type: 'negotiate', expectStatus: [99] }),
      'HEALTH_INVALID_CHECK',
      'check.expectStatus',
    );
    rejects(() => validateCheck({ type: 'negotiate', expectRegex: '(' }), 'HEALTH_INVALID_CHECK', 'check.expectRegex');
    rejects(() => validateCheck({ type: 'negotiate', verify: false }), 'HEALTH_INVALID_CHECK', 'check.verify');
    rejects(
      () => validateCheck({ type: 'negotiate', scheme: 'https', cert: '-----BEGIN CERTIFICATE-----\n' }),
      'HEALTH_INVALID_CHECK',
      'check.key',
    );
    rejects(() => validateCheck({ type: 'external', command: 'check.sh' }), 'HEALTH_INVALID_CHECK', 'check.command');
    rejects(() => validateCheck({ type: 'external' }), 'HEALTH_INVALID_CHECK', 'check.command');
    rejects(
      () => validateCheck({ type: 'external', command: '/bin/x', args: [''] }),
      'HEALTH_INVALID_CHECK',
      'check.args.0',
    );
    rejects(
      () => validateCheck({ type: 'external', command: '/bin/x', env: { '1X': 'v' } }),
      'HEALTH_INVALID_CHECK',
      'check.env',
    );
    rejects(() => validateCheck({ type: 'agent' }), 'HEALTH_INVALID_CHECK', 'check.port');
    rejects(() => validateCheck({ type: 'dns' }), 'HEALTH_INVALID_CHECK', 'check.name');
    rejects(() => validateCheck({ type: 'dns', name: 'a b' }), 'HEALTH_INVALID_CHECK', 'check.name');
    rejects(
      () => validateCheck({ type: 'dns', name: 'x', recordType: 'PTR' }),
      'HEALTH_INVALID_CHECK',
      'check.recordType',
    );
    rejects(() => validateCheck({ type: 'tls', warnDays: -1 }), 'HEALTH_INVALID_CHECK', 'check.warnDays');
    rejects(() => validateCheck({ type: 'send-expect', steps: [] }), 'HEALTH_INVALID_CHECK', 'check.steps');
    rejects(
      () => validateCheck({ type: 'send-expect', steps: [{ send: 'a', expect: 'b' }] }),
      'HEALTH_INVALID_CHECK',
      'check.steps[0]',
    );
    rejects(() => validateCheck(null, 'targets[2].check'), 'HEALTH_INVALID_CHECK', 'targets[2].check');
  });
});

describe('validateTarget', () => {
  it('fills in defaults and folds check into a schedule', () => {
    expect(validateTarget({ id: 'a', address: '2001:db8::1', port: 80, check: { type: 'connect' } })).toEqual({
      id: 'a',
      service: undefined,
      address: '2001:db8::1',
      port: 80,
      virtual: undefined,
      schedule: [{ check: { type: 'connect' }, rounds: 1 }],
      intervalMs: 2000,
      downIntervalMs: 2000,
      timeoutMs: 2000,
      rise: 2,
      fall: 3,
      initialState: 'unknown',
    });
    expect(
      validateTarget({ id: 'b', address: '192.0.2.1', check: { type: 'negotiate' }, intervalMs: 500 }).timeoutMs,
    ).toBe(500);
  });

  it('names the field at fault', () => {
    const base = { id: 'a', address: '192.0.2.1', port: 80, check: { type: 'connect' } };
    rejects(() => validateTarget({ ...base, id: '' }), 'HEALTH_INVALID_TARGET', 'target.id');
    rejects(() => validateTarget({ ...base, address: 'example.com' }), 'HEALTH_INVALID_TARGET', 'target.address');
    rejects(() => validateTarget({ ...base, rise: 1.5 }), 'HEALTH_INVALID_TARGET', 'target.rise');
    rejects(() => validateTarget({ ...base, fall: 0 }), 'HEALTH_INVALID_TARGET', 'target.fall');
    rejects(() => validateTarget({ ...base, intervalMs: 1 }), 'HEALTH_INVALID_TARGET', 'target.intervalMs');
    rejects(() => validateTarget({ ...base, initialState: 'maybe' }), 'HEALTH_INVALID_TARGET', 'target.initialState');
    rejects(
      () => validateTarget({ ...base, virtual: { address: 'x' } }),
      'HEALTH_INVALID_TARGET',
      'target.virtual.address',
    );
    rejects(() => validateTarget({ ...base, schedule: [] }), 'HEALTH_INVALID_TARGET', 'target.check');
    rejects(() => validateTarget({ ...base, port: undefined }), 'HEALTH_INVALID_TARGET', 'target.check.port');
    rejects(
      () => validateTarget({ ...base, check: undefined, schedule: [{ check: { type: 'connect' }, rounds: 0 }] }),
      'HEALTH_INVALID_TARGET',
      'target.schedule[0].rounds',
    );
    rejects(
      () => validateTarget({ ...base, check: undefined, schedule: [{ check: { type: 'nope' } }] }, 'targets[4]'),
      'HEALTH_INVALID_CHECK',
      'targets[4].schedule[0].check.type',
    );
  });
});
