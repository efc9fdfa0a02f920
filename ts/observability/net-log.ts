// NetLog: a file in Chromium's NetLog JSON shape — `{"constants": {…}, "events": [ {type,
// source, phase, time, params}, … ]}` with event and source types as numbers that `constants`
// names — covering each request of the session: its life (REQUEST_ALIVE), every hop
// (URL_REQUEST_START_JOB), the proxy chosen and where the choice came from, request and response
// heads, auth challenges and retries, redirects, the connection outcome (connected, TLS
// verification verdict), and errors with Chromium's net error numbers.
//
// Capture modes as Chromium's: 'default' strips Authorization, Proxy-Authorization, Cookie and
// Set-Cookie values (replaced by "[N bytes were stripped]") and URL user info;
// 'includeSensitive' and 'everything' keep them (no body bytes are ever logged).
//
// Off the hot path: a request only queues plain objects; they are serialised and written in
// batches after the current turn of the event loop, through a write stream (the I/O on libuv's
// thread pool). With logging off no sink exists and a request pays one null check per hook.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NET_ERROR_CODES } from '../net-error-codes';
import type { HopHead, HopOutcome } from '../native';
import type { HopState, Restart } from '../stages/stage';
import type { HopStart, ObservedRequest, RequestSink } from './request-observer';
import { redactHeaderLine, redactUrl } from './redact';

export type CaptureMode = 'default' | 'includeSensitive' | 'everything';

export interface StartLoggingOptions {
  captureMode?: CaptureMode;
  /** Bytes; once reached, further events are dropped (the file stays valid JSON). */
  maxFileSize?: number;
}

export const EVENT_TYPES = [
  'REQUEST_ALIVE',
  'URL_REQUEST_START_JOB',
  'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST',
  'HOST_MAPPING_APPLIED',
  'HTTP_TRANSACTION_SEND_REQUEST_HEADERS',
  'HTTP_TRANSACTION_READ_RESPONSE_HEADERS',
  'AUTH_CHALLENGE',
  'AUTH_RETRY_WITH_CREDENTIALS',
  'URL_REQUEST_REDIRECTED',
  'PROXY_FAILOVER',
  'CONNECT_RESULT',
  'FAILED',
  'CANCELLED',
] as const;
type EventType = (typeof EVENT_TYPES)[number];
const TYPE_NUMBER = Object.fromEntries(EVENT_TYPES.map((name, i) => [name, i])) as Record<EventType, number>;

const PHASE = { PHASE_NONE: 0, PHASE_BEGIN: 1, PHASE_END: 2 } as const;
const SOURCE_TYPES = { NONE: 0, URL_REQUEST: 1 } as const;

/** The part of `constants` a viewer needs to read the events. */
function constants(mode: CaptureMode): object {
  const netError: Record<string, number> = {};
  for (const [name, code] of Object.entries(NET_ERROR_CODES)) netError[`ERR_${name}`] = code;
  return {
    logEventTypes: TYPE_NUMBER,
    logEventPhase: PHASE,
    logSourceType: SOURCE_TYPES,
    logCaptureMode: mode === 'default' ? 'Default' : mode === 'includeSensitive' ? 'IncludeSensitive' : 'Everything',
    netError,
    // Chromium's event times are milliseconds of a monotonic clock, as strings; this offset
    // turns them into wall-clock milliseconds.
    timeTickOffset: String(Math.round(Date.now() - performance.now())),
    clientInfo: { name: 'curl-net', version: process.versions.node },
  };
}

interface QueuedEvent {
  type: number;
  source: { id: number; type: number; start_time: string };
  phase: number;
  time: string;
  params?: object;
}

/** Queued events are written at least this often, and whenever this many are waiting. */
const FLUSH_MS = 250;
const FLUSH_EVENTS = 4096;

function now(): string {
  return String(Math.round(performance.now()));
}

function netErrorNumber(error: Error): number | undefined {
  const errno = (error as { errno?: unknown }).errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** One NetLog file being written. */
class NetLogFile {
  private readonly stream: fs.WriteStream;
  private queue: QueuedEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private written = 0;
  private first = true;
  dropped = 0;

  constructor(
    readonly path: string,
    readonly mode: CaptureMode,
    private readonly maxFileSize: number,
  ) {
    this.stream = fs.createWriteStream(path, { flags: 'w' });
    this.stream.on('error', () => {}); // reported by opened()/close()
    const head = `{"constants": ${JSON.stringify(constants(mode))},\n"events": [\n`;
    this.written = Buffer.byteLength(head);
    this.stream.write(head);
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stream.pending === false) return resolve();
      this.stream.once('ready', () => resolve());
      this.stream.once('error', reject);
    });
  }

  add(event: QueuedEvent): void {
    this.queue.push(event);
    if (this.queue.length >= FLUSH_EVENTS) this.flush();
    else if (this.timer === null) {
      // Coalesced: one serialisation and one write per FLUSH_MS (or FLUSH_EVENTS events), not
      // per request. Unref'd: a log never keeps the process alive (stopLogging() completes it).
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.maxFileSize === 0) {
      // One stringify for the whole batch: "[e1,e2]" → "e1,\ne2" costs less than one per event.
      const json = JSON.stringify(batch);
      this.stream.write(`${this.first ? '' : ',\n'}${json.slice(1, -1)}`);
      this.first = false;
      return;
    }
    let text = '';
    for (const event of batch) {
      const json = `${this.first ? '' : ',\n'}${JSON.stringify(event)}`;
      const size = Buffer.byteLength(json);
      if (this.written + size > this.maxFileSize) {
        this.dropped++;
        continue;
      }
      this.first = false;
      this.written += size;
      text += json;
    }
    if (text !== '') this.stream.write(text);
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(`\n],\n"polledData": {}}\n`, () => resolve());
    });
  }
}

