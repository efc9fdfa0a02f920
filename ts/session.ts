// Session: the state requests share — a libcurl connection pool (one multi handle on the
// curl thread), user agent, and (as later capabilities land) proxy configuration, the HTTP
// auth cache and cookies. Same partition string, same Session object.
import { AuthCache } from './auth-cache';
import { NetLog, netLogOf } from './observability/net-log';
import { setSessionAmbientAllowlist } from './ambient-auth-policy';
import { authAllowlist } from './switches/network-switches';
import { native } from './native';
import { formatProxyList, ProxyConfig } from './proxy';
import { ProxyHop, SessionProxy } from './session-proxy';
import { DEFAULT_STAGES, StageFactory } from './stages';
import { defaultUserAgent, expandAcceptLanguages } from './user-agent';
import { headerValueForWire } from './wire-validation';
import { checkTimeout } from './request-options';

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

  /** Servers whose Negotiate challenges the process's own Kerberos identity may answer
   * (Electron's pattern list, e.g. '*.corp.example,intranet'); proxies always may. Replaces
   * --auth-server-allowlist for this session. */
  allowNTLMCredentialsForDomains(domains: string): void {
    if (typeof domains !== 'string') throw new TypeError(`Error processing argument at index 0, conversion failure from ${typeof domains}`);
    setSessionAmbientAllowlist(this, authAllowlist(domains));
  }

  /** Electron's NetLog for this session: startLogging(path, { captureMode, maxFileSize }),
   * stopLogging(), currentlyLogging. Records this session's requests. */
  get netLog(): NetLog {
    return netLogOf(this);
  }

  /** Empties the HTTP auth cache (server and proxy credentials). */
  clearAuthCache(): Promise<void> {
    this._authCache.clear();
    return Promise.resolve();
  }

  /** Closes idle pooled connections. Requests in flight keep theirs. */
  closeAllConnections(): Promise<void> {
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
