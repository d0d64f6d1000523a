export {
  type CertificateInfo,
  type CertificateUpload,
  openWebCertificates,
  type PendingRequest,
  selfSignedCertificate,
  type WebCertificates,
  type WebCertificatesOptions,
} from './certificates.js';
export { createWebServers, nodeNames, type WebServers, type WebServersOptions } from './servers.js';