/** `netLog` / `ses.netLog`: Electron's NetLog object. Logs the requests of its session. */
export class NetLog {
  /** @internal */ _file: NetLogFile | null = null;
  private _stopping: Promise<void> | null = null;

  get currentlyLogging(): boolean {
    return this._file !== null;
  }

  /** Starts writing `path` (truncated). Resolves once the file is open. */
  async startLogging(path: string, options: StartLoggingOptions = {}): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new TypeError('The path must be a non-empty string');
    const mode = options.captureMode ?? 'default';
    if (!['default', 'includeSensitive', 'everything'].includes(mode)) {
      throw new TypeError("captureMode must be one of 'default', 'includeSensitive' or 'everything'");
    }
    const max = options.maxFileSize ?? 0;
    if (typeof max !== 'number' || !(max >= 0)) throw new TypeError('maxFileSize must be a non-negative number');
    if (this._stopping !== null) await this._stopping;
    if (this._file !== null) await this.stopLogging();
    const file = new NetLogFile(path, mode, max);
    this._file = file;
    try {
      await file.opened();
    } catch (error) {
      if (this._file === file) this._file = null;
      throw error;
    }
  }

  /** Flushes and closes the file. Resolves when it is complete on disk. */
  async stopLogging(): Promise<void> {
    const file = this._file;
    if (file === null) return this._stopping ?? undefined;
    this._file = null;
    this._stopping = file.close().finally(() => {
      this._stopping = null;
    });
    return this._stopping;
  }
}

const sessionLogs = new WeakMap<object, NetLog>();

/** The NetLog of a session (made on first use). */
export function netLogOf(session: object): NetLog {
  let log = sessionLogs.get(session);
  if (log === undefined) {
    log = new NetLog();
    sessionLogs.set(session, log);
  }
  return log;
}

class NetLogSink implements RequestSink {
  readonly wantsConnectionDetails = true;
  private readonly sensitive: boolean;
  private source: QueuedEvent['source'] | null = null;
  /** A URL_REQUEST_START_JOB is open (its hop has not ended). */
  private jobOpen = false;

  constructor(private readonly file: NetLogFile) {
    this.sensitive = file.mode !== 'default';
  }

  private emit(request: ObservedRequest, type: EventType, phase: number, params?: object): void {
    this.source ??= { id: request.id, type: SOURCE_TYPES.URL_REQUEST, start_time: now() };
    const event: QueuedEvent = { type: TYPE_NUMBER[type], source: this.source, phase, time: now() };
    if (params !== undefined) event.params = params;
    this.file.add(event);
  }

  private url(url: string): string {
    return this.sensitive ? url : redactUrl(url);
  }

  private line(line: string): string {
    return this.sensitive ? line : redactHeaderLine(line);
  }

  created(request: ObservedRequest): void {
    const s = request.state;
    this.emit(request, 'REQUEST_ALIVE', PHASE.PHASE_BEGIN, { url: this.url(s.url.href), method: s.method });
  }

  hopStarted(request: ObservedRequest, hop: HopStart): void {
    const state: HopState = request.state;
    this.emit(request, 'URL_REQUEST_START_JOB', PHASE.PHASE_BEGIN, { url: this.url(hop.url), method: hop.method, hop: hop.hop });
    this.jobOpen = true;
    const proxy = state.proxy;
    this.emit(request, 'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST', PHASE.PHASE_NONE, {
      proxy_info: proxy.host === undefined ? 'DIRECT' : `${proxy.scheme === 'http' ? 'PROXY' : proxy.scheme!.toUpperCase()} ${proxy.host}:${proxy.port}`,
      proxy_source: state.session._proxy.describeSource(),
    });
    if (hop.connectTo) this.emit(request, 'HOST_MAPPING_APPLIED', PHASE.PHASE_NONE, { connect_to: hop.connectTo });
    const headers: string[] = [];
    for (const h of state.headers.values()) headers.push(this.line(`${h.name}: ${h.wire}`));
    for (const line of hop.extraLines) headers.push(this.line(line));
    if (hop.offersServerCredentials) headers.push(this.sensitive ? 'Authorization: (credentials offered by libcurl)' : 'Authorization: [credentials offered; stripped]');
    if (hop.offersProxyCredentials) headers.push(this.sensitive ? 'Proxy-Authorization: (credentials offered by libcurl)' : 'Proxy-Authorization: [credentials offered; stripped]');
    const target = state.url;
    this.emit(request, 'HTTP_TRANSACTION_SEND_REQUEST_HEADERS', PHASE.PHASE_NONE, {
      line: `${hop.method} ${hop.proxy !== '' && target.protocol === 'http:' ? this.url(hop.url) : `${target.pathname}${target.search}`} HTTP/1.1\r\n`,
      headers,
    });
  }

