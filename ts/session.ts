// Session: the state requests share — a libcurl connection pool (one multi handle on the
// curl thread), user agent, and (as later capabilities land) proxy configuration, the HTTP
// auth cache and cookies. Same partition string, same Session object.
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { AuthCache } from './auth-cache';
import type { Cookies } from './cookies/cookies';
import { ClearDataOptions, clearDataFilter, clearStorageData, ClearStorageDataOptions, SessionStorage } from './cookies/session-storage';
import { partitionStoragePath } from './cookies/storage-path';
import { NetLog, netLogOf } from './observability/net-log';
import { setSessionAmbientAllowlist } from './ambient-auth-policy';
import { authAllowlist } from './switches/network-switches';
import { CertificateVerifier, type CertificateVerifyProc } from './certificate-verifier';
import { ClientCertificates, type ClientCertificateRule } from './client-certificates';
import { HostQueue } from './host-queue';
import { native } from './native';
import { formatProxyList, ProxyConfig } from './proxy';
import { ProxyHop, SessionProxy } from './session-proxy';
import { DEFAULT_STAGES, StageFactory } from './stages';
import { InFlightRequests } from './in-flight-requests';
import { defaultUserAgent, expandAcceptLanguages } from './user-agent';
import { headerValueForWire } from './wire-validation';
import { checkTimeout } from './request-options';
import { WebRequest } from './web-request/web-request';
import { Protocol } from './protocol/protocol';
import { netError } from './errors';
import { NetworkConditions, networkConditions, NetworkEmulationOptions, NO_EMULATION } from './session-controls/network-emulation';
import { parsePreconnectOptions, preconnect, type PreconnectOptions } from './session-controls/preconnect';
import {
  isolationKeyProblem,
  type SharedDictionaryInfo,
  type SharedDictionaryIsolationKey,
  type SharedDictionaryUsageInfo,
} from './session-controls/shared-dictionaries';
import { fetchWithSession, type FetchInit } from './fetch';
import { resolveHost, ResolveHostOptions, ResolvedHost } from './net';
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

export class Session extends EventEmitter {
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
  private _webRequest: WebRequest | undefined;
  private _protocol: Protocol | undefined;
  /** @internal Requests started and not over (ts/stages/session-conditions.ts). */
  readonly _inFlight = new InFlightRequests();
  /** @internal What enableNetworkEmulation() set. */
  _networkConditions: NetworkConditions = NO_EMULATION;

  /** @internal Cookies, and the storage path of a persistent session (ts/cookies/). */
  readonly _storage: SessionStorage;

  /** @internal */
  constructor(token: symbol, partition: string, _options: FromPartitionOptions, storagePath: string | null = null) {
    super();
    if (token !== kCreate) throw new Error("Session objects cannot be created with 'new'");
    this._id = nextSessionId++;
    this._partition = partition;
    this._storage = new SessionStorage(storagePath);
  }

  get cookies(): Cookies {
    return this._storage.cookies;
  }

  /** The directory of a persistent session's data; null in memory. */
  get storagePath(): string | null {
    return this._storage.storagePath;
  }

  getStoragePath(): string | null {
    return this._storage.storagePath;
  }

  /** Clears cookies (the only storage curl-net has; other names are ignored). */
  clearStorageData(options?: ClearStorageDataOptions): Promise<void> {
    clearStorageData(this._storage, options);
    return Promise.resolve();
  }

