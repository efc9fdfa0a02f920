// The only module that knows the native addon's contract. Everything above it deals in hops
// (one libcurl transfer each) and the events they produce.
import { loadBinding } from './load-binding';

/** Bits of the `flags` argument of `start` (native/transfer_spec.h SpecFlags). */
export const enum HopFlag {
  Head = 1 << 0,
  Verbose = 1 << 1,
  ForceContentLength = 1 << 2,
  Http1Only = 1 << 3,
  TunnelProxy = 1 << 4,
  InsecureProxy = 1 << 5,
  StreamBody = 1 << 6,
}

/** A streamed upload's write() callback is held while more than this many bytes wait for the
 * curl thread: real backpressure, without a thread round trip per chunk. The curl thread
 * reports consumed bytes at least every kUploadReportStep (native/transfer.cc), which must stay
 * below this, so writes are released before libcurl runs dry. */
export const UPLOAD_WINDOW = 512 * 1024;

/** libcurl CURLAUTH_* bits. */
export const enum CurlAuth {
  Basic = 1 << 0,
  Digest = 1 << 1,
  Negotiate = 1 << 2,
  Ntlm = 1 << 3,
  DigestIe = 1 << 4,
  Any = ~(1 << 4), // CURLAUTH_ANY excludes DIGEST_IE
}

export interface HopExtras {
  username?: string;
  password?: string;
  httpAuth?: number;
  proxyUsername?: string;
  proxyPassword?: string;
  proxyAuth?: number;
  proxyCaFile?: string;
  bufferSize?: number;
  streamWeight?: number;
  connectTimeoutMs?: number;
}

export interface NativeBinding {
  init(dispatch: (numbers: ArrayBuffer, refs: unknown[], more: boolean) => void): void;
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
  configureSession(sessionId: number, maxPerHost: number, maxTotal: number): void;
  closeSession(sessionId: number): void;
  closeConnections(sessionId: number): void;
  ref(): void;
  unref(): void;
  /** Lets the curl thread run the commands queued so far. */
  wake(): void;
  versions(): NativeVersions;
  /** null, or why Negotiate cannot work: the prebuild's GSS-API library (opened by this call
   * the first time) is missing. Always null with a system libcurl. */
  gssapiUnavailable(): string | null;
}

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

/** Event types (native/event.h EventType). */
export const enum EventType {
  Head = 1,
  Data = 2,
  UploadProgress = 3,
  UploadConsumed = 4,
  Done = 5,
}

/** Numbers per event in the batch buffer: type, id, then 11 event-specific slots. */
export const EVENT_STRIDE = 13;

/** kHead flag bits (native/event.h HeadFlags). */
export const enum HeadFlag {
  Chunked = 1 << 0,
  HasContentLength = 1 << 1,
}

/** kDone flag bits (native/event.h DoneFlags). */
export const enum DoneFlag {
  HeadCommitted = 1 << 0,
  HeadersTooBig = 1 << 1,
  ResponseChunked = 1 << 2,
  UsedProxy = 1 << 3,
  UploadNotRewindable = 1 << 4,
  Connected = 1 << 5,
  MultipleLocations = 1 << 6,
  MultipleContentLength = 1 << 7,
}

/** What a finished hop reports; the input to the net error mapping. */
export interface HopOutcome {
  curlCode: number;
  osErrno: number;
  connectCode: number;
  proxyError: number;
  sslVerifyResult: number;
  proxySslVerifyResult: number;
  responseCode: number;
  flags: number;
  httpAuthAvail: number;
  proxyAuthAvail: number;
  bodyBytes: number;
  /** libcurl's error buffer text ('' on success). */
  message: string;
  /** Proxy-Authenticate challenges of a refused CONNECT, one per entry. */
  connectChallenges: string[];
}

export interface HopHead {
  statusCode: number;
  statusMessage: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  /** [name, value, name, value, …] exactly as received. */
  rawHeaders: string[];
  chunked: boolean;
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

const COMMANDS = ['start', 'write', 'endUpload', 'ack', 'abort', 'configureSession', 'closeSession', 'closeConnections'] as const;
const listeners = new Map<number, HopListener>();
let nextHopId = 1;

/** The native binding, loaded and started on first use. */
export function native(): NativeBinding {
  if (binding === undefined) {
    const loaded = loadBinding() as NativeBinding;
    loaded.init(dispatch);
    // Every command schedules the wake-up of its turn.
    const wrapped: Record<string, unknown> = {};
    for (const name of ['init', 'ref', 'unref', 'wake', 'versions', 'pull', 'gssapiUnavailable'] as const) {
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

/** The number part of a batch buffer (two refs slots per event); small chunks' bytes follow it. */
function eventNumbers(buffer: ArrayBuffer, refs: unknown[]): Float64Array {
  return new Float64Array(buffer, 0, (refs.length / 2) * EVENT_STRIDE);
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
    deliver(listener, numbers, base, batch.refs, i * 2);
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

function deliver(listener: HopListener, n: Float64Array, base: number, refs: unknown[], r: number): void {
  switch (n[base] as EventType) {
    case EventType.Head: {
      const joined = refs[r] as string | undefined;
      listener.onHead({
        statusCode: n[base + 2],
        httpVersionMajor: n[base + 3],
        httpVersionMinor: n[base + 4],
        chunked: (n[base + 5] & HeadFlag.Chunked) !== 0,
        rawHeaders: joined === undefined ? [] : joined.split('\n'),
        statusMessage: (refs[r + 1] as string | undefined) ?? '',
      });
      break;
    }
    case EventType.Data:
      // Small chunks are views into the batch's own buffer (native/event_sink.cc).
      listener.onData((refs[r] as Buffer | undefined) ?? Buffer.from(n.buffer, n[base + 2], n[base + 3]));
      break;
    case EventType.UploadProgress:
      listener.onUploadProgress(n[base + 2], n[base + 3]);
      break;
    case EventType.UploadConsumed:
      listener.onUploadConsumed(n[base + 2]);
      break;
    case EventType.Done: {
      const challenges = refs[r + 1] as string | undefined;
      listener.onDone({
        curlCode: n[base + 2],
        osErrno: n[base + 3],
        connectCode: n[base + 4],
        proxyError: n[base + 5],
        sslVerifyResult: n[base + 6],
        proxySslVerifyResult: n[base + 7],
        responseCode: n[base + 8],
        flags: n[base + 9],
        httpAuthAvail: n[base + 10],
        proxyAuthAvail: n[base + 11],
        bodyBytes: n[base + 12],
        message: (refs[r] as string | undefined) ?? '',
        connectChallenges: challenges === undefined ? [] : challenges.split('\n'),
      });
      break;
    }
  }
}
