// Turns net.request()'s argument into a validated description of the request, throwing
// synchronously with Electron's messages, in Electron's order.
import * as url from 'node:url';
import type { Session } from './session';
import { StoredHeader, validateHeader } from './headers';

export type RedirectMode = 'follow' | 'error' | 'manual';
export type CredentialsMode = 'include' | 'omit' | 'same-origin';
export type ReferrerPolicy =
  | ''
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'origin'
  | 'origin-when-cross-origin'
  | 'same-origin'
  | 'strict-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';
export type CacheMode = 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache' | 'only-if-cached';
export type Priority = 'throttled' | 'idle' | 'lowest' | 'low' | 'medium' | 'highest';

export interface ClientRequestConstructorOptions {
  method?: string;
  url?: string;
  headers?: Record<string, string | string[] | number>;
  session?: Session;
  partition?: string;
  credentials?: CredentialsMode;
  useSessionCookies?: boolean;
  protocol?: string;
  host?: string;
  hostname?: string;
  port?: number | string;
  path?: string;
  redirect?: RedirectMode;
  origin?: string;
  referrerPolicy?: ReferrerPolicy;
  cache?: CacheMode;
  priority?: Priority;
  priorityIncremental?: boolean;
  bypassCustomProtocolHandlers?: boolean;
  /** curl-net extension: fail with net::ERR_TIMED_OUT when the whole request (every hop, up to
   * the end of the response body) takes longer than this many milliseconds. 0 = no limit.
   * Default: the session's (setRequestTimeout), which is none, as in Electron. */
  timeout?: number;
}

/** Set by net.fetch, which is allowed to go past the http(s)-only check. */
export const kAllowNonHttpProtocols = Symbol('curl-net.allowNonHttpProtocols');

export interface ParsedRequestOptions {
  method: string;
  url: URL;
  redirect: RedirectMode;
  headers: Map<string, StoredHeader>;
  credentials?: CredentialsMode;
  useSessionCookies: boolean;
  origin?: string;
  referrerPolicy: Exclude<ReferrerPolicy, ''>;
  cache: CacheMode;
  priority: Priority;
  priorityIncremental: boolean;
  /** Milliseconds, 0 = none; undefined = the session's. */
  timeout?: number;
  /** Go to the network even when the session's protocol handlers take the scheme. */
  bypassCustomProtocolHandlers: boolean;
  session?: Session;
  partition?: string;
}

const REDIRECT_MODES = new Set(['follow', 'error', 'manual']);
const CREDENTIALS_MODES = new Set(['include', 'omit', 'same-origin']);
const REFERRER_POLICIES = new Set([
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);
const CACHE_MODES = new Set(['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached']);
const PRIORITIES = new Set(['throttled', 'idle', 'lowest', 'low', 'medium', 'highest']);

/** The URL as Electron assembles it: `url`/`href` as given, else from the parts with Node's
 * legacy url.format (host wins over hostname+port; the path is normalised by WHATWG). */
function assembleUrl(options: Record<string, any>): string {
  const given = options.url || options.href;
  if (given) return String(given);
  const parts: url.UrlObject = { protocol: options.protocol || 'http:' };
  if (options.host) {
    parts.host = options.host;
  } else {
    parts.hostname = options.hostname || 'localhost';
    if (options.port) parts.port = options.port;
  }
  if (options.path && / /.test(options.path)) {
    throw new TypeError('Request path contains unescaped characters');
  }
  const path = new URL(options.path || '/', 'http://localhost');
  parts.pathname = path.pathname;
  parts.search = path.search;
  parts.hash = path.hash;
  return url.format(parts);
}

/** The options as a prototype-less object of the caller's own properties: a property added
 * to Object.prototype (prototype pollution) must not supply a `url`, `host` or `headers`.
 * A string is parsed (and validated) first. Electron turns anything else that is not an
 * object — undefined included — into a request for http://localhost/, and a URL object too
 * (spread, it has no own properties); curl-net throws for the former and requests the URL
 * object's own href (docs/api.md). */
function ownOptions(input: unknown): Record<string | symbol, any> {
  const options: Record<string | symbol, any> = Object.create(null);
  if (typeof input === 'string') {
    options.url = new URL(input).href;
  } else if (input instanceof URL) {
    options.url = input.href;
  } else if (typeof input === 'object' && input !== null) {
    Object.assign(options, input);
  } else {
    throw new TypeError('The options of net.request() must be a URL string, a URL or an object');
  }
  return options;
}

function ownUrlOption(url: URL): Record<string | symbol, any> {
  const options: Record<string | symbol, any> = Object.create(null);
  options.url = url.href;
  return options;
}

/** A timeout in milliseconds: a finite number ≥ 0 (0 = none). */
export function checkTimeout(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError('`timeout` should be a non-negative number of milliseconds');
  }
  return Math.floor(value);
}

