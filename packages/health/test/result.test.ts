import { describe, expect, it } from 'vitest';
import { classifyError, FAILURE_REASONS } from '../src/index.js';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyError', () => {
  it('maps socket, TLS and undici errors to stable reasons', () => {
    expect(classifyError(err('ECONNREFUSED')).reason).toBe('refused');
    expect(classifyError(err('EHOSTUNREACH')).reason).toBe('unreachable');
    expect(classifyError(err('ENETUNREACH')).reason).toBe('unreachable');
    expect(classifyError(err('ECONNRESET')).reason).toBe('reset');
    expect(classifyError(err('UND_ERR_SOCKET')).reason).toBe('reset');
    expect(classifyError(err('ETIMEDOUT')).reason).toBe('timeout');
    expect(classifyError(err('UND_ERR_HEADERS_TIMEOUT')).reason).toBe('timeout');
    expect(classifyError(err('CERT_HAS_EXPIRED')).reason).toBe('tls');
    expect(classifyError(err('DEPTH_ZERO_SELF_SIGNED_CERT')).reason).toBe('tls');
    expect(classifyError(err('ERR_TLS_CERT_ALTNAME_INVALID')).reason).toBe('tls');
    expect(classifyError(err('ERR_SSL_WRONG_VERSION_NUMBER')).reason).toBe('tls');
    expect(classifyError(new Error('weird'))).toEqual({ ok: false, reason: 'error', detail: 'weird' });
    expect(classifyError('text')).toEqual({ ok: false, reason: 'error', detail: 'text' });
  });

  it('looks through cause chains (undici wraps socket errors)', () => {
    const wrapped = new TypeError('fetch failed', { cause: err('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.1:80') });
    expect(classifyError(wrapped)).toEqual({
      ok: false,
      reason: 'refused',
      detail: 'connect ECONNREFUSED 192.0.2.1:80',
    });
  });

  it('lists distinct reasons', () => {
    expect(new Set(FAILURE_REASONS).size).toBe(FAILURE_REASONS.length);
  });
});
