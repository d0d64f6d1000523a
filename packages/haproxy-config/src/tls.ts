import type { TlsPolicy } from './model.js';

export interface TlsSettings {
  /** TLS 1.2 and below (OpenSSL cipher string); absent when TLS 1.2 is not offered. */
  ciphers?: string;
  /** TLS 1.3 suites. */
  ciphersuites: string;
  minVersion: 'TLSv1.0' | 'TLSv1.2' | 'TLSv1.3';
  noTlsTickets: boolean;
}

const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';

const INTERMEDIATE = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
];

// Mozilla's "old" profile: for clients that cannot do TLS 1.2 with AEAD ciphers. OpenSSL 3
// refuses SHA-1 signatures and TLS 1.0/1.1 at its default security level 1, hence @SECLEVEL=0.
const LEGACY = [
  ...INTERMEDIATE,
  'DHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'DHE-RSA-AES128-SHA256',
  'DHE-RSA-AES256-SHA256',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA256',
  'AES256-SHA256',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
  '@SECLEVEL=0',
];

/** The cipher settings of each policy (Mozilla server-side TLS guidelines, version 5.7). */
export const TLS_POLICIES: Readonly<Record<TlsPolicy, TlsSettings>> = {
  modern: { ciphersuites: TLS13, minVersion: 'TLSv1.3', noTlsTickets: true },
  intermediate: { ciphers: INTERMEDIATE.join(':'), ciphersuites: TLS13, minVersion: 'TLSv1.2', noTlsTickets: true },
  legacy: { ciphers: LEGACY.join(':'), ciphersuites: TLS13, minVersion: 'TLSv1.0', noTlsTickets: false },
};

/** The words after `ssl-default-bind-options` or on a `bind` line. */
export function tlsOptionWords(settings: TlsSettings): string[] {
  return [`ssl-min-ver ${settings.minVersion}`, ...(settings.noTlsTickets ? ['no-tls-tickets'] : [])];
}
