// The contract between the hop driver and the stages a session supplies. A request is a series
// of hops (one libcurl transfer each: the first, then redirects, login retries, proxy failover);
// every decision about a hop is made by a stage. Request-side hooks run in list order,
// response-side hooks in reverse (the last stage to touch the request is the first to see the
// response), as undici's interceptors and Chromium's URLRequest + NetworkDelegate do.
import type { HopExtras, HopHead, HopListener, HopOutcome } from '../native';
import type { StoredHeader } from '../headers';
import type { ParsedRequestOptions } from '../request-options';
import type { RequestBody } from '../request-body';
import type { Session } from '../session';
import type { ProxyHop } from '../session-proxy';

/** What stays true of a request across its hops; stages change it between hops. */
export interface HopState {
  /** The request as the application made it (validated options, original URL and headers). */
  readonly options: ParsedRequestOptions;
  readonly session: Session;
  readonly body: RequestBody;
  /** URL, method and application headers of the current (or next) hop. */
  url: URL;
  method: string;
  headers: Map<string, StoredHeader>;
  /** The proxy the current hop goes through (DIRECT_HOP before planning). */
  proxy: ProxyHop;
  /** Hops launched so far (0 before the first). */
  readonly hops: number;
}

/** What one hop sends: filled by the stages' beforeHop, in order, then handed to libcurl. */
export interface HopDraft {
  /** Header lines in addition to the application's, each "Name: value". */
  readonly lines: string[];
  /** HopFlag bits. */
  flags: number;
  acceptEncoding: string;
  /** Per-hop transfer options (credentials, proxy CA, stream weight). */
  readonly extras: HopExtras;
  /** Set by a stage that answers the hop itself (a protocol handler, an internal redirect):
   * the hop goes to it instead of libcurl. */
  local?: LocalHop;
}

/** A hop answered in this process: it reports head, body and outcome like a libcurl hop. */
export interface LocalHop {
  /** Starts the hop; events go to `listener` on later turns. */
  start(listener: HopListener): void;
  /** A streamed request body's chunks, and its end. */
  write?(chunk: Buffer): void;
  end?(): void;
  /** The response consumer took this many bytes (flow control, as with libcurl hops). */
  acknowledge(bytes: number): void;
  /** The hop is dropped: stop producing events. */
  abort(): void;
}

/** Why the hops start over. */
export type Restart =
  | { kind: 'redirect'; from: URL; to: URL; crossOrigin: boolean }
  | { kind: 'login' }
  | { kind: 'proxy-failover' }
  /** The same hop again after a certificate verdict (or on a fresh connection). */
  | { kind: 'certificate' };

/** What a stage may do to the request it serves. */
export interface HopControl {
  readonly state: HopState;
  /** Drops the current hop and starts the next one (beforeHop runs again for every stage). */
  restart(reason: Restart): void;
  /** Fails the request with this error. */
  fail(error: Error): void;
  /** The held head (see HeadVerdict 'hold') becomes the response, with what was held since. */
  release(): void;
  /** The held head (maybe changed by the stage that held it) goes on to the stages after it,
   * as if the holding stage had answered `undefined`. */
  proceed(): void;
  /** Emits an event on the ClientRequest; false when nobody listens. */
  emit(event: string, ...args: unknown[]): boolean;
  /** The request was aborted, failed or already answered: a late decision must do nothing. */
  readonly finished: boolean;
  /** While 'redirect' listeners run in manual mode: what ClientRequest.followRedirect() calls. */
  pendingRedirect: (() => void) | null;
}

/**
 * A stage's verdict on a response head (or on a hop that ended without one):
 * - `undefined`: not mine, ask the next stage (the last one answers with the response);
 * - `'handled'`: the stage restarted or failed the request already;
 * - `'hold'`: the stage decides later (an application callback); the driver keeps the head,
 *   the body (unread, so flow control pauses the transfer) and the outcome until the stage
 *   calls restart(), release() or fail().
 */
export type Verdict = undefined | 'handled' | 'hold';

export interface Stage {
  /** The request starts: an error refuses it before any network (reported asynchronously). */
  start?(): Error | null;
  /** Before each hop. May change the state and the draft, fail the hop (an Error), or wait. */
  beforeHop?(draft: HopDraft): void | Error | Promise<void | Error>;
  /** A response head of the current hop arrived. */
  onHead?(head: HopHead): Verdict;
  /** The current hop ended without anyone holding it. */
  onDone?(outcome: HopOutcome): Verdict;
  /** The hops start over (called on every stage, in order, before beforeHop). */
  onRestart?(reason: Restart): void;
  /** A head became the request's response (no stage took it). */
  onResponse?(head: HopHead): void;
  /** The request is over: null when its response ended well, else why not (an abort is
   * net::ERR_ABORTED). Called once, on every stage, in order. */
  onEnd?(error: Error | null): void;
  /** The current hop's transfer is over, however it ended (done, dropped by a restart, an
   * abort or a failure): called on every stage that has it, before any other hook hears of it. */
  onHopEnd?(): void;
}

/** Makes one request's stage; sessions hold a list of these. Called when the request starts
 * (its first hop is about to be prepared); null means the stage has nothing to do for this
 * request — a feature its session does not use — and it is left out of the request's list
 * altogether: every stage costs each request an object and a call per hook (issue #16). A stage
 * that is there for every request is a class, its state in fields, rather than an object of
 * closures: one small object per request instead of a closure and a context per hook. */
export type StageFactory = (control: HopControl) => Stage | null;
