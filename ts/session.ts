// Session: the state requests share — a libcurl connection pool (one multi handle on the
// curl thread), user agent, and (as later capabilities land) proxy configuration, the HTTP
// auth cache and cookies. Same partition string, same Session object.
import { AuthCache } from './auth-cache';
import { CertificateVerifier, type CertificateVerifyProc } from './certificate-verifier';
import { ClientCertificates, type ClientCertificateRule } from './client-certificates';
import { HostQueue } from './host-queue';
import { native } from './native';
import { formatProxyList, ProxyConfig } from './proxy';
import { ProxyHop, SessionProxy } from './session-proxy';
import { DEFAULT_STAGES, StageFactory } from './stages';
import { defaultUserAgent, expandAcceptLanguages } from './user-agent';
import { headerValueForWire } from './wire-validation';
import { checkTimeout } from './request-options';
import { sslExtrasFor, type SSLConfig, type SslExtras } from './ssl-config';

const kCreate = Symbol('curl-net.createSession');
const kBrand = Symbol.for('curl-net.Session');

let nextSessionId = 0;

export interface FromPartitionOptions {
  cache?: boolean;
}

export interface ConnectionLimits {
  /** Connections per host (0 = unlimited, the default). Chromium uses 6. */
  maxConnectionsPerHost?: number;
  /** Connections overall (0 = unlimited, the default). */
  maxConnections?: number;
}

export class Session {
  /** @internal */ readonly _id: number;
  /** @internal */ readonly _partition: string;
  private _userAgent: string | undefined;
  private _acceptLanguages: string | undefined;
  private _limits: Required<ConnectionLimits> = { maxConnectionsPerHost: 0, maxConnections: 0 };
  private _requestTimeout = 0;
  /** @internal Credentials that worked (server and proxy). */
  readonly _authCache = new AuthCache();
  /** @internal */
  readonly _proxy = new SessionProxy();
  /** @internal The verify proc and its verdicts (null: libcurl's verification alone). */
  _certificateVerifier: CertificateVerifier | null = null;
  /** @internal Hops waiting for a connection under the per-host limit, by priority. */
  readonly _hostQueue = new HostQueue();
  /** @internal setClientCertificates. */
  readonly _clientCertificates = new ClientCertificates();
  /** @internal setSSLConfig, as hop extras. */
  _sslExtras: SslExtras = {};
  /** @internal What every hop of this session's requests goes through (ts/stages/). */
  readonly _stages: readonly StageFactory[] = DEFAULT_STAGES;

  /** @internal */
  constructor(token: symbol, partition: string, _options: FromPartitionOptions) {
    if (token !== kCreate) throw new Error("Session objects cannot be created with 'new'");
    this._id = nextSessionId++;
    this._partition = partition;
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }

  isPersistent(): boolean {
    return this._partition === '' || this._partition.startsWith('persist:');
  }

  getUserAgent(): string {
    if (this._userAgent === undefined) this._userAgent = defaultUserAgent(native().versions().libcurl);
    return this._userAgent;
  }

  /** Both strings become request headers: one with CR, LF or NUL in it is refused (with the
   * message setHeader gives for that header) and nothing changes. */
  setUserAgent(userAgent: string, acceptLanguages?: string): void {
    const agent = headerValueForWire('User-Agent', userAgent);
    // The list as given is checked too: expanding it trims, which must not launder a CR or LF.
    const languages =
      typeof acceptLanguages === 'string'
        ? headerValueForWire('Accept-Language', expandAcceptLanguages(headerValueForWire('Accept-Language', acceptLanguages)))
        : undefined;
    this._userAgent = agent;
    if (languages !== undefined) this._acceptLanguages = languages;
  }

  /** @internal Accept-Language to send, if the application set one. */
  get _acceptLanguage(): string | undefined {
    return this._acceptLanguages;
  }

