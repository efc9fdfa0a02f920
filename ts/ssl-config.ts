// Electron's ses.setSSLConfig({ minVersion, maxVersion, disabledCipherSuites }) as libcurl
// options: CURLOPT_SSLVERSION (minimum | maximum), and the OpenSSL cipher lists without the
// disabled suites. libcurl matches pooled connections by these options, so a new
// configuration applies to new connections only, as in Electron.
import type { HopExtras } from './native';

export type SSLVersion = 'tls1' | 'tls1.1' | 'tls1.2' | 'tls1.3';

export interface SSLConfig {
  minVersion?: SSLVersion;
  maxVersion?: SSLVersion;
  /** IANA cipher suite numbers (e.g. 0xC02B). */
  disabledCipherSuites?: number[];
}

/** What a session's hops get (HopExtras fields). */
export interface SslExtras {
  sslVersion?: number;
  sslCipherList?: string;
  tls13Ciphers?: string;
}

// curl.h: CURL_SSLVERSION_TLSv1_0 … _3, and CURL_SSLVERSION_MAX_* (the same shifted by 16).
const CURL_VERSION: Record<SSLVersion, number> = { tls1: 4, 'tls1.1': 5, 'tls1.2': 6, 'tls1.3': 7 };

// TLS 1.3 suites, in OpenSSL's default order.
const TLS13_SUITES: ReadonlyArray<readonly [number, string]> = [
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
];

// The TLS 1.2-and-older suites OpenSSL's DEFAULT list can negotiate (IANA number → OpenSSL
// name, from `openssl ciphers -V`). A number not listed names a suite OpenSSL would not offer.
const TLS12_SUITES: ReadonlyMap<number, string> = new Map([
  [0xc02b, 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  [0xc02f, 'ECDHE-RSA-AES128-GCM-SHA256'],
  [0xc02c, 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  [0xc030, 'ECDHE-RSA-AES256-GCM-SHA384'],
  [0xcca9, 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  [0xcca8, 'ECDHE-RSA-CHACHA20-POLY1305'],
  [0xccaa, 'DHE-RSA-CHACHA20-POLY1305'],
  [0x009e, 'DHE-RSA-AES128-GCM-SHA256'],
  [0x009f, 'DHE-RSA-AES256-GCM-SHA384'],
  [0xc023, 'ECDHE-ECDSA-AES128-SHA256'],
  [0xc027, 'ECDHE-RSA-AES128-SHA256'],
  [0xc024, 'ECDHE-ECDSA-AES256-SHA384'],
  [0xc028, 'ECDHE-RSA-AES256-SHA384'],
  [0x0067, 'DHE-RSA-AES128-SHA256'],
  [0x006b, 'DHE-RSA-AES256-SHA256'],
  [0xc009, 'ECDHE-ECDSA-AES128-SHA'],
  [0xc013, 'ECDHE-RSA-AES128-SHA'],
  [0xc00a, 'ECDHE-ECDSA-AES256-SHA'],
  [0xc014, 'ECDHE-RSA-AES256-SHA'],
  [0x0033, 'DHE-RSA-AES128-SHA'],
  [0x0039, 'DHE-RSA-AES256-SHA'],
  [0x009c, 'AES128-GCM-SHA256'],
  [0x009d, 'AES256-GCM-SHA384'],
  [0x003c, 'AES128-SHA256'],
  [0x003d, 'AES256-SHA256'],
  [0x002f, 'AES128-SHA'],
  [0x0035, 'AES256-SHA'],
]);

/** Electron converts the argument with gin; a value it cannot convert throws this. */
function conversionFailure(value: unknown): TypeError {
  const shown = typeof value === 'object' && value !== null ? '#<Object>' : String(value);
  return new TypeError(`Error processing argument at index 0, conversion failure from ${shown}`);
}

function version(value: unknown, whole: unknown): SSLVersion {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(CURL_VERSION, value)) return value as SSLVersion;
  throw conversionFailure(whole);
}

/** Validates an SSLConfig (throwing as Electron does) and turns it into hop extras. */
export function sslExtrasFor(config: unknown): SslExtras {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw conversionFailure(config);
  const given = config as Record<string, unknown>;
  const min = given.minVersion === undefined ? undefined : version(given.minVersion, config);
  let max = given.maxVersion === undefined ? undefined : version(given.maxVersion, config);
  const disabled = new Set<number>();
  if (given.disabledCipherSuites !== undefined) {
    const list = given.disabledCipherSuites;
    if (!Array.isArray(list)) throw conversionFailure(config);
    for (const suite of list) {
      if (typeof suite !== 'number' || !Number.isInteger(suite) || suite < 0 || suite > 0xffff) throw conversionFailure(config);
      disabled.add(suite);
    }
  }
  const extras: SslExtras = {};
  const tls12Off = [...disabled].map((suite) => TLS12_SUITES.get(suite)).filter((name): name is string => name !== undefined);
  if (tls12Off.length > 0) extras.sslCipherList = ['DEFAULT', ...tls12Off.map((name) => `!${name}`)].join(':');
  const tls13 = TLS13_SUITES.filter(([suite]) => !disabled.has(suite)).map(([, name]) => name);
  if (tls13.length < TLS13_SUITES.length) {
    if (tls13.length > 0) extras.tls13Ciphers = tls13.join(':');
    // Every TLS 1.3 suite is off: TLS 1.3 cannot be negotiated at all.
    else if (max === undefined || max === 'tls1.3') max = 'tls1.2';
  }
  if (min !== undefined || max !== undefined) {
    extras.sslVersion = (min === undefined ? 0 : CURL_VERSION[min]) | (max === undefined ? 0 : CURL_VERSION[max] << 16);
    // CURLOPT_SSLVERSION needs a minimum with a maximum; 1 is CURL_SSLVERSION_TLSv1 (any 1.x).
    if (min === undefined) extras.sslVersion |= 1;
  }
  return extras;
}

export function applySslExtras(from: SslExtras, to: HopExtras): void {
  if (from.sslVersion !== undefined) to.sslVersion = from.sslVersion;
  if (from.sslCipherList !== undefined) to.sslCipherList = from.sslCipherList;
  if (from.tls13Ciphers !== undefined) to.tls13Ciphers = from.tls13Ciphers;
}