  hopHead(request: ObservedRequest, head: HopHead): void {
    const headers = [`HTTP/${head.httpVersionMajor}.${head.httpVersionMinor} ${head.statusCode} ${head.statusMessage}`.trimEnd()];
    for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) headers.push(this.line(`${head.rawHeaders[i]}: ${head.rawHeaders[i + 1]}`));
    this.emit(request, 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', PHASE.PHASE_NONE, { headers });
    if (head.statusCode === 401 || head.statusCode === 407) {
      const header = head.statusCode === 401 ? 'www-authenticate' : 'proxy-authenticate';
      const challenges: string[] = [];
      for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
        if (head.rawHeaders[i]!.toLowerCase() === header) challenges.push(head.rawHeaders[i + 1]!);
      }
      this.emit(request, 'AUTH_CHALLENGE', PHASE.PHASE_NONE, { is_proxy: head.statusCode === 407, challenges });
    }
  }

  hopDone(request: ObservedRequest, outcome: HopOutcome): void {
    this.emit(request, 'CONNECT_RESULT', PHASE.PHASE_NONE, {
      connected: (outcome.flags & (1 << 5)) !== 0,
      address: outcome.primaryIp ? (outcome.primaryIp.includes(':') ? `[${outcome.primaryIp}]:${outcome.primaryPort}` : `${outcome.primaryIp}:${outcome.primaryPort}`) : undefined,
      // libcurl made no new connection for this hop: it reused a pooled one.
      reused: outcome.primaryIp ? outcome.numConnects === 0 : undefined,
      used_proxy: (outcome.flags & (1 << 3)) !== 0,
      connect_response_code: outcome.connectCode || undefined,
      tls_version: outcome.tlsInfo?.split(' / ')[0],
      tls_cipher: outcome.tlsInfo?.split(' / ')[1],
      cert_subject: outcome.certSubject,
      // OpenSSL's verify result (0 = the certificate chain and name were verified).
      cert_verify_result: outcome.sslVerifyResult,
      proxy_cert_verify_result: outcome.proxySslVerifyResult || undefined,
      proxy_challenges: outcome.connectChallenges.length ? outcome.connectChallenges : undefined,
      curl_code: outcome.curlCode || undefined,
    });
    this.endJob(request);
  }

  /** A hop dropped without its end (a redirect or retry decided on its head) ends here. */
  private endJob(request: ObservedRequest): void {
    if (!this.jobOpen) return;
    this.jobOpen = false;
    this.emit(request, 'URL_REQUEST_START_JOB', PHASE.PHASE_END);
  }

  restarted(request: ObservedRequest, reason: Restart): void {
    this.endJob(request);
    if (reason.kind === 'redirect') this.emit(request, 'URL_REQUEST_REDIRECTED', PHASE.PHASE_NONE, { location: this.url(reason.to.href) });
    else if (reason.kind === 'login') this.emit(request, 'AUTH_RETRY_WITH_CREDENTIALS', PHASE.PHASE_NONE);
    else this.emit(request, 'PROXY_FAILOVER', PHASE.PHASE_NONE);
  }

  completed(request: ObservedRequest): void {
    this.endJob(request);
    this.emit(request, 'REQUEST_ALIVE', PHASE.PHASE_END);
  }

  failed(request: ObservedRequest, error: Error): void {
    const netError = netErrorNumber(error);
    const aborted = netError === NET_ERROR_CODES.ABORTED;
    this.endJob(request);
    this.emit(request, aborted ? 'CANCELLED' : 'FAILED', PHASE.PHASE_NONE, { net_error: netError ?? NET_ERROR_CODES.FAILED });
    this.emit(request, 'REQUEST_ALIVE', PHASE.PHASE_END, { net_error: netError ?? NET_ERROR_CODES.FAILED });
  }
}

export function netLogSink(state: HopState): RequestSink | null {
  const file = sessionLogs.get(state.session)?._file;
  return file ? new NetLogSink(file) : null;
}
