export type { CertificateInfo, PendingRequest } from '../model/certificate.js';
export {
  type CertificateUpload,
  openWebCertificates,
  selfSignedCertificate,
  type WebCertificates,
  type WebCertificatesOptions,
} from './certificates.js';
export { createWebServers, nodeNames, type WebServers, type WebServersOptions } from './servers.js';
