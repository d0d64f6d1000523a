import type { CertificateInfo } from '../../model/certificate.js';
import type { ApplianceConfig } from '../../model/schema.js';
import { ApiError, api, seg } from '../api.js';
import { h, toast } from '../dom.js';
import type { WriteResult } from './config.js';

async function base64Of(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Upload a certificate for SSL termination: the appliance checks it and stores it as a
 * file on the node, then the configuration's certificate of that label names the file
 * (added, or changed if the label exists) as a new version.
 */
export function terminationUpload(config: ApplianceConfig, version: number, done: () => void): HTMLElement {
  const label = h('input', { id: 'tc-label', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const cert = h('input', { id: 'tc-cert', type: 'file', accept: '.pem,.crt,.cer,.p12,.pfx' });
  const key = h('input', { id: 'tc-key', type: 'file', accept: '.pem,.key' });
  const password = h('input', { id: 'tc-password', type: 'password', autocomplete: 'off' });
  const result = h('div', { role: 'status', class: 'form-errors' });
  const upload = async () => {
    result.textContent = '';
    const certFile = cert.files?.[0];
    if (!label.value.trim() || !certFile) {
      result.textContent = 'Give a label and a certificate file.';
      return;
    }
    const pkcs12 = /\.(p12|pfx)$/i.test(certFile.name);
    const keyFile = key.files?.[0];
    const body = pkcs12
      ? { format: 'pkcs12', label: label.value.trim(), data: await base64Of(certFile), password: password.value }
      : {
          format: 'pem',
          label: label.value.trim(),
          certificate: await certFile.text(),
          ...(keyFile ? { key: await keyFile.text() } : {}),
          ...(password.value ? { passphrase: password.value } : {}),
        };
    try {
      const stored = await api.post<{ file: string; info: CertificateInfo }>('/certificates/upload', body);
      const name = label.value.trim();
      const exists = config.certificates.some((c) => c.label === name);
      const item = { label: name, file: stored.file };
      const written = exists
        ? await api.put<WriteResult>(`/certificates/${seg(name)}`, item, { version })
        : await api.post<WriteResult>('/certificates', item, { version });
      toast(`Certificate ${name} (${stored.info.subject}) stored; configuration version ${written.version}`);
      done();
    } catch (error) {
      result.textContent = error instanceof ApiError ? error.message : String(error);
    }
  };
  const field = (id: string, text: string, input: HTMLElement) =>
    h('div', { class: 'field' }, h('label', { for: id }, text), input);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'tc-h' },
    h('h2', { id: 'tc-h' }, 'Upload a certificate for SSL termination'),
    h(
      'p',
      { class: 'muted' },
      'PEM (the chain, with its key in the same file or the next one) or PKCS#12 (.p12/.pfx) with its password. It is stored on this node and the certificate of that label names it.',
    ),
    field('tc-label', 'Certificate label', label),
    field('tc-cert', 'Certificate file (PEM or PKCS#12)', cert),
    field('tc-key', 'Private key file (PEM, if separate)', key),
    field('tc-password', 'Key passphrase or PKCS#12 password', password),
    result,
    h('button', { type: 'button', class: 'primary', onclick: upload }, 'Upload certificate'),
  );
}
