// The web certificate as the API answers with it and the UI shows it.

/** What the UI shows of a certificate: never the key. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses the certificate is valid for. */
  altNames: string[];
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  selfSigned: boolean;
  /** Certificates after the first (the chain up to the issuer). */
  chainLength: number;
}

export interface PendingRequest {
  commonName: string;
  altNames: string[];
  /** PEM of the certificate signing request, to be signed by a certificate authority. */
  csr: string;
  createdAt: string;
}

/**
 * A certificate is flagged this many days before it expires. 30 days: a certificate renewed
 * automatically (ACME, 90-day certificates) is renewed 30 days before its end, so a
 * warning means that renewal failed; a certificate bought from a CA takes days to reissue,
 * and a month leaves room for a change window.
 */
export const EXPIRY_WARNING_DAYS = 30;

export type ExpiryState = 'valid' | 'expiring' | 'expired';

const DAY_MS = 86_400_000;

/** Where a certificate valid to `validTo` stands at `now`, and its whole days left (negative: expired that long ago). */
export function expiryOf(validTo: string, now: Date): { state: ExpiryState; daysLeft: number } {
  const left = Date.parse(validTo) - now.getTime();
  const daysLeft = Math.floor(left / DAY_MS);
  if (left <= 0) return { state: 'expired', daysLeft };
  return { state: left <= EXPIRY_WARNING_DAYS * DAY_MS ? 'expiring' : 'valid', daysLeft };
}

/** What a person reads about a certificate's expiry (`expiryOf`'s answer): nothing while it has long to run. */
export function expiryWarning(
  label: string,
  validTo: string,
  { state, daysLeft }: { state: ExpiryState; daysLeft: number },
): string | undefined {
  const date = validTo.slice(0, 10);
  if (state === 'expired') return `Certificate ${label} expired on ${date}: clients refuse it. Upload a new one.`;
  if (state === 'expiring') {
    const when = daysLeft < 1 ? 'within a day' : `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`;
    return `Certificate ${label} expires ${when} (${date}): renew it and upload the new one.`;
  }
  return undefined;
}

/** An SSL termination certificate of the configuration as read from its file on this node. */
export interface TerminationCertificateStatus {
  label: string;
  file: string;
  /** Absent when the file cannot be read or holds no certificate: see `problem`. */
  info?: CertificateInfo;
  problem?: string;
  expiry?: { state: ExpiryState; daysLeft: number };
  /** The SSL terminations that present it. */
  usedBy: string[];
}
