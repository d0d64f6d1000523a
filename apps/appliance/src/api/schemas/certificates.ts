import { z } from 'zod';
import type { CertificateInfo, PendingRequest, TerminationCertificateStatus } from '../../model/certificate.js';
import type { Agrees } from './agree.js';

export const certificateInfoSchema = z.strictObject({
  subject: z.string(),
  issuer: z.string(),
  altNames: z.array(z.string()),
  validFrom: z.string(),
  validTo: z.string(),
  fingerprint256: z.string(),
  selfSigned: z.boolean(),
  chainLength: z.int(),
});
const _info: Agrees<typeof certificateInfoSchema, CertificateInfo> = true;

export const pendingRequestSchema = z.strictObject({
  commonName: z.string(),
  altNames: z.array(z.string()),
  csr: z.string(),
  createdAt: z.string(),
});
const _pending: Agrees<typeof pendingRequestSchema, PendingRequest> = true;

const expiry = z.strictObject({ state: z.enum(['valid', 'expiring', 'expired']), daysLeft: z.number() });

export const terminationCertificateStatusSchema = z.strictObject({
  label: z.string(),
  file: z.string(),
  info: certificateInfoSchema.exactOptional(),
  problem: z.string().exactOptional(),
  expiry: expiry.exactOptional(),
  usedBy: z.array(z.string()),
});
const _termination: Agrees<typeof terminationCertificateStatusSchema, TerminationCertificateStatus> = true;

/** A stored SSL termination certificate: the file the configuration names, and what it holds. */
export const storedCertificateSchema = z.strictObject({ file: z.string(), info: certificateInfoSchema });
