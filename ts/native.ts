// The only module that knows the native addon's contract. Everything above it deals in hops
// (one libcurl transfer each) and the events they produce.
import { loadBinding } from './load-binding';
import { HopRegistry } from './hop-registry';
import {
  DataField,
  DataRef,
  DoneField,
  DoneRef,
  EVENT_HEADER_SLOTS,
  EVENT_REFS,
  EVENT_STRIDE,
  EventType,
  HeadField,
  HeadFlag,
  HeadRef,
  NATIVE_CONTRACT,
  UploadConsumedField,
  UploadProgressField,
  type HopExtras,
} from './native-contract';

// Flags, event slots, constants and the per-hop extras come from native/contract.json, through
// the generated ts/native-contract.ts; the addon reports the values it was built with, and
// native() compares the two before the first command (checkNativeContract).
export {
  CurlAuth,
  DoneFlag,
  EVENT_STRIDE,
  EventType,
  HeadFlag,
  HopFlag,
  UPLOAD_WINDOW,
  type HopExtras,
} from './native-contract';

export interface NativeBinding {
  /** Starts the curl thread; it lowers its own priority by threadNiceIncrement (0-19). */
  init(dispatch: (numbers: ArrayBuffer, refs: unknown[], more: boolean) => void, threadNiceIncrement: number): void;
  /** The next slice of pending events, when a delivery said there were more. */
  pull(): [ArrayBuffer, unknown[], boolean] | undefined;
  start(
    id: number,
    sessionId: number,
    url: string,
    method: string,
    headerLines: string,
    body: Uint8Array | null,
    flags: number,
    proxy: string,
    acceptEncoding: string,
    caFile: string,
    extras?: HopExtras,
  ): void;
  write(id: number, bytes: Uint8Array): void;
  endUpload(id: number): void;
  ack(id: number, bytes: number): void;
  abort(id: number): void;
  /** Sets the session's connection limits (0 = none), creating its connection pool. */
  configureSession(sessionId: number, maxPerHost: number, maxTotal: number): void;
  closeConnections(sessionId: number): void;
  /** Opens up to `count` TCP connections to address:port (numeric) ahead of any request, for
   * the session's next hops to that address; unused ones close after idleMs. */
  preconnect(sessionId: number, address: string, port: number, count: number, idleMs: number): void;
  ref(): void;
  unref(): void;
  /** Lets the curl thread run the commands queued so far. */
  wake(): void;
  versions(): NativeVersions;
  /** null, or why Negotiate cannot work: the prebuild's GSS-API library (opened by this call
   * the first time) is missing. Always null with a system libcurl. */
  gssapiUnavailable(): string | null;
  /** The native/contract.json values the addon was built with, by group and name. */
  contract(): NativeContract;
}

export type NativeContract = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface NativeVersions {
  libcurl: string;
  ssl: string;
  libz: string;
  nghttp2: string;
  brotli: string;
  zstd?: string;
  features: Record<string, boolean>;
  /** Bundled (prebuilt) builds only: the exact Debian sources compiled in. */
  bundledSources?: BundledSource[];
}

export interface BundledSource {
  /** Debian source package name (zlib, brotli, libzstd, nghttp2, openssl, curl; krb5: headers only). */
  name: string;
  /** The exact Debian version built, e.g. `8.14.1-2+deb13u5`. */
  debianVersion: string;
  /** False when the archive served only the upstream tarball, built without Debian's patches. */
  debianPatches: boolean;
  /** SHA-256 of the `.dsc` (or of the upstream tarball when `debianPatches` is false). */
  sha256: string;
}

/** What a finished hop reports; the input to the net error mapping. */
export interface HopOutcome {
  curlCode: number;
  osErrno: number;
  connectCode: number;
  proxyError: number;
  sslVerifyResult: number;
  proxySslVerifyResult: number;
  /** The addon's own record of the hop's origin / HTTPS-proxy handshake: the X509_V_ERR_* code
   * of the first verification failure (23, revoked, for a stapled OCSP response that says so);
   * 0 when none, or when the addon cannot watch libcurl's TLS (native/tls_watch.h). */
  originTlsVerdict: number;
  proxyTlsVerdict: number;
  responseCode: number;
  flags: number;
  httpAuthAvail: number;
  proxyAuthAvail: number;
  bodyBytes: number;
  /** libcurl's error buffer text ('' on success). */
  message: string;
  /** Proxy-Authenticate challenges of a refused CONNECT, one per entry. */
  connectChallenges: string[];
  /** Only for hops started with HopFlag.Observed that connected: the address (the proxy's when
   * proxied) and how many new connections the hop made (0: it reused a pooled one). */
  primaryIp?: string;
  primaryPort?: number;
  numConnects?: number;
  /** Observed hops with TLS: libcurl's summary of the last handshake ("TLSv1.3 / cipher / …"),
   * and the server certificate's subject when the hop made a new TLS connection. */
  tlsInfo?: string;
  certSubject?: string;
  /** The server's chain (PEM, leaf first) when the certificate gate held the hop, else ''. */
  peerChain: string;
}

