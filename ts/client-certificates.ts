// Client certificates (mutual TLS), a curl-net addition: a session lists identities per host
// pattern (ses.setClientCertificates), and a request asks its 'select-client-certificate'
// listeners when a server wants one and none was given (ts/stages/client-certificate.ts).
// Identities reach libcurl as blobs (CURLOPT_SSLCERT_BLOB / SSLKEY_BLOB): never as files.
import type { HopExtras } from './native';

/** A client identity: PKCS#12 (`pfx`) or PEM certificate + key, each with an optional passphrase. */
export interface ClientCertificate {
  /** PKCS#12 data (a .p12/.pfx file's bytes). */
  pfx?: Uint8Array;
  /** PEM certificate (chain). */
  cert?: string | Uint8Array;
  /** PEM private key. */
  key?: string | Uint8Array;
  /** Passphrase of the PKCS#12 data or of the key. */
  passphrase?: string;
}

export interface ClientCertificateRule extends ClientCertificate {
  /** 'host', 'host:port', '*.example.com' (subdomains), or '*' (every host). */
  host: string;
}

/** The identity as hop extras (validated). */
export type ClientIdentity = Pick<HopExtras, 'clientCert' | 'clientCertType' | 'clientKey' | 'clientKeyPassword'>;

function bytes(value: string | Uint8Array, what: string): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`The "${what}" of a client certificate must be a string or a Buffer`);
}

/** Checks one identity and turns it into hop extras; throws TypeError on a bad shape. */
export function clientIdentity(certificate: unknown): ClientIdentity {
  if (typeof certificate !== 'object' || certificate === null) throw new TypeError('A client certificate must be an object');
  const c = certificate as ClientCertificate;
  if (c.passphrase !== undefined && typeof c.passphrase !== 'string') throw new TypeError('The "passphrase" of a client certificate must be a string');
  const password = c.passphrase === undefined ? {} : { clientKeyPassword: c.passphrase };
  if (c.pfx !== undefined) {
    if (c.cert !== undefined || c.key !== undefined) throw new TypeError('A client certificate is either "pfx" or "cert" and "key"');
    if (!(c.pfx instanceof Uint8Array)) throw new TypeError('The "pfx" of a client certificate must be a Buffer');
    return { clientCert: c.pfx, clientCertType: 'P12', ...password };
  }
  if (c.cert === undefined || c.key === undefined) throw new TypeError('A client certificate needs "pfx", or "cert" and "key"');
  return { clientCert: bytes(c.cert, 'cert'), clientCertType: 'PEM', clientKey: bytes(c.key, 'key'), ...password };
}

interface Rule {
  /** Lower-case host, or a '.suffix' for '*.suffix', or '' for '*'. */
  host: string;
  wildcard: boolean;
  port: string | null;
  identity: ClientIdentity;
}

function parseRule(rule: unknown): Rule {
  if (typeof rule !== 'object' || rule === null || typeof (rule as ClientCertificateRule).host !== 'string') {
    throw new TypeError('Each client certificate needs a "host" pattern (a string)');
  }
  const pattern = (rule as ClientCertificateRule).host.trim().toLowerCase();
  const identity = clientIdentity(rule);
  if (pattern === '*') return { host: '', wildcard: true, port: null, identity };
  const match = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(pattern);
  if (match === null) throw new TypeError(`Invalid client certificate host pattern: ${JSON.stringify(pattern)}`);
  const wildcard = match[1] !== undefined;
  return { host: wildcard ? `.${match[2]}` : match[2], wildcard, port: match[3] ?? null, identity };
}

export class ClientCertificates {
  private _rules: Rule[] = [];

  /** Replaces every rule (an empty list removes them all); all or nothing on bad input. */
  set(rules: unknown): void {
    if (!Array.isArray(rules)) throw new TypeError('setClientCertificates expects an array');
    this._rules = rules.map(parseRule);
  }

  /** The first rule's identity for this URL's host and port, if any. */
  forUrl(url: URL): ClientIdentity | null {
    if (this._rules.length === 0) return null;
    const host = url.hostname.toLowerCase();
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    for (const rule of this._rules) {
      if (rule.port !== null && rule.port !== port) continue;
      const matches = rule.wildcard ? rule.host === '' || host.endsWith(rule.host) : host === rule.host;
      if (matches) return rule.identity;
    }
    return null;
  }
}
