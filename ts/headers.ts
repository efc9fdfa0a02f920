// Request header validation (Electron's messages), the restricted-header rules Chromium
// applies when a request starts, and the shapes Electron gives response headers.
import { headerValueForWire, isToken } from './wire-validation';

export { isToken };

export type HeaderValue = string | number | string[] | { toString(): string };

export interface StoredHeader {
  /** Spelling the caller used; it goes on the wire as is. */
  name: string;
  /** What the caller set (getHeader returns it). */
  value: HeaderValue;
  /** The value converted to a string once, when it was set, and validated: exactly what is
   * sent. A value whose toString() changes later cannot change the wire. */
  wire: string;
}

/** Throws exactly what Electron throws for a bad header (checks 2–5 of setHeader); returns
 * the string that will be sent. */
export function validateHeader(name: unknown, value: unknown): string {
  if (typeof name !== 'string') {
    throw new TypeError('`name` should be a string in setHeader(name, value)');
  }
  if (value == null) {
    throw new Error(`\`value\` required in setHeader("${name}", value)`);
  }
  if (!isToken(name)) {
    throw new Error(`Invalid header name: '${name}'`);
  }
  // Arrays become 'a,b' (toString), as in Electron.
  return headerValueForWire(name, value);
}

const FORBIDDEN_NAMES = new Set([
  'content-length',
  'host',
  'trailer',
  'te',
  'upgrade',
  'cookie2',
  'keep-alive',
  'transfer-encoding',
  'set-cookie',
]);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const METHOD_OVERRIDE_NAMES = new Set(['x-http-method', 'x-http-method-override', 'x-method-override']);

/** Chromium refuses these when the request starts (net::ERR_INVALID_ARGUMENT), rather than
 * when they are set. The list follows current Chromium (header_util.cc), which is stricter
 * than Electron's documentation. */
export function isRestrictedHeader(lowerName: string, value: string): boolean {
  if (FORBIDDEN_NAMES.has(lowerName) || lowerName.startsWith('proxy-')) return true;
  if (lowerName === 'connection') {
    return !/^\s*(close|keep-alive)\s*$/i.test(value);
  }
  if (lowerName === 'accept-encoding') {
    return value.split(',').some((token) => /^(dcb|dcz)$/i.test(token.trim()));
  }
  if (METHOD_OVERRIDE_NAMES.has(lowerName)) {
    return value.split(',').some((token) => FORBIDDEN_METHODS.has(token.trim().toUpperCase()));
  }
  return false;
}

/** Response headers Node keeps only the first of (Electron copies Node's list). */
const FIRST_VALUE_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** IncomingMessage#headers: lowercase keys in alphabetical order (as Chromium's conversion
 * produces), `set-cookie` always an array, first-value-wins names, the rest joined with ', '. */
export function foldResponseHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const folded = new Map<string, string | string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    const existing = folded.get(key);
    if (key === 'set-cookie') {
      if (existing === undefined) folded.set(key, [value]);
      else (existing as string[]).push(value);
    } else if (existing === undefined) {
      folded.set(key, value);
    } else if (!FIRST_VALUE_WINS.has(key)) {
      folded.set(key, `${existing as string}, ${value}`);
    }
  }
  const out: Record<string, string | string[]> = {};
  for (const key of [...folded.keys()].sort()) defineOwn(out, key, folded.get(key)!);
  return out;
}

/** Sets a key chosen by a server as plain own data: assigning `__proto__` would instead
 * replace the object's prototype (with the value, when it is an array). */
function defineOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The headers argument of 'redirect': lowercase keys, alphabetical, every value an array. */
export function redirectHeaders(rawHeaders: readonly string[]): Record<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i].toLowerCase();
    const list = grouped.get(key);
    if (list) list.push(rawHeaders[i + 1]);
    else grouped.set(key, [rawHeaders[i + 1]]);
  }
  const out: Record<string, string[]> = {};
  for (const key of [...grouped.keys()].sort()) defineOwn(out, key, grouped.get(key)!);
  return out;
}

/** First value of a header in a raw list, case-insensitively. */
export function rawHeaderValue(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === lowerName) return rawHeaders[i + 1];
  }
  return undefined;
}

/** Every value of a header in a raw list, case-insensitively. */
export function rawHeaderValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === lowerName) values.push(rawHeaders[i + 1]);
  }
  return values;
}