export interface HopHead {
  statusCode: number;
  statusMessage: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  /** [name, value, name, value, …] exactly as received. */
  rawHeaders: string[];
  chunked: boolean;
  /** Only for hops started with HopFlag.PeerAddress: the address the response came from (the
   * proxy's when proxied), as libcurl prints it ("127.0.0.1", "::1"). */
  ip?: string;
}

/** A head from the curl thread. Its header lines stay one string ("name\nvalue\n…") until
 * something asks for rawHeaders: an open response nobody reads the headers of then holds one
 * string instead of an array of them (about half a kilobyte per response; issue #16's 5,000
 * open responses), and a request whose stages never look at them never splits them. */
class ReceivedHead implements HopHead {
  private _rawHeaders: string[] | undefined = undefined;
  constructor(
    public statusCode: number,
    public statusMessage: string,
    public httpVersionMajor: number,
    public httpVersionMinor: number,
    public chunked: boolean,
    private _joined: string | undefined,
    public ip: string | undefined,
  ) {}

  get rawHeaders(): string[] {
    if (this._rawHeaders === undefined) {
      this._rawHeaders = this._joined === undefined ? [] : this._joined.split('\n');
      this._joined = undefined;
    }
    return this._rawHeaders;
  }

  set rawHeaders(value: string[]) {
    this._rawHeaders = value;
    this._joined = undefined;
  }
}

/** Receives the events of one hop. */
export interface HopListener {
  onHead(head: HopHead): void;
  onData(chunk: Buffer): void;
  onUploadProgress(position: number, total: number): void;
  onUploadConsumed(bytes: number): void;
  onDone(outcome: HopOutcome): void;
}

let binding: NativeBinding | undefined;
let wakeScheduled = false;

function wakeCurlThread(): void {
  wakeScheduled = false;
  binding!.wake();
}

/** Commands queue up during one JS turn and the curl thread is woken once, when the turn's
 * synchronous work is done (a microtask): a batch of events that starts fifty requests costs
 * one wake-up, not fifty. */
function scheduleWake(): void {
  if (!wakeScheduled) {
    wakeScheduled = true;
    queueMicrotask(wakeCurlThread);
  }
}

const COMMANDS = ['start', 'write', 'endUpload', 'ack', 'abort', 'configureSession', 'closeConnections', 'preconnect'] as const;
const listeners = new HopRegistry<HopListener>();
let nextHopId = 1;

/** The native binding, loaded and started on first use. */
export function native(): NativeBinding {
  if (binding === undefined) {
    const loaded = loadBinding() as NativeBinding;
    checkNativeContract(typeof loaded.contract === 'function' ? loaded.contract() : undefined, NATIVE_CONTRACT, loaded);
    loaded.init(dispatch, threadNiceIncrement(process.env.CURL_NET_THREAD_NICE));
    // Every command schedules the wake-up of its turn.
    const wrapped: Record<string, unknown> = {};
    for (const name of ['init', 'ref', 'unref', 'wake', 'versions', 'pull', 'contract', 'gssapiUnavailable'] as const) {
      wrapped[name] = (loaded[name] as (...args: unknown[]) => unknown).bind(loaded);
    }
    for (const name of COMMANDS) {
      const command = (loaded[name] as (...args: unknown[]) => void).bind(loaded);
      wrapped[name] = (...args: unknown[]) => {
        command(...args);
        scheduleWake();
      };
    }
    binding = wrapped as unknown as NativeBinding;
  }
  return binding;
}

const DEFAULT_THREAD_NICE_INCREMENT = 10;

/** How much lower than the process's the curl thread's priority is (its nice increment, applied
 * by the curl thread itself; native/engine.cc says why). CURL_NET_THREAD_NICE overrides the
 * default of 10 with a whole number from 0 (the process's priority) to 19; any other value keeps
 * the default and says so, once. */
function threadNiceIncrement(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_THREAD_NICE_INCREMENT;
  if (/^[0-9]+$/.test(value) && Number(value) <= 19) return Number(value);
  process.emitWarning(
    `CURL_NET_THREAD_NICE must be a whole number from 0 to 19 (got ${JSON.stringify(value)}); the curl thread runs at the default, ${DEFAULT_THREAD_NICE_INCREMENT} below the process's priority`,
    { code: 'CURL_NET_THREAD_NICE' },
  );
  return DEFAULT_THREAD_NICE_INCREMENT;
}