  /** Clears cookies and the HTTP auth cache (Chromium's "cookies" data type takes the HTTP
   * auth cache with it), for all or some origins. */
  clearData(options?: ClearDataOptions): Promise<void> {
    let filter: ReturnType<typeof clearDataFilter>;
    try {
      filter = clearDataFilter(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (filter.clearCookies) {
      this._storage.clearCookies(filter.which);
      if (options?.origins === undefined && options?.excludeOrigins === undefined) this._authCache.clear();
    }
    return Promise.resolve();
  }

  /** @internal When clearHostResolverCache() last ran (ms since the epoch; 0 = never). */
  _resolverClearedAt = 0;

  /** Later hops use no DNS answer cached before this call (ts/stages/host-resolver.ts). */
  clearHostResolverCache(): Promise<void> {
    this._resolverClearedAt = Date.now();
    return Promise.resolve();
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }

  isPersistent(): boolean {
    return this._partition === '' || this._partition.startsWith('persist:') || this._storage.storagePath !== null;
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

  /** @internal The per-host limit, without a copy of the limits (read per request). */
  get _perHostLimit(): number {
    return this._limits.maxConnectionsPerHost;
  }

  /** @internal */
  get _totalLimit(): number {
    return this._limits.maxConnections;
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

  /** The webRequest hooks of this session's requests (ts/web-request/). */
  get webRequest(): WebRequest {
    if (this._webRequest === undefined) this._webRequest = new WebRequest();
    return this._webRequest;
  }

  /** @internal The hooks, without creating them: requests of a session nobody hooks skip them. */
  get _webRequestIfCreated(): WebRequest | undefined {
    return this._webRequest;
  }

  /** The protocol handlers of this session's requests (ts/protocol/). */
  get protocol(): Protocol {
    if (this._protocol === undefined) this._protocol = new Protocol();
    return this._protocol;
  }

  /** @internal */
  get _protocolIfCreated(): Protocol | undefined {
    return this._protocol;
  }

  /** fetch() with this session's proxy, auth cache, user agent and webRequest hooks. */
  fetch(input: string | URL | Request, init?: FetchInit): Promise<Response> {
    return fetchWithSession(this, input, init);
  }

  /** Resolves a host name as net.resolveHost does (the system resolver). */
  resolveHost(host: string, options?: ResolveHostOptions): Promise<ResolvedHost> {
    return resolveHost(host, options);
  }

  /** Opens `numSockets` (1–6, default 1) connections for `url` ahead of any request; later
   * requests use them. TCP only: the TLS handshake happens on first use. */
  preconnect(options: PreconnectOptions): void {
    preconnect(this, parsePreconnectOptions(options));
  }

  /** There is no HTTP cache (yet): nothing to clear. */
  /** Resolves: no shared compression dictionaries are ever stored (ts/session-controls/shared-dictionaries.ts). */
  clearSharedDictionaryCache(): Promise<void> {
    return Promise.resolve();
  }

  clearSharedDictionaryCacheForIsolationKey(options: SharedDictionaryIsolationKey): Promise<void> {
    const problem = isolationKeyProblem(options, 'Must provide frameOrigin and topFrameSite strings to `clearSharedDictionaryCacheForIsolationKey`');
    return problem === null ? Promise.resolve() : Promise.reject(problem);
  }

  /** Always empty: no shared compression dictionaries are stored. */
  getSharedDictionaryInfo(options: SharedDictionaryIsolationKey): Promise<SharedDictionaryInfo[]> {
    const problem = isolationKeyProblem(options, 'Must provide frameOrigin and topFrameSite strings');
    return problem === null ? Promise.resolve([]) : Promise.reject(problem);
  }

  /** Always empty: no shared compression dictionaries are stored. */
  getSharedDictionaryUsageInfo(): Promise<SharedDictionaryUsageInfo[]> {
    return Promise.resolve([]);
  }

  /** Electron writes unwritten DOMStorage to disk; a session here holds no DOMStorage, so there
   * is nothing to write (cookies have their own `ses.cookies.flushStore()`). */
  flushStorageData(): void {}

  clearCache(): Promise<void> {
    return Promise.resolve();
  }

  /** There is no HTTP cache (yet): it holds 0 bytes. */
  getCacheSize(): Promise<number> {
    return Promise.resolve(0);
  }

  /** Emulates network conditions for this session's requests (Electron's options). Throughput
   * caps apply to each request's transfer, not to the session's requests together. */
  enableNetworkEmulation(options: NetworkEmulationOptions): void {
    this._networkConditions = networkConditions(options);
  }

  disableNetworkEmulation(): void {
    this._networkConditions = NO_EMULATION;
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

  /** Fails every request in flight with net::ERR_ABORTED (as Electron documents: "it will
   * terminate / fail all requests currently in flight"), closes the pooled connections and forgets
   * certificate verdicts. */
  closeAllConnections(): Promise<void> {
    this._certificateVerifier?.clear();
    for (const request of this._inFlight.controls()) {
      // Registered means not over yet, whether it waits for a head or is reading a body; its
      // stage leaves the registry when it fails.
      request.fail(netError('ERR_ABORTED'));
    }
    native().closeConnections(this._id);
    return new Promise((resolve) => setImmediate(resolve));
  }
}

// Brand checked by instanceof, so a Session from another copy of the package is recognised.
Object.defineProperty(Session.prototype, kBrand, { value: true });

const partitions = new Map<string, Session>();
/** Persistent sessions by storage path: persist:NAME and fromPath() of its directory are one. */
const byStoragePath = new Map<string, Session>();

function persistentSession(partition: string, storagePath: string, options: FromPartitionOptions): Session {
  let existing = byStoragePath.get(storagePath);
  if (existing === undefined) {
    existing = new Session(kCreate, partition, options, storagePath);
    byStoragePath.set(storagePath, existing);
  }
  return existing;
}

export function fromPartition(partition: string, options: FromPartitionOptions = {}): Session {
  if (typeof partition !== 'string') throw new TypeError('`partition` should be a string');
  let existing = partitions.get(partition);
  if (existing === undefined) {
    existing = partition.startsWith('persist:')
      ? persistentSession(partition, partitionStoragePath(partition.slice('persist:'.length)), options)
      : new Session(kCreate, partition, options);
    partitions.set(partition, existing);
  }
  return existing;
}

/** A persistent session stored at `directory` (absolute); the same path gives the same session. */
export function fromPath(directory: string, options: FromPartitionOptions = {}): Session {
  if (typeof directory !== 'string' || directory === '') throw new Error('An empty path was specified');
  if (!path.isAbsolute(directory)) throw new Error('An absolute path was not provided');
  const storagePath = path.resolve(directory);
  return persistentSession('', storagePath, options);
}

export function getDefaultSession(): Session {
  return fromPartition('');
}

export function isSession(value: unknown): value is Session {
  return value instanceof Session;
}