  /** curl-net extension: connection pool limits for this session (Electron has none). */
  setConnectionLimits(limits: ConnectionLimits): void {
    this._limits = {
      maxConnectionsPerHost: Math.max(0, Math.floor(limits.maxConnectionsPerHost ?? this._limits.maxConnectionsPerHost)),
      maxConnections: Math.max(0, Math.floor(limits.maxConnections ?? this._limits.maxConnections)),
    };
    native().configureSession(this._id, this._limits.maxConnectionsPerHost, this._limits.maxConnections);
  }

  getConnectionLimits(): Required<ConnectionLimits> {
    return { ...this._limits };
  }

  /** curl-net extension: the default `timeout` of requests made with this session, in
   * milliseconds (0 = none, the default, as in Electron). A request's own option wins. */
  setRequestTimeout(milliseconds: number): void {
    this._requestTimeout = checkTimeout(milliseconds);
  }

  getRequestTimeout(): number {
    return this._requestTimeout;
  }

  /** @internal The proxies to try, in order, for one hop to `url`. */
  _proxyPlan(url: URL): ProxyHop[] | Promise<ProxyHop[]> {
    return this._proxy.plan(url);
  }

  /** Applies an Electron ProxyConfig. In-flight and pooled connections keep the old one;
   * closeAllConnections() drops the pooled ones. */
  setProxy(config: ProxyConfig): Promise<void> {
    return this._proxy.setConfig(config).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  /** 'DIRECT', 'PROXY host:port', 'HTTPS host:port', 'SOCKS host:port', 'SOCKS5 host:port',
   * several joined with '; ' — what Electron's resolveProxy returns. */
  async resolveProxy(url: string): Promise<string> {
    return formatProxyList(await this._proxy.resolve(url));
  }

  /** Fetches the PAC script again. */
  forceReloadProxyConfig(): Promise<void> {
    return this._proxy.reload();
  }

  /** Empties the HTTP auth cache (server and proxy credentials). */
  clearAuthCache(): Promise<void> {
    this._authCache.clear();
    return Promise.resolve();
  }

  /** Electron's: `proc(request, callback)` decides on every new TLS connection's certificate
   * (ts/stages/certificate-verify.ts); null goes back to libcurl's verification. Verdicts
   * given so far are forgotten either way. */
  setCertificateVerifyProc(proc: CertificateVerifyProc | null): void {
    if (proc !== null && typeof proc !== 'function') throw new TypeError('Must pass null or function');
    this._certificateVerifier?.clear();
    this._certificateVerifier = proc === null ? null : new CertificateVerifier(proc);
  }

  /** Electron's: TLS versions and disabled cipher suites of new connections. */
  setSSLConfig(config: SSLConfig): void {
    this._sslExtras = sslExtrasFor(config);
  }

  /** curl-net addition: client certificates (mutual TLS) by host pattern, first match wins;
   * replaces the previous list. New connections only (libcurl's pool keys connections by
   * their identity). */
  setClientCertificates(rules: ClientCertificateRule[]): void {
    this._clientCertificates.set(rules);
  }

  /** Closes idle pooled connections (and forgets certificate verdicts). Requests in flight
   * keep theirs. */
  closeAllConnections(): Promise<void> {
    this._certificateVerifier?.clear();
    native().closeConnections(this._id);
    return new Promise((resolve) => setImmediate(resolve));
  }
}

// Brand checked by instanceof, so a Session from another copy of the package is recognised.
Object.defineProperty(Session.prototype, kBrand, { value: true });

const partitions = new Map<string, Session>();

export function fromPartition(partition: string, options: FromPartitionOptions = {}): Session {
  if (typeof partition !== 'string') throw new TypeError('`partition` should be a string');
  let existing = partitions.get(partition);
  if (existing === undefined) {
    existing = new Session(kCreate, partition, options);
    partitions.set(partition, existing);
  }
  return existing;
}

export function getDefaultSession(): Session {
  return fromPartition('');
}

export function isSession(value: unknown): value is Session {
  return value instanceof Session;
}