/** Where a loaded addon came from, for error messages. */
function addonFile(addon: unknown): string {
  for (const loaded of Object.values(require.cache)) {
    if (loaded !== undefined && loaded.exports === addon) return loaded.filename;
  }
  return 'the loaded addon';
}

/**
 * Throws unless the addon's contract (its `contract()`) is exactly the one this JavaScript was
 * generated with: a mismatch would silently corrupt every event. `addon` only names the file
 * in the message. Exported for tests.
 */
export function checkNativeContract(reported: NativeContract | undefined, expected: NativeContract, addon?: unknown): void {
  const differences: string[] = [];
  if (reported === undefined || reported === null || typeof reported !== 'object') {
    differences.push('the addon has no contract() (it predates native/contract.json)');
  } else {
    const groups = new Set([...Object.keys(expected), ...Object.keys(reported)]);
    for (const group of groups) {
      const ours = expected[group] ?? {};
      const theirs = reported[group] ?? {};
      for (const name of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
        const a = ours[name];
        const b = theirs[name];
        if (a === b) continue;
        if (a === undefined) differences.push(`${group}.${name}: only the addon has it (${b})`);
        else if (b === undefined) differences.push(`${group}.${name}: the addon lacks it (JavaScript: ${a})`);
        else differences.push(`${group}.${name}: JavaScript ${a}, addon ${b}`);
      }
    }
  }
  if (differences.length === 0) return;
  const shown = differences.slice(0, 20);
  if (differences.length > shown.length) shown.push(`… and ${differences.length - shown.length} more`);
  const error = new Error(
    `curl-net: the native addon does not match this JavaScript (native/contract.json):\n` +
      shown.map((line) => `  - ${line}`).join('\n') +
      `\n${addon === undefined ? 'The addon' : addonFile(addon)} was built from another version of curl-net. ` +
      'Rebuild it (npm rebuild curl-net --build-from-source; in a checkout, npm run build:native), ' +
      'or point CURL_NET_BINDING at a build of this version.',
  ) as Error & { code: string };
  error.code = 'ERR_CURL_NET_NATIVE_CONTRACT';
  throw error;
}

/** Registers a listener and returns the id for a new hop. The process stays alive while any
 * hop is registered. */
export function registerHop(listener: HopListener): number {
  const b = native();
  const id = nextHopId;
  nextHopId = nextHopId >= 0xfffffff0 ? 1 : nextHopId + 1;
  if (listeners.size === 0) b.ref();
  listeners.set(id, listener);
  return id;
}

/** Forgets a hop: later events for it are dropped. */
export function unregisterHop(id: number): void {
  if (listeners.delete(id) && listeners.size === 0 && binding !== undefined) binding.unref();
}

export function activeHopCount(): number {
  return listeners.size;
}

interface Batch {
  numbers: Float64Array;
  refs: unknown[];
  next: number;
}

/** Batches not yet fully delivered, oldest first. */
const backlog: Batch[] = [];
let draining = false;
/** The native side holds more events for JS to pull once the backlog is delivered. */
let nativeHasMore = false;
/** One slice of event delivery runs at most this long before the event loop gets a turn:
 * many busy transfers must not turn one batch into one long task. */
const SLICE_NS = 2_000_000n;

/** The number part of a batch buffer (EVENT_REFS refs per event); small chunks' bytes follow it. */
function eventNumbers(buffer: ArrayBuffer, refs: unknown[]): Float64Array {
  return new Float64Array(buffer, 0, (refs.length / EVENT_REFS) * EVENT_STRIDE);
}

function dispatch(buffer: ArrayBuffer, refs: unknown[], more: boolean): void {
  backlog.push({ numbers: eventNumbers(buffer, refs), refs, next: 0 });
  nativeHasMore = more;
  if (!draining) drain();
}

/** Takes the next slice from the native side, after the event loop had its turn. */
function pullMore(): void {
  const slice = binding!.pull();
  if (slice === undefined) {
    nativeHasMore = false;
    draining = false;
    return;
  }
  backlog.push({ numbers: eventNumbers(slice[0], slice[1]), refs: slice[1], next: 0 });
  nativeHasMore = slice[2];
  drain();
}

