// ClientRequest: Electron's Writable request object. Every semantic decision is made here,
// per hop (one libcurl transfer): which headers go out, whether a redirect is followed,
// whether a challenge becomes a 'login' event, which proxy is used. The curl thread only
// carries out one hop at a time and reports what happened.
import { Writable } from 'node:stream';
import { caBundlePath } from './ca-bundle';
import { NetError, netError, netErrorFromOutcome } from './errors';
import {
  computeReferrer,
  fetchMetadataError,
  fetchSite,
  FetchSite,
  isPotentiallyTrustworthy,
  lessTrusted,
  priorityHeader,
  requestedFetchMetadata,
  streamWeight,
} from './fetch-metadata';
import {
  isRestrictedHeader,
  isToken,
  rawHeaderValue,
  redirectHeaders,
  StoredHeader,
  validateHeader,
  wireValue,
  HeaderValue,
} from './headers';
import { IncomingMessage, ResponseFlowControl } from './incoming-message';
import { AuthChallengeContext, AuthInfo, hopCredentials, LoginCallback, LoginController } from './login';
import { HopExtras, HopFlag, HopHead, HopListener, HopOutcome, native, registerHop, unregisterHop } from './native';
import {
  headersToStrip,
  isRedirectStatus,
  MAX_REDIRECTS,
  redirectMethod,
  redirectSafety,
  redirectTarget,
} from './redirect';
import { ClientRequestConstructorOptions, ParsedRequestOptions, parseRequestOptions } from './request-options';
import { fromPartition, getDefaultSession, isSession, Session } from './session';
import { canFallBackAfter, ProxyHop } from './session-proxy';

export interface UploadProgressInfo {
  active: boolean;
  started: boolean;
  current: number;
  total: number;
}

/** A chunked upload's write() callback is held while more than this many bytes wait for the
 * curl thread: real backpressure, without a thread round trip per chunk. */
const UPLOAD_WINDOW = 512 * 1024;
/** A chunked body up to this size is kept so a 307/308 or a login retry can send it again. */
const STREAM_REPLAY_LIMIT = 1024 * 1024;

type RedirectListener = (statusCode: number, method: string, redirectUrl: string, responseHeaders: Record<string, string[]>) => void;
type LoginListener = (authInfo: AuthInfo, callback: LoginCallback) => void;

