import type { CertificateInfo, PendingRequest } from '../../model/certificate.js';
import { ApiError, api } from '../api.js';
import { download, formatTime, h, replace, toast } from '../dom.js';
import { createForm } from '../forms.js';

const readText = (input: HTMLInputElement) => input.files?.[0]?.text() ?? Promise.resolve('');
async function readBase64(input: HTMLInputElement): Promise<string> {
  const file = input.files?.[0];
  if (!file) return '';
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fileField(id: string, label: string, accept: string): [HTMLElement, HTMLInputElement] {
  const input = h('input', { id, type: 'file', accept });
  return [h('div', { class: 'field' }, h('label', { for: id }, label), input), input];
}

/** The certificate of this web interface (HTTPS, :9443): upload PEM or PKCS#12, or make a key and CSR here. */
export async function renderCertificate(main: HTMLElement): Promise<void> {
  const { current, request } = await api.get<{ current: CertificateInfo; request: PendingRequest | null }>(
    '/web-certificate',
  );
  const result = h('div', { role: 'status' });

  const report = (error: unknown) => {
    const text = error instanceof ApiError ? `${error.message}` : String(error);
    replace(result, h('p', { class: 'form-errors' }, text));
  };
  const installed = async (info: CertificateInfo) => {
    toast(`Certificate installed: ${info.subject}`);
    await renderCertificate(main);
  };

  const [pemCertField, pemCert] = fileField('pem-cert', 'Certificate (PEM, chain after it)', '.pem,.crt,.cer');
  const [pemKeyField, pemKey] = fileField('pem-key', 'Private key (PEM)', '.pem,.key');
  const passphrase = h('input', { id: 'pem-passphrase', type: 'password', autocomplete: 'off' });
  const uploadPem = async () => {
    try {
      const certificate = await readText(pemCert);
      const key = await readText(pemKey);
      const info = await api.post<CertificateInfo>('/certificates/upload', {
        format: 'pem',
        certificate,
        ...(key ? { key } : {}),
        ...(passphrase.value ? { passphrase: passphrase.value } : {}),
      });
      await installed(info);
    } catch (error) {
      report(error);
    }
  };

  const [p12Field, p12File] = fileField('p12-file', 'PKCS#12 file (.p12, .pfx)', '.p12,.pfx');
  const p12Password = h('input', { id: 'p12-password', type: 'password', autocomplete: 'off' });
  const uploadP12 = async () => {
    try {
      const info = await api.post<CertificateInfo>('/certificates/upload', {
        format: 'pkcs12',
        data: await readBase64(p12File),
        password: p12Password.value,
      });
      await installed(info);
    } catch (error) {
      report(error);
    }
  };

  const csrForm = createForm({
    name: 'Certificate request',
    fields: [
      { name: 'commonName', label: 'Common name (host name)', type: 'text', placeholder: 'lb.example.com' },
      { name: 'altNames', label: 'Other names and addresses', type: 'list', placeholder: 'lb2.example.com, 192.0.2.5' },
      { name: 'organization', label: 'Organisation', type: 'text' },
    ],
    initial: { commonName: current.altNames[0] ?? '' },
    submitLabel: 'Make key and request',
    async onSubmit(f) {
      try {
        await api.post<PendingRequest>('/certificates/csr', f.value());
        toast('Key and request made: have the request signed, then upload the certificate');
        await renderCertificate(main);
      } catch (error) {
        if (error instanceof ApiError) f.setFormErrors(f.showErrors(error.all(), ''));
        else report(error);
      }
    },
  });

  replace(
    main,
    h('h1', {}, 'HTTPS certificate'),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'current-h' },
      h('h2', { id: 'current-h' }, 'Current certificate'),
      h(
        'dl',
        { id: 'current-certificate' },
        [
          ['Subject', current.subject],
          ['Issuer', current.issuer + (current.selfSigned ? ' (self-signed)' : '')],
          ['Names', current.altNames.join(', ')],
          ['Valid', `${formatTime(current.validFrom)} – ${formatTime(current.validTo)}`],
          ['SHA-256 fingerprint', current.fingerprint256],
        ].map(([k, v]) => [h('dt', {}, h('strong', {}, k)), h('dd', {}, v)]),
      ),
    ),
    result,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'pem-h' },
      h('h2', { id: 'pem-h' }, 'Upload PEM'),
      h(
        'p',
        { class: 'muted' },
        'The certificate with its chain, and its key (or, after a request made here, the signed certificate alone).',
      ),
      pemCertField,
      pemKeyField,
      h('div', { class: 'field' }, h('label', { for: 'pem-passphrase' }, 'Key passphrase (if encrypted)'), passphrase),
      h('button', { type: 'button', class: 'primary', onclick: uploadPem }, 'Upload PEM certificate'),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'p12-h' },
      h('h2', { id: 'p12-h' }, 'Upload PKCS#12'),
      p12Field,
      h('div', { class: 'field' }, h('label', { for: 'p12-password' }, 'Password'), p12Password),
      h('button', { type: 'button', class: 'primary', onclick: uploadP12 }, 'Upload PKCS#12 certificate'),
    ),
    h('h2', {}, 'Certificate signing request'),
    request
      ? h(
          'section',
          { class: 'card' },
          h(
            'p',
            {},
            `A request for ${request.altNames.join(', ')} made ${formatTime(request.createdAt)} waits for its signed certificate.`,
          ),
          h('pre', { id: 'csr-pem' }, request.csr),
          h(
            'button',
            { type: 'button', onclick: () => download('sluice.csr', request.csr, 'application/pkcs10') },
            'Download request',
          ),
        )
      : null,
    csrForm.element,
  );
}
