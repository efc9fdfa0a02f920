// Electron's Certificate and CertificatePrincipal structures, made from the PEM chain the
// certificate gate reports (leaf first). node:crypto parses; nothing here trusts anything.
import { createHash, X509Certificate } from 'node:crypto';

export interface CertificatePrincipal {
  commonName: string;
  organizations: string[];
  organizationUnits: string[];
  locality: string;
  state: string;
  country: string;
}

export interface Certificate {
  /** PEM encoded data. */
  data: string;
  issuer: CertificatePrincipal;
  /** Issuer's common name. */
  issuerName: string;
  /** The issuer's certificate (the next one in the chain), if the server sent it. */
  issuerCert?: Certificate;
  subject: CertificatePrincipal;
  /** Subject's common name. */
  subjectName: string;
  /** Hex value. */
  serialNumber: string;
  /** Seconds since the epoch. */
  validStart: number;
  validExpiry: number;
  /** 'sha256/' + base64 of the SHA-256 of the DER bytes, as Chromium prints it. */
  fingerprint: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g;

/** The PEM blocks of a chain, in order. */
export function splitPemChain(chain: string): string[] {
  return chain.match(PEM_BLOCK)?.map((block) => (block.endsWith('\n') ? block : `${block}\n`)) ?? [];
}

/** The chain as Electron's Certificate (leaf first, each issuerCert the next), or null when
 * there is nothing parseable in it. */
export function certificateFromChain(chain: string): Certificate | null {
  const blocks = splitPemChain(chain);
  let issuerCert: Certificate | undefined;
  for (let i = blocks.length - 1; i >= 0; i--) {
    let parsed: X509Certificate;
    try {
      parsed = new X509Certificate(blocks[i]);
    } catch {
      return null;
    }
    issuerCert = toCertificate(blocks[i], parsed, issuerCert);
  }
  return issuerCert ?? null;
}

function toCertificate(pem: string, x509: X509Certificate, issuerCert: Certificate | undefined): Certificate {
  const subject = principal(x509.subject);
  const issuer = principal(x509.issuer);
  const certificate: Certificate = {
    data: pem,
    issuer,
    issuerName: issuer.commonName,
    subject,
    subjectName: subject.commonName,
    serialNumber: x509.serialNumber,
    validStart: Math.floor(Date.parse(x509.validFrom) / 1000),
    validExpiry: Math.floor(Date.parse(x509.validTo) / 1000),
    fingerprint: `sha256/${createHash('sha256').update(x509.raw).digest('base64')}`,
  };
  if (issuerCert !== undefined) certificate.issuerCert = issuerCert;
  return certificate;
}

/** Node prints a name as "KEY=value" lines (a repeated attribute once per value). */
function principal(name: string): CertificatePrincipal {
  const out: CertificatePrincipal = {
    commonName: '',
    organizations: [],
    organizationUnits: [],
    locality: '',
    state: '',
    country: '',
  };
  for (const line of name.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    switch (key) {
      case 'CN':
        if (out.commonName === '') out.commonName = value;
        break;
      case 'O':
        out.organizations.push(value);
        break;
      case 'OU':
        out.organizationUnits.push(value);
        break;
      case 'L':
        out.locality = value;
        break;
      case 'ST':
        out.state = value;
        break;
      case 'C':
        out.country = value;
        break;
    }
  }
  return out;
}