/** Typed events (the overloads Electron's typings declare). */
export interface ClientRequest {
  on(event: 'response', listener: (response: IncomingMessage) => void): this;
  on(event: 'login', listener: LoginListener): this;
  on(event: 'redirect', listener: RedirectListener): this;
  on(event: 'upload-progress', listener: (position: number, total: number) => void): this;
  on(event: 'abort' | 'finish' | 'close' | 'drain', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'response', listener: (response: IncomingMessage) => void): this;
  once(event: 'login', listener: LoginListener): this;
  once(event: 'redirect', listener: RedirectListener): this;
  once(event: 'upload-progress', listener: (position: number, total: number) => void): this;
  once(event: 'abort' | 'finish' | 'close' | 'drain', listener: () => void): this;
  once(event: 'error', listener: (error: Error) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export class ClientRequest extends Writable implements HopListener, ResponseFlowControl {
  private readonly _options: ParsedRequestOptions;
  private readonly _session: Session;
  private readonly _headers: Map<string, StoredHeader>;
  private _started = false;
  private _firstWrite = false;
  private _aborted = false;
  private _chunkedEncoding: boolean | undefined;

  // Buffered body (default mode): collected until end().
  private _chunks: Buffer[] = [];
  private _bodyLength = 0;
  private _body: Buffer | null = null;

  // Chunked body: streamed to the current hop, with a copy kept for replay while small.
  private _streamed = false;
  private _streamCopy: Buffer[] | null = [];
  private _streamCopyBytes = 0;
  private _uploadEnded = false;
  private _heldWrites: Array<{ end: number; callback: (error?: Error | null) => void }> = [];
  private _uploadWritten = 0;
  private _uploadConsumed = 0;

  // The current hop.
  private _hopId = 0;
  private _hopUrl!: URL;
  private _hopMethod = 'GET';
  private _hopHeaders!: Map<string, StoredHeader>;
  private _hopProxy: ProxyHop | null = null;
  /** The proxy for the next hop is being looked up (PAC, system settings). */
  private _planning = false;
  private _waitingWrites: Array<{ chunk: Buffer; callback: (error?: Error | null) => void }> = [];
  /** Proxies still to try for this hop, in order (Chromium's failover list). */
  private _proxyFallbacks: ProxyHop[] = [];
  private _redirectCount = 0;
  /** Hops repeated on another proxy. */
  private _repeats = 0;
  private _site: FetchSite = 'none';
  private _login: LoginController | null = null;

  private _response: IncomingMessage | null = null;
  private _uploadProgress: UploadProgressInfo | null = null;
  private _followRedirectCallback: (() => void) | null = null;

  constructor(options: ClientRequestConstructorOptions | string, callback?: (response: IncomingMessage) => void) {
    super({ autoDestroy: true });
    this._options = parseRequestOptions(options, isSession);
    this._session =
      this._options.session ?? (this._options.partition ? fromPartition(this._options.partition) : getDefaultSession());
    this._headers = this._options.headers;
    if (callback) this.once('response', callback);
  }

  // ---- Electron's public surface --------------------------------------------------------------

  get chunkedEncoding(): boolean {
    return this._chunkedEncoding ?? false;
  }

  set chunkedEncoding(value: boolean) {
    if (this._started || this._firstWrite) {
      throw new Error('chunkedEncoding can only be set before the request is started');
    }
    if (this._chunkedEncoding !== undefined) {
      throw new Error('chunkedEncoding can only be set once');
    }
    this._chunkedEncoding = Boolean(value);
  }

  setHeader(name: string, value: HeaderValue): void {
    if (this._firstWrite || this._started) {
      throw new Error("Can't set headers after they are sent");
    }
    validateHeader(name, value);
    const key = name.toLowerCase();
    const existing = this._headers.get(key);
    if (existing) {
      existing.name = name;
      existing.value = value;
    } else {
      this._headers.set(key, { name, value });
    }
  }

  getHeader(name: string): HeaderValue | undefined {
    if (name == null) throw new Error('`name` is required for getHeader(name)');
    return this._headers.get(String(name).toLowerCase())?.value;
  }

  removeHeader(name: string): void {
    if (name == null) throw new Error('`name` is required for removeHeader(name)');
    if (this._firstWrite || this._started) {
      throw new Error("Can't remove headers after they are sent");
    }
    this._headers.delete(String(name).toLowerCase());
  }

  followRedirect(): void {
    if (this._followRedirectCallback === null) {
      throw new Error('followRedirect() called, but was not waiting for a redirect');
    }
    this._followRedirectCallback();
  }

  abort(): void {
    if (!this._aborted) process.nextTick(() => this.emit('abort'));
    this._aborted = true;
    this._die();
  }

  getUploadProgress(): UploadProgressInfo {
    return this._uploadProgress ? { ...this._uploadProgress } : { active: false, started: false, current: 0, total: 0 };
  }

  // ---- Writable -----------------------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._firstWrite = true;
    if (!this._chunkedEncoding) {
      this._chunks.push(chunk);
      this._bodyLength += chunk.length;
      callback();
      return;
    }
    if (!this._started) this._start(null, true);
    if (this._planning) {
      // The proxy is still being chosen: hold the callback, so the Writable buffers the rest.
      this._waitingWrites.push({ chunk, callback });
      return;
    }
    this._sendChunk(chunk, callback);
  }

  private _sendChunk(chunk: Buffer, callback: (error?: Error | null) => void): void {
    if (this._aborted || this._hopId === 0) {
      callback();
      return;
    }
    if (this._streamCopy !== null) {
      this._streamCopyBytes += chunk.length;
      if (this._streamCopyBytes > STREAM_REPLAY_LIMIT) this._streamCopy = null;
      else this._streamCopy.push(chunk);
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    native().write(this._hopId, chunk);
    this._uploadWritten += chunk.length;
    // With the new chunk, this much waits for libcurl to take it.
    if (this._uploadWritten - this._uploadConsumed <= UPLOAD_WINDOW) callback();
    else this._heldWrites.push({ end: this._uploadWritten, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this._chunkedEncoding) {
      if (!this._started) this._start(null, true);
      this._uploadEnded = true;
      if (this._hopId !== 0) native().endUpload(this._hopId);
    } else {
      const body = this._firstWrite ? Buffer.concat(this._chunks, this._bodyLength) : null;
      this._chunks = [];
      this._start(body, false);
    }
    callback();
  }

  // ---- starting hops ------------------------------------------------------------------------

  private _start(body: Buffer | null, streamed: boolean): void {
    this._started = true;
    this._body = body;
    this._streamed = streamed;
    this._hopUrl = this._options.url;
    this._hopMethod = this._options.method;
    this._hopHeaders = this._headers;
    const problem = this._problemAtStart();
    if (problem !== null) {
      // Chromium refuses such a request asynchronously; so do we.
      setImmediate(() => this._die(problem));
      return;
    }
    const origin = this._initiator();
    this._site = fetchSite(origin, this._hopUrl);
    this._beginHop();
  }

  /** What Chromium would refuse when the request starts. */
  private _problemAtStart(): Error | null {
    if (!isToken(this._hopMethod) || this._hopMethod === 'CONNECT') return netError('ERR_INVALID_ARGUMENT');
    // There is no HTTP cache (yet): only-if-cached always misses.
    if (this._options.cache === 'only-if-cached') return netError('ERR_CACHE_MISS');
    const meta = requestedFetchMetadata(this._headers);
    if (['TRACE', 'TRACK'].includes(this._hopMethod) && meta.mode !== 'no-cors') {
      return netError('ERR_INVALID_ARGUMENT');
    }
    for (const [key, header] of this._headers) {
      if (isRestrictedHeader(key, wireValue(header.value))) return netError('ERR_INVALID_ARGUMENT');
    }
    const metaError = fetchMetadataError(meta);
    if (metaError) return metaError;
    const referer = this._headers.get('referer');
    if (referer !== undefined) {
      let referrer: URL;
      try {
        referrer = new URL(wireValue(referer.value));
      } catch {
        return netError('ERR_BLOCKED_BY_CLIENT');
      }
      const computed = computeReferrer(referrer, this._hopUrl, this._options.referrerPolicy);
      if (computed === null || computed !== referrer.href) return netError('ERR_BLOCKED_BY_CLIENT');
    }
    return null;
  }

  private _initiator(): URL | null {
    const origin = this._options.origin ?? this._headers.get('origin')?.value;
    if (origin === undefined) return null;
    try {
      return new URL(String(origin));
    } catch {
      return null;
    }
  }

  private _beginHop(): void {
    const plan = this._session._proxyPlan(this._hopUrl);
    if (plan instanceof Promise) {
      this._planning = true;
      plan.then(
        (proxies) => {
          this._planning = false;
          if (!this._aborted && !this._errored) this._launchPlan(proxies);
          for (const waiting of this._waitingWrites.splice(0)) this._sendChunk(waiting.chunk, waiting.callback);
        },
        (error: Error) => this._die(error instanceof NetError ? error : netError('ERR_MANDATORY_PROXY_CONFIGURATION_FAILED', { cause: error })),
      );
      return;
    }
    this._launchPlan(plan);
  }

  private _launchPlan(proxies: ProxyHop[]): void {
    this._proxyFallbacks = proxies.length > 1 ? proxies.slice(1) : NO_FALLBACKS;
    this._launchHop(proxies[0]);
  }

  private get _errored(): boolean {
    return this.errored !== null && this.errored !== undefined;
  }

  private _launchHop(proxy: ProxyHop): void {
    const url = this._hopUrl;
    const method = this._hopMethod;
    this._hopProxy = proxy;
    const hasBody = this._body !== null && method !== 'HEAD';
    let flags = 0;
    if (method === 'HEAD') flags |= HopFlag.Head;
    if (this._streamed) flags |= HopFlag.StreamBody;
    else if (!hasBody && (method === 'POST' || method === 'PUT')) flags |= HopFlag.ForceContentLength;
    flags |= proxy.flags;

    const extras: HopExtras = {};
    let useExtras = false;
    // A controller is needed as soon as anything may be offered up front, so that a
    // rejected offer is noticed.
    const cache = this._session._authCache;
    const login = this._login ?? (cache.size > 0 || this._options.url.username !== '' ? this._loginController() : null);
    const credentials = hopCredentials(login, cache, url, proxy, this._options.credentials === 'omit');
    if (credentials.server) {
      extras.username = credentials.server.username;
      extras.password = credentials.server.password;
      extras.httpAuth = credentials.server.mask;
      useExtras = true;
    }
    if (credentials.proxy) {
      extras.proxyUsername = credentials.proxy.username;
      extras.proxyPassword = credentials.proxy.password;
      extras.proxyAuth = credentials.proxy.mask;
      useExtras = true;
    }
    if (proxy.caFile) {
      extras.proxyCaFile = proxy.caFile;
      useExtras = true;
    }
    const weightNeeded = url.protocol === 'https:';
    if (weightNeeded) {
      extras.streamWeight = streamWeight(this._options.priority);
      useExtras = true;
    }

    const id = registerHop(this);
    this._hopId = id;
    native().start(
      id,
      this._session._id,
      urlForWire(url),
      method,
      this._headerLines(url),
      hasBody && !this._streamed ? this._body : null,
      flags,
      proxy.url,
      url.protocol === 'https:' ? secureAcceptEncoding() : ACCEPT_ENCODING_PLAIN,
      caBundlePath(),
      useExtras ? extras : undefined,
    );
    if (this._streamed && this._redirectCount + (this._login?.attempts ?? 0) + this._repeats > 0) {
      // A repeated hop of a chunked body: send what was kept.
      for (const chunk of this._streamCopy ?? []) native().write(id, chunk);
      if (this._uploadEnded) native().endUpload(id);
    }
  }

  private _headerLines(url: URL): string {
    const lines: string[] = [];
    const headers = this._hopHeaders;
    const trustworthy = isPotentiallyTrustworthy(url);
    for (const [key, header] of headers) {
      if (key === 'referer') continue;
      if (trustworthy && key.startsWith('sec-fetch-')) continue;
      lines.push(`${header.name}: ${wireValue(header.value)}`);
    }
    if (!headers.has('user-agent')) lines.push(`User-Agent: ${this._session.getUserAgent()}`);
    if (this._options.origin !== undefined && !headers.has('origin') && this._hopMethod !== 'GET' && this._hopMethod !== 'HEAD') {
      // Fetch adds Origin to requests that may change state when there is an initiator.
      const initiator = this._initiator();
      lines.push(`Origin: ${initiator === null ? 'null' : initiator.origin}`);
    }
    const acceptLanguage = this._session._acceptLanguage;
    if (acceptLanguage !== undefined && !headers.has('accept-language')) lines.push(`Accept-Language: ${acceptLanguage}`);
    const referer = headers.get('referer');
    if (referer !== undefined) {
      const computed = computeReferrer(new URL(wireValue(referer.value)), url, this._options.referrerPolicy);
      if (computed !== null) lines.push(`${referer.name}: ${computed}`);
    }
    if (trustworthy) {
      const meta = requestedFetchMetadata(this._headers);
      lines.push(`Sec-Fetch-Site: ${this._site}`, `Sec-Fetch-Mode: ${meta.mode}`, `Sec-Fetch-Dest: ${meta.dest}`);
      if (meta.user) lines.push('Sec-Fetch-User: ?1');
    }
    if (url.protocol === 'https:' && !headers.has('priority')) {
      // Only HTTP/2 carries it in Chromium; libcurl cannot vary headers by the negotiated
      // version, so every https hop gets it (docs/api.md).
      const value = priorityHeader(this._options.priority, this._options.priorityIncremental);
      if (value !== null) lines.push(`priority: ${value}`);
    }
    return lines.join('\n');
  }

  /** Drops the current hop without reading the rest of it. */
  private _stopHop(): void {
    if (this._hopId === 0) return;
    native().abort(this._hopId);
    unregisterHop(this._hopId);
    this._hopId = 0;
  }

  // ---- events of the current hop ------------------------------------------------------------

  /** @internal */
  onHead(head: HopHead): void {
    const status = head.statusCode;
    if (isRedirectStatus(status)) {
      const location = rawHeaderValue(head.rawHeaders, 'location');
      if (location !== undefined) {
        this._redirect(head, location);
        return;
      }
    }
    if (this._login !== null ? this._login.onHead(head) : (status === 401 || status === 407) && this._loginController().onHead(head)) {
      return;
    }
    this._respond(head);
  }

  /** @internal */
  onData(chunk: Buffer): void {
    if (this._response !== null) this._response._deliver(chunk);
    else this._login?.holdData(chunk);
  }

  /** @internal */
  onUploadProgress(position: number, total: number): void {
    this._uploadProgress = { active: true, started: true, current: position, total };
    this.emit('upload-progress', position, total);
  }

  /** @internal */
  onUploadConsumed(bytes: number): void {
    this._uploadConsumed += bytes;
    while (this._heldWrites.length > 0 && this._heldWrites[0].end - this._uploadConsumed <= UPLOAD_WINDOW) {
      this._heldWrites.shift()!.callback();
    }
  }

  /** @internal */
  onDone(outcome: HopOutcome): void {
    this._hopId = 0;
    // A proxy can refuse a hop before any response (CONNECT 407, SOCKS5 authentication), so a
    // hop through a proxy may need the login controller even without a head.
    const login = this._login ?? (this._hopProxy?.host !== undefined && outcome.curlCode !== 0 ? this._loginController() : null);
    if (login !== null && login.onDone(outcome)) return;
    if (this._fallBackToNextProxy(outcome)) return;
    this._complete(outcome);
  }

  /** A proxy that could not be used is reported bad and the next entry of the list is tried,
   * as long as nothing came back from the origin and the body can be sent again. */
  private _fallBackToNextProxy(outcome: HopOutcome): boolean {
    const proxy = this._hopProxy;
    if (proxy === null || this._response !== null || this._proxyFallbacks.length === 0) return false;
    const error = netErrorFromOutcome(outcome);
    if (error === null || !canFallBackAfter(error.code, proxy)) return false;
    if (this._streamed && (!this._uploadEnded || this._streamCopy === null)) return false;
    this._session._proxy.failed(proxy);
    this._repeats += 1;
    this._launchHop(this._proxyFallbacks.shift()!);
    return true;
  }

  /** @internal ResponseFlowControl */
  acknowledge(bytes: number): void {
    if (this._hopId !== 0) native().ack(this._hopId, bytes);
  }

  /** @internal ResponseFlowControl */
  release(): void {
    this._stopHop();
  }

  /** Turns a hop's head into the response. */
  private _respond(head: HopHead): IncomingMessage {
    const response = new IncomingMessage(head, this);
    this._response = response;
    this.emit('response', response);
    return response;
  }

  private _complete(outcome: HopOutcome): void {
    const error = netErrorFromOutcome(outcome);
    if (error === null && this._response !== null) {
      this._response._finish();
      return;
    }
    const failure = error ?? netError('ERR_EMPTY_RESPONSE');
    if (this._response !== null) this._response.destroy(failure);
    this._die(failure);
  }

  // ---- redirects ----------------------------------------------------------------------------

  private _redirect(head: HopHead, location: string): void {
    const status = head.statusCode;
    this._stopHop();
    const target = redirectTarget(location, this._hopUrl);
    if (target === null) {
      this._die(netError('ERR_INVALID_REDIRECT'));
      return;
    }
    if (this._redirectCount >= MAX_REDIRECTS) {
      this._die(netError('ERR_TOO_MANY_REDIRECTS'));
      return;
    }
    const policy = this._options.redirect;
    if (policy === 'error') {
      this._die(new Error("Attempted to redirect, but redirect policy was 'error'"));
      return;
    }
    const newMethod = redirectMethod(status, this._hopMethod);
    let follow = policy === 'follow';
    this._followRedirectCallback = policy === 'manual' ? () => (follow = true) : () => undefined;
    try {
      this.emit('redirect', status, newMethod, target.href, redirectHeaders(head.rawHeaders));
    } finally {
      this._followRedirectCallback = null;
    }
    if (this._aborted) return;
    if (!follow) {
      this._die(new Error('Redirect was cancelled'));
      return;
    }
    const safety = redirectSafety(target);
    if (safety !== 'ok') {
      this._die(netError(safety === 'unsafe' ? 'ERR_UNSAFE_REDIRECT' : 'ERR_UNKNOWN_URL_SCHEME'));
      return;
    }
    const toGet = newMethod === 'GET' && this._hopMethod !== 'GET';
    const crossOrigin = target.origin !== this._hopUrl.origin;
    if (toGet) {
      this._body = null;
      this._streamed = false;
    } else if (this._streamed && (!this._uploadEnded || this._streamCopy === null)) {
      this._die(netError('ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED'));
      return;
    }
    const strip = headersToStrip(toGet, crossOrigin);
    if (strip.length > 0 || crossOrigin) {
      const headers = new Map(this._hopHeaders);
      for (const name of strip) headers.delete(name);
      const origin = headers.get('origin');
      if (crossOrigin && origin !== undefined) headers.set('origin', { name: origin.name, value: 'null' });
      this._hopHeaders = headers;
    }
    if (!isPotentiallyTrustworthy(target) && isPotentiallyTrustworthy(this._hopUrl)) {
      const headers = new Map(this._hopHeaders);
      for (const key of headers.keys()) if (key.startsWith('sec-fetch-') || key.startsWith('sec-ch-')) headers.delete(key);
      this._hopHeaders = headers;
    }
    this._site = lessTrusted(this._site, fetchSite(this._initiator(), target));
    this._redirectCount += 1;
    this._hopUrl = target;
    this._hopMethod = newMethod;
    this._login?.onRedirect(crossOrigin);
    this._beginHop();
  }

  // ---- login --------------------------------------------------------------------------------

  private _loginController(): LoginController {
    if (this._login === null) this._login = new LoginController(this._loginContext());
    return this._login;
  }

  private _loginContext(): AuthChallengeContext {
    return {
      session: () => this._session,
      url: () => this._hopUrl,
      originalUrl: () => this._options.url,
      proxy: () => this._hopProxy,
      serverAuthAllowed: () => this._options.credentials !== 'omit',
      canReplayBody: () => !this._streamed || (this._uploadEnded && this._streamCopy !== null),
      emitLogin: (authInfo, callback) => {
        if (this.listenerCount('login') === 0) return false;
        this.emit('login', authInfo, callback);
        return true;
      },
      isFinished: () => this._aborted || this._response !== null,
      retry: () => {
        this._stopHop();
        this._beginHop();
      },
      respond: (head) => this._respond(head),
      deliver: (chunk) => this._response?._deliver(chunk),
      complete: (outcome) => this._complete(outcome),
      fail: (error) => {
        this._stopHop();
        this._die(error);
      },
    };
  }

  // ---- teardown -----------------------------------------------------------------------------

  private _die(error?: Error): void {
    // After 'finish' the Writable is already destroyed (autoDestroy), so a late error is
    // emitted by hand, as Electron does.
    if (this.destroyed && error) this.emit('error', error);
    this.destroy(error);
    this._stopHop();
    for (const held of this._heldWrites.splice(0)) held.callback();
    for (const waiting of this._waitingWrites.splice(0)) waiting.callback();
    if (this._response !== null) this._response.destroy(error);
  }
}

const NO_FALLBACKS: ProxyHop[] = [];
const ACCEPT_ENCODING_PLAIN = 'gzip, deflate';
let secureEncodings: string | undefined;
/** Chromium adds br and zstd on secure origins (the addon decodes them whatever libcurl has). */
function secureAcceptEncoding(): string {
  if (secureEncodings === undefined) {
    const features = native().versions().features;
    secureEncodings = ['gzip', 'deflate', ...(features.brotli ? ['br'] : []), ...(features.zstd ? ['zstd'] : [])].join(', ');
  }
  return secureEncodings;
}

/** The URL libcurl is given: no fragment (never sent) and no user info (credentials in the URL
 * are used only when the server asks, as Chromium does). */
function urlForWire(url: URL): string {
  if (url.hash === '' && url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.hash = '';
  copy.username = '';
  copy.password = '';
  return copy.href;
}