function drain(): void {
  draining = true;
  const started = process.hrtime.bigint();
  let sinceCheck = 0;
  while (backlog.length > 0) {
    const batch = backlog[0];
    const count = batch.numbers.length / EVENT_STRIDE;
    while (batch.next < count) {
      deliverOne(batch, batch.next++);
      if (++sinceCheck >= 16) {
        sinceCheck = 0;
        if (process.hrtime.bigint() - started > SLICE_NS) {
          setImmediate(drain);
          return;
        }
      }
    }
    backlog.shift();
  }
  if (nativeHasMore) {
    setImmediate(pullMore);
    return;
  }
  draining = false;
}

function deliverOne(batch: Batch, i: number): void {
  const numbers = batch.numbers;
  const base = i * EVENT_STRIDE;
  const id = numbers[base + 1];
  const listener = listeners.get(id);
  if (listener === undefined) return;
  // A finished hop is forgotten before its listener runs, so the listener may start the
  // next hop (redirect, login retry) without the count ever passing through zero twice.
  if (numbers[base] === EventType.Done) unregisterHop(id);
  try {
    deliver(listener, numbers, base, batch.refs, i * EVENT_REFS);
  } catch (error) {
    // An exception from an event handler must become an uncaught exception, as it would in
    // Electron. Thrown back into Node-API it would only be a warning (DEP0168), and it must
    // not starve the rest of the batch either.
    process.nextTick(rethrow, error);
  }
}

function rethrow(error: unknown): never {
  throw error;
}

/** Delivers the event whose numbers start at `base` and refs at `r`. */
function deliver(listener: HopListener, n: Float64Array, base: number, refs: unknown[], r: number): void {
  const s = base + EVENT_HEADER_SLOTS;
  switch (n[base] as EventType) {
    case EventType.Head: {
      listener.onHead(
        new ReceivedHead(
          n[s + HeadField.Status],
          (refs[r + HeadRef.Reason] as string | undefined) ?? '',
          n[s + HeadField.VersionMajor],
          n[s + HeadField.VersionMinor],
          (n[s + HeadField.Flags] & HeadFlag.Chunked) !== 0,
          refs[r + HeadRef.Fields] as string | undefined,
          refs[r + HeadRef.PrimaryIp] as string | undefined,
        ),
      );
      break;
    }
    case EventType.Data:
      // Small chunks are views into the batch's own buffer (native/event_sink.cc).
      listener.onData(
        (refs[r + DataRef.Chunk] as Buffer | undefined) ??
          Buffer.from(n.buffer, n[s + DataField.SharedOffset], n[s + DataField.SharedLength]),
      );
      break;
    case EventType.UploadProgress:
      listener.onUploadProgress(n[s + UploadProgressField.Position], n[s + UploadProgressField.Total]);
      break;
    case EventType.UploadConsumed:
      listener.onUploadConsumed(n[s + UploadConsumedField.Bytes]);
      break;
    case EventType.Done: {
      const challenges = refs[r + DoneRef.ConnectChallenges] as string | undefined;
      const primaryIp = refs[r + DoneRef.PrimaryIp] as string | undefined;
      const outcome: HopOutcome = {
        curlCode: n[s + DoneField.CurlCode],
        osErrno: n[s + DoneField.OsErrno],
        connectCode: n[s + DoneField.ConnectCode],
        proxyError: n[s + DoneField.ProxyError],
        sslVerifyResult: n[s + DoneField.SslVerifyResult],
        proxySslVerifyResult: n[s + DoneField.ProxySslVerifyResult],
        originTlsVerdict: n[s + DoneField.OriginTlsVerdict],
        proxyTlsVerdict: n[s + DoneField.ProxyTlsVerdict],
        responseCode: n[s + DoneField.ResponseCode],
        flags: n[s + DoneField.Flags],
        httpAuthAvail: n[s + DoneField.HttpAuthAvail],
        proxyAuthAvail: n[s + DoneField.ProxyAuthAvail],
        bodyBytes: n[s + DoneField.BodyBytes],
        message: (refs[r + DoneRef.ErrorText] as string | undefined) ?? '',
        connectChallenges: challenges === undefined ? [] : challenges.split('\n'),
        peerChain: (refs[r + DoneRef.PeerChain] as string | undefined) ?? '',
      };
      if (primaryIp !== undefined) {
        outcome.primaryIp = primaryIp;
        outcome.primaryPort = n[s + DoneField.PrimaryPort];
        outcome.numConnects = n[s + DoneField.NumConnects];
      }
      const tlsInfo = refs[r + DoneRef.TlsInfo] as string | undefined;
      if (tlsInfo !== undefined) outcome.tlsInfo = tlsInfo;
      const certSubject = refs[r + DoneRef.CertSubject] as string | undefined;
      if (certSubject !== undefined) outcome.certSubject = certSubject;
      listener.onDone(outcome);
      break;
    }
  }
}
