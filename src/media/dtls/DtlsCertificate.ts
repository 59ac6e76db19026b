import { createHash, X509Certificate } from 'node:crypto';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from 'werift';

/**
 * The self-signed ECDSA P-256 certificate a media worker presents in every DTLS handshake. One per
 * worker process (generating one costs milliseconds; browsers only pin its fingerprint from the SDP).
 */
export class DtlsCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** `AB:CD:…`, what goes in `a=fingerprint:sha-256`. */
  readonly sha256Fingerprint: string;
  readonly signatureHash: { signature: number; hash: number };

  private constructor(certPem: string, keyPem: string, signatureHash: { signature: number; hash: number }) {
    this.certPem = certPem;
    this.keyPem = keyPem;
    this.signatureHash = signatureHash;
    this.sha256Fingerprint = fingerprintOf(new X509Certificate(certPem).raw, 'sha-256');
  }

  static async generate(): Promise<DtlsCertificate> {
    const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
      { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
      NamedCurveAlgorithm.secp256r1_23,
    );
    return new DtlsCertificate(certPem, keyPem, signatureHash);
  }
}

/** RFC 8122 fingerprint of a DER certificate: upper-case hex pairs joined by colons. */
export function fingerprintOf(der: Buffer, algorithm: string): string {
  const hash = createHash(algorithm.toLowerCase().replace('-', ''));
  return hash
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(.{2})(?!$)/g, '$1:');
}