export function parseRequestOptions(
  input: ClientRequestConstructorOptions | string,
  isSession: (value: unknown) => boolean,
): ParsedRequestOptions {
  // A URL string is parsed once (ownOptions would parse it, and then the assembled string again).
  const given = typeof input === 'string' ? new URL(input) : null;
  const options = given === null ? ownOptions(input) : ownUrlOption(given);
  const urlString = given === null ? assembleUrl(options) : '';

  const redirect = options.redirect || 'follow';
  if (!REDIRECT_MODES.has(redirect)) {
    throw new Error('redirect mode should be one of follow, error or manual');
  }
  if (options.headers != null && typeof options.headers !== 'object') {
    throw new TypeError('headers must be an object');
  }
  const headers = new Map<string, StoredHeader>();
  for (const [name, value] of Object.entries(options.headers || {})) {
    const wire = validateHeader(name, value);
    headers.set(name.toLowerCase(), { name, value: value as StoredHeader['value'], wire });
  }

  let session: Session | undefined;
  let partition: string | undefined;
  if (options.session) {
    if (!isSession(options.session)) {
      throw new TypeError('`session` should be an instance of the Session class');
    }
    session = options.session as Session;
  } else if (options.partition) {
    if (typeof options.partition !== 'string') {
      throw new TypeError('`partition` should be a string');
    }
    partition = options.partition;
  }

  const parsedUrl = given ?? new URL(urlString);
  const protocol = parsedUrl.protocol.toLowerCase();
  if (protocol !== 'http:' && protocol !== 'https:' && !options[kAllowNonHttpProtocols as any]) {
    throw new Error('ClientRequest only supports http: and https: protocols');
  }
  const credentials = CREDENTIALS_MODES.has(options.credentials) ? (options.credentials as CredentialsMode) : undefined;
  if (credentials === 'same-origin' && !options.origin) {
    throw new Error('credentials: same-origin requires origin to be set');
  }

  const referrerPolicy =
    typeof options.referrerPolicy === 'string' && REFERRER_POLICIES.has(options.referrerPolicy.toLowerCase())
      ? (options.referrerPolicy.toLowerCase() as ParsedRequestOptions['referrerPolicy'])
      : 'strict-origin-when-cross-origin';

  return {
    method: String(options.method || 'GET').toUpperCase(),
    url: parsedUrl,
    redirect,
    headers,
    credentials,
    useSessionCookies: options.useSessionCookies === true,
    origin: typeof options.origin === 'string' ? options.origin : undefined,
    referrerPolicy,
    cache: CACHE_MODES.has(options.cache) ? options.cache : 'default',
    priority: PRIORITIES.has(options.priority) ? options.priority : 'idle',
    priorityIncremental: 'priorityIncremental' in options ? Boolean(options.priorityIncremental) : true,
    timeout: options.timeout === undefined ? undefined : checkTimeout(options.timeout),
    bypassCustomProtocolHandlers: options.bypassCustomProtocolHandlers === true,
    session,
    partition,
  };
}
