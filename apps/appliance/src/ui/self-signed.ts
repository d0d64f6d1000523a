import type { CertificateInfo } from '../model/certificate.js';
import type { ApplianceConfig } from '../model/schema.js';
import { api, seg } from './api.js';

type Item = Record<string, unknown>;

/**
 * The SSL termination form's choice "self-signed, made now for this VIP". Not a label
 * (labels start with a letter or digit), so it can never name an uploaded certificate.
 */
export const SELF_SIGNED = '(self-signed)';

/**
 * The label of the certificate made for termination `termination`: its own (not shared
 * with other terminations or the web interface), so that a CA-signed certificate uploaded
 * under the same label later replaces it for this termination alone.
 */
export function selfSignedLabel(termination: unknown): string {
  const base = typeof termination === 'string' && /^[A-Za-z0-9]/.test(termination) ? termination.slice(0, 53) : 'ssl';
  return `${base}-selfsigned`;
}

/**
 * The termination as it will be written, for live validation: naming its certificate-to-be,
 * which the candidate configuration then holds, so the model judges the rest as it will.
 */
export function placeSelfSigned(candidate: Item, value: Item): Item {
  if (value.certificate !== SELF_SIGNED) return value;
  const label = selfSignedLabel(value.label);
  const certificates = (candidate.certificates as Item[] | undefined) ?? [];
  if (!certificates.some((c) => c.label === label)) {
    candidate.certificates = [...certificates, { label, file: `/made-on-save/${label}.pem` }];
  }
  return { ...value, certificate: label };
}

/**
 * Before the termination is written: with the self-signed choice, the appliance makes a
 * certificate for the VIP (node-forge, no openssl) and the configuration names it as a new
 * version; the termination is then written on that version, naming it.
 */
export async function makeSelfSigned(
  config: ApplianceConfig,
  value: Item,
  version: number,
): Promise<{ item: Item; version: number }> {
  if (value.certificate !== SELF_SIGNED) return { item: value, version };
  const label = selfSignedLabel(value.label);
  const made = await api.post<{ file: string; info: CertificateInfo }>('/certificates/self-signed', {
    label,
    names: [value.vip],
  });
  const entry = { label, file: made.file };
  const written = config.certificates.some((c) => c.label === label)
    ? await api.put<{ version: number }>(`/certificates/${seg(label)}`, entry, { version })
    : await api.post<{ version: number }>('/certificates', entry, { version });
  return { item: { ...value, certificate: label }, version: written.version };
}
