import { z } from 'zod';
import type { LogBook } from '../../logs/contract.js';
import type { CertificateUpload, WebCertificates } from '../../web/certificates.js';
import { makeTerminationCertificate, storeTerminationCertificate } from '../../web/termination-certificates.js';
import { parseBody } from '../resources.js';
import type { Ctx, Route } from '../router.js';
import { certificateInfoSchema, pendingRequestSchema, storedCertificateSchema } from '../schemas/certificates.js';

const UPLOAD_LIMIT = 256 * 1024;

/** `label`: a certificate for SSL termination stored under that name; absent: the web interface's own. */
const label = z.string().max(64).optional();
const uploadSchema = z.discriminatedUnion('format', [
  z.strictObject({
    format: z.literal('pem'),
    label,
    certificate: z.string().max(UPLOAD_LIMIT),
    key: z
      .string()
      .max(64 * 1024)
      .optional(),
    passphrase: z.string().max(1024).optional(),
  }),
  z.strictObject({
    format: z.literal('pkcs12'),
    label,
    data: z.string().max(UPLOAD_LIMIT),
    password: z.string().max(1024).optional(),
  }),
]);

/** A self-signed certificate for SSL termination: its label and the names (the VIP's address first) it is for. */
const selfSignedSchema = z.strictObject({
  label: z.string().max(64),
  names: z.array(z.string().max(253)).min(1).max(20),
});

const requestSchema = z.strictObject({
  commonName: z.string().max(253),
  altNames: z.array(z.string().max(253)).max(100).optional(),
  organization: z.string().max(64).optional(),
});

const author = (ctx: Ctx) => ctx.principal?.user ?? 'unknown';

/**
 * The web interface's own HTTPS certificate: see it, replace it by an upload (PEM or
 * PKCS#12), or make a key and signing request here and upload the signed certificate
 * later. Bad material is CERTIFICATE_INVALID naming the field (a PKCS#12 file asking more
 * key derivation work than the event loop can spare: CERTIFICATE_PKCS12_ITERATIONS, 400); the
 * certificate in use stays until a good one is installed, which the HTTPS server takes
 * without a restart.
 */
export function certificateUploadRoutes(
  certificates: WebCertificates,
  logs: Pick<LogBook, 'write'>,
  /** Where SSL termination certificates are written (`<dataDir>/certificates`). */
  terminationDir: string,
): Route[] {
  return [
    {
      method: 'GET',
      path: '/web-certificate',
      summary: 'The HTTPS certificate of the web interface, and the pending signing request',
      tag: 'certificates',
      access: 'read',
      responseSchema: z.strictObject({ current: certificateInfoSchema, request: pendingRequestSchema.nullable() }),
      handler: async () => ({ body: { current: certificates.info(), request: certificates.pending() ?? null } }),
    },
    {
      method: 'POST',
      path: '/certificates/upload',
      summary:
        'Install the web interface certificate, or with `label` store one for SSL termination (answers its `file`): PEM (certificate and key) or PKCS#12 (base64, with password)',
      tag: 'certificates',
      access: 'write',
      bodyLimit: UPLOAD_LIMIT * 2,
      requestSchema: uploadSchema,
      responseSchema: certificateInfoSchema,
      responseDescription: 'the web interface certificate installed',
      responses: { 201: { description: 'the SSL termination certificate stored', schema: storedCertificateSchema } },
      handler: async (ctx) => {
        const { label: target, ...upload } = parseBody(uploadSchema, ctx.body);
        if (target !== undefined) {
          const stored = await storeTerminationCertificate(terminationDir, target, upload as CertificateUpload);
          logs.write(
            'audit',
            'info',
            `${author(ctx)}: SSL termination certificate ${target} stored (${stored.info.subject})`,
            {
              author: author(ctx),
              fingerprint: stored.info.fingerprint256,
            },
          );
          return { status: 201, body: stored };
        }
        const info = await certificates.install(upload as CertificateUpload);
        logs.write('audit', 'info', `${author(ctx)}: web certificate replaced (${info.subject})`, {
          author: author(ctx),
          fingerprint: info.fingerprint256,
        });
        return { body: info };
      },
    },
    {
      method: 'POST',
      path: '/certificates/self-signed',
      summary:
        'Make a self-signed certificate for SSL termination (for `names`: the VIP address, host names), stored like an upload under `label`; answers its `file`',
      tag: 'certificates',
      access: 'write',
      requestSchema: selfSignedSchema,
      responses: { 201: { description: 'the certificate made and stored', schema: storedCertificateSchema } },
      handler: async (ctx) => {
        const { label: target, names } = parseBody(selfSignedSchema, ctx.body);
        const made = await makeTerminationCertificate(terminationDir, target, names);
        logs.write(
          'audit',
          'info',
          `${author(ctx)}: self-signed SSL termination certificate ${target} made for ${names.join(', ')}`,
          {
            author: author(ctx),
            fingerprint: made.info.fingerprint256,
          },
        );
        return { status: 201, body: made };
      },
    },
    {
      method: 'POST',
      path: '/certificates/csr',
      summary: 'Make a key and a certificate signing request for the web interface (the key stays here)',
      tag: 'certificates',
      access: 'write',
      created: true,
      requestSchema,
      responses: { 201: { description: 'the signing request (the key stays here)', schema: pendingRequestSchema } },
      handler: async (ctx) => {
        const request = parseBody(requestSchema, ctx.body);
        const made = await certificates.createRequest({
          commonName: request.commonName,
          ...(request.altNames ? { altNames: request.altNames } : {}),
          ...(request.organization ? { organization: request.organization } : {}),
        });
        logs.write('audit', 'info', `${author(ctx)}: web certificate request made for ${made.commonName}`, {
          author: author(ctx),
        });
        // The pending request is shown (and replaced by the next one) at /web-certificate.
        return { status: 201, body: made, headers: { location: '/api/v1/web-certificate' } };
      },
    },
  ];
}
