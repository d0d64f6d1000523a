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
