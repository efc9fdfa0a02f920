// Drives one request's hops through the session's stages, and is the only code that calls the
// native contract (start, write, endUpload, ack, abort). It owns the hop state; every decision
// about a hop belongs to a stage (ts/stages/).
import { caBundlePath } from './ca-bundle';
import { netError, netErrorFromOutcome } from './errors';
import { IncomingMessage, ResponseFlowControl } from './incoming-message';
import type { StoredHeader } from './headers';
import { HopFlag, HopHead, HopListener, HopOutcome, native, registerHop, unregisterHop } from './native';
import { requestHeadProblem } from './request-limits';
import type { ParsedRequestOptions } from './request-options';
import type { RequestBody, UploadSink } from './request-body';
import type { Session } from './session';
import { DIRECT_HOP, ProxyHop } from './session-proxy';
import type { HopControl, HopDraft, HopState, LocalHop, Restart, Stage, StageFactory, Verdict } from './stages/stage';
import { wireProblem, type HopWireStrings } from './wire-validation';
import { observeRequest, RequestObserver } from './observability/request-observer';

/** What the driver needs from the ClientRequest it serves. */
export interface HopOwner {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
  /** The request failed (or was refused): Electron's 'error' and teardown. */
  fail(error: Error): void;
  /** The request was aborted, destroyed or failed. */
  readonly over: boolean;
  /** libcurl reported upload progress ('upload-progress', getUploadProgress()). */
  uploadProgress(position: number, total: number): void;
}

interface Held {
  head: HopHead | null;
  data: Buffer[];
  outcome: HopOutcome | null;
}

export class HopDriver implements HopListener, ResponseFlowControl, UploadSink, HopControl {
  readonly state: RequestHopState;
  /** Made when the request starts; emptied once it is over (see _release). */
  private _stages: readonly Stage[] = NO_STAGES;
  private _id = 0;
  /** beforeHop of some stage is waiting (proxy planning): uploads wait too. */
  private _preparing = false;
  private _held: Held | null = null;
  /** The stage that holds _held (its index), for proceed(). */
  private _heldAt = -1;
  /** The current hop, when a stage answers it in this process instead of libcurl. */
  private _local: LocalHop | null = null;
  /** Counts restarts: a beforeHop that settles after the hops started over is stale. */
  private _generation = 0;
  /** The stages were told the request is over (onEnd). */
  private _ended = false;
  private _response: IncomingMessage | null = null;
  private _stopped = false;
  /** The opt-in deadline of the whole request (net::ERR_TIMED_OUT). */
  private _deadline: NodeJS.Timeout | null = null;
  /** @internal HopControl: set by the redirect stage while 'redirect' listeners run. */
  pendingRedirect: (() => void) | null = null;
  /** diagnostics_channel / NODE_DEBUG / NetLog; null (one check per hook) when none observes. */
  private readonly _observer: RequestObserver | null;

  constructor(
    private readonly _owner: HopOwner,
    options: ParsedRequestOptions,
    session: Session,
    body: RequestBody,
    private readonly _factories: readonly StageFactory[],
  ) {
    this.state = new RequestHopState(options, session, body);
    this._observer = observeRequest(this.state);
    this._observer?.created();
  }

  get response(): IncomingMessage | null {
    return this._response;
  }

  // ---- HopControl (what stages may do) ------------------------------------------------------

  get finished(): boolean {
    return this._stopped || this._owner.over || this._response !== null;
  }

  emit(event: string, ...args: unknown[]): boolean {
    if (this._owner.listenerCount(event) === 0) return false;
    this._owner.emit(event, ...args);
    return true;
  }

  restart(reason: Restart): void {
    this._observer?.restarted(reason);
    this._stopHop();
    this._held = null;
    this._generation += 1;
    this._preparing = false;
    for (const stage of this._stages) stage.onRestart?.(reason);
    if (!this.finished) this._prepare(0);
  }

  fail(error: Error): void {
    this._observer?.failed(error);
    this._stopHop();
    this._held = null;
    this._owner.fail(error);
  }

  release(): void {
    const held = this._held;
    this._held = null;
    if (held === null || held.head === null) return;
    this._respond(held.head);
    for (const chunk of held.data) this._response!._deliver(chunk);
    if (held.outcome !== null) this._complete(held.outcome);
  }

  proceed(): void {
    const held = this._held;
    if (held === null) return;
    const head = held.head;
    if (head !== null) {
      if (this._ask(held, (stage) => stage.onHead?.(head), this._heldAt - 1)) return;
      this._held = held;
      this.release();
      return;
    }
    this._held = null;
    const outcome = held.outcome!;
    if (this._ask(held, (stage) => stage.onDone?.(outcome), this._heldAt - 1)) return;
    this._complete(outcome);
  }

  // ---- starting ---------------------------------------------------------------------------

  /** The application ended (or started streaming) the body: the first hop may go. */
  start(): void {
    this._stages = makeStages(this._factories, this);
    for (const stage of this._stages) {
      const refusal = stage.start?.() ?? null;
      if (refusal !== null) {
        // Chromium refuses such a request asynchronously; so do we.
        setImmediate(() => {
          this._observer?.failed(refusal);
          this._owner.fail(refusal);
        });
        return;
      }
    }
    this._armDeadline();
    this._prepare(0);
  }

  private _armDeadline(): void {
    const timeout = this.state.options.timeout ?? this.state.session.getRequestTimeout();
    if (timeout <= 0) return;
    this._deadline = setTimeout(() => {
      this._deadline = null;
      this.fail(netError('ERR_TIMED_OUT'));
    }, timeout);
    // The hop in flight keeps the process alive; the deadline alone must not.
    this._deadline.unref();
  }

  private _disarmDeadline(): void {
    if (this._deadline !== null) clearTimeout(this._deadline);
    this._deadline = null;
  }

  /** Fails the request on a later turn: Chromium reports refusals asynchronously, and the
   * caller may still be inside write() or end(). */
  private _refuse(error: Error): void {
    this._preparing = true;
    setImmediate(() => {
      this._preparing = false;
      if (!this.finished) this.fail(error);
    });
  }

  /** Runs beforeHop from stage `from` on; waits where a stage waits. */
  private _prepare(from: number, draft: HopDraft = newDraft()): void {
    for (let i = from; i < this._stages.length; i++) {
      const verdict = this._stages[i].beforeHop?.(draft);
      if (verdict === undefined) continue;
      if (verdict instanceof Error) {
        this._refuse(verdict);
        return;
      }
      this._preparing = true;
      const generation = this._generation;
      verdict.then(
        (late) => {
          if (generation !== this._generation) return;
          this._preparing = false;
          if (this.finished) return;
          if (late instanceof Error) this.fail(late);
          else this._prepare(i + 1, draft);
        },
        (error: Error) => {
          if (generation !== this._generation) return;
          this._preparing = false;
          if (!this.finished) this.fail(error);
        },
      );
      return;
    }
    this._launch(draft);
  }

  private _launch(draft: HopDraft): void {
    const state = this.state;
    const body = state.body;
    const method = state.method;
    let flags = draft.flags;
    if (method === 'HEAD') flags |= HopFlag.Head;
    const buffered = body.buffer !== null && method !== 'HEAD' ? body.buffer : null;
    if (draft.local !== undefined) {
      this._launchLocal(draft.local);
      return;
    }
    if (this._observer?.wantsConnectionDetails) flags |= HopFlag.Observed;
    if (body.streamed) flags |= HopFlag.StreamBody;
    else if (buffered === null && (method === 'POST' || method === 'PUT')) flags |= HopFlag.ForceContentLength;

    // The last look at the exact strings libcurl will send: nothing with CR, LF or NUL, and
    // nothing over libcurl's request head limit, reaches the wire.
    const wireUrl = urlForWire(state.url);
    const extras = draft.extras;
    const problem =
      wireProblem({
        method,
        url: wireUrl,
        headerLines: draft.lines,
        credentials: wireCredentials(extras, state.proxy.url),
      }) ??
      requestHeadProblem({
        method,
        url: wireUrl,
        headerLines: draft.lines,
        withCredentials: extras.username !== undefined || extras.proxyUsername !== undefined,
      });
    if (problem !== null) {
      this._refuse(netError('ERR_INVALID_ARGUMENT', { cause: new TypeError(`Refused to send the request: ${problem}`) }));
      return;
    }

    const id = registerHop(this);
    this._id = id;
    this.state.hops += 1;
    native().start(
      id,
      state.session._id,
      wireUrl,
      method,
      draft.lines.join('\n'),
      buffered,
      flags,
      state.proxy.url,
      draft.acceptEncoding,
      caBundlePath(),
      hasKeys(draft.extras) ? draft.extras : undefined,
    );
    this._observer?.hopStarted({
      hop: this.state.hops,
      url: wireUrl,
      method,
      proxy: state.proxy.url,
      extraLines: draft.lines,
      offersServerCredentials: (extras.httpAuth ?? 0) !== 0,
      offersProxyCredentials: (extras.proxyAuth ?? 0) !== 0,
      connectTo: extras.connectTo,
    });
    if (body.streamed) {
      if (this.state.hops > 1) body.replay(this);
      else {
        body.flushWaiting(this);
        if (body.ended) this.endUpload();
      }
    }
  }

  private _launchLocal(local: LocalHop): void {
    this._local = local;
    this.state.hops += 1;
    local.start(this);
    const body = this.state.body;
    if (body.streamed) {
      if (this.state.hops > 1) body.replay(this);
      else {
        body.flushWaiting(this);
        if (body.ended) this.endUpload();
      }
    }
  }

  // ---- UploadSink ---------------------------------------------------------------------------

  get uploadTarget(): 'hop' | 'wait' | 'none' {
    if (this._id !== 0 || this._local !== null) return 'hop';
    return this._preparing || (this.state.hops === 0 && !this.finished) ? 'wait' : 'none';
  }

  writeUpload(chunk: Buffer): void {
    const local = this._local;
    if (local === null) {
      native().write(this._id, chunk);
      return;
    }
    local.write?.(chunk);
    this.state.body.consumed(chunk.length);
  }

  endUpload(): void {
    if (this._local !== null) this._local.end?.();
    else native().endUpload(this._id);
  }

  // ---- events of the current hop ------------------------------------------------------------

  /** @internal */
  onHead(head: HopHead): void {
    if (head.statusCode < 100 || head.statusCode > 999) {
      // libcurl 8 accepts "HTTP/1.1 1000" and fails later; 7.88 refuses it at once. Chromium
      // takes a status code as three digits: nothing else becomes a response.
      this.fail(netError('ERR_INVALID_HTTP_RESPONSE'));
      return;
    }
    this._observer?.hopHead(head);
    // Held from the start, so that a stage may release, restart or fail synchronously (a login
    // answered inside the listener) or later, and the driver never has to guess which.
    const held: Held = { head, data: [], outcome: null };
    if (this._ask(held, (stage) => stage.onHead?.(head))) return;
    this._respond(head);
  }

  /** Asks the stages, last first (or from `from` down), about a held hop; true when one of
   * them took it. */
  private _ask(held: Held, question: (stage: Stage) => Verdict, from = this._stages.length - 1): boolean {
    for (let i = from; i >= 0; i--) {
      this._held = held;
      this._heldAt = i;
      const verdict = question(this._stages[i]);
      if (verdict === 'hold') return true;
      if (verdict === 'handled') {
        if (this._held === held) this._held = null;
        return true;
      }
    }
    this._held = null;
    return false;
  }

  /** @internal */
  onData(chunk: Buffer): void {
    if (this._response !== null) this._response._deliver(chunk);
    else this._held?.data.push(chunk);
  }

  /** @internal */
  onUploadProgress(position: number, total: number): void {
    this._owner.uploadProgress(position, total);
  }

  /** @internal */
  onUploadConsumed(bytes: number): void {
    this.state.body.consumed(bytes);
  }

  /** @internal */
  onDone(outcome: HopOutcome): void {
    this._observer?.hopDone(outcome);
    this._id = 0;
    this._local = null;
    this._hopEnded();
    if (this._held !== null) {
      this._held.outcome = outcome;
      return;
    }
    if (this._response === null && this._ask({ head: null, data: [], outcome }, (stage) => stage.onDone?.(outcome))) return;
    this._complete(outcome);
  }

  /** @internal ResponseFlowControl */
  acknowledge(bytes: number): void {
    if (this._id !== 0) native().ack(this._id, bytes);
    else this._local?.acknowledge(bytes);
  }

  /** @internal ResponseFlowControl: the response was destroyed before its end. */
  stopTransfer(): void {
    this._stopHop();
  }

  // ---- outcomes -----------------------------------------------------------------------------

  private _respond(head: HopHead): void {
    const response = new IncomingMessage(head, this);
    this._response = response;
    for (const stage of this._stages) stage.onResponse?.(head);
    this._observer?.response(head);
    this._owner.emit('response', response);
  }

  private _complete(outcome: HopOutcome): void {
    const error = netErrorFromOutcome(outcome);
    if (error === null && this._response !== null) {
      this._disarmDeadline();
      this._response._finish();
      this._end(null);
      this._release();
      this._observer?.completed();
      return;
    }
    const failure = error ?? netError('ERR_EMPTY_RESPONSE');
    this._observer?.failed(failure);
    if (this._response !== null) this._response.destroy(failure);
    this._owner.fail(failure);
  }

  /** Drops the current hop without reading the rest of it. */
  private _stopHop(): void {
    const local = this._local;
    if (local !== null) {
      this._local = null;
      local.abort();
      this._hopEnded();
      return;
    }
    if (this._id === 0) return;
    native().abort(this._id);
    unregisterHop(this._id);
    this._id = 0;
    this._hopEnded();
  }

  private _hopEnded(): void {
    for (const stage of this._stages) stage.onHopEnd?.();
  }

  /** The request is over: its stages (and what they hold) are dropped at once. An application
   * may keep a finished request for a long time; its stages have nothing left to decide. */
  private _release(): void {
    this._stages = NO_STAGES;
  }

  /** Tells every stage, once, that the request is over. */
  private _end(error: Error | null): void {
    if (this._ended) return;
    this._ended = true;
    for (const stage of this._stages) stage.onEnd?.(error);
  }

  /** The request is over (abort, error): no more hops, nothing held. */
  stop(error?: Error): void {
    this._observer?.failed(error ?? netError('ERR_ABORTED'));
    this._disarmDeadline();
    this._stopped = true;
    this._held = null;
    this._stopHop(); // before the stages are dropped: they hear that the hop ended
    this._end(error ?? netError('ERR_ABORTED'));
    this._release();
    if (this._response !== null) this._response.destroy(error);
  }
}

/** A class, not an object literal: every request's state then shares one hidden class, so the
 * stages' property reads stay monomorphic (a literal with a getter closure made a new map per
 * request: megamorphic reads and a garbage collector busy with maps). */
class RequestHopState implements HopState {
  url: URL;
  method: string;
  headers: Map<string, StoredHeader>;
  proxy: ProxyHop = DIRECT_HOP;
  /** Counted by the driver as it launches hops. */
  hops = 0;

  constructor(
    readonly options: ParsedRequestOptions,
    readonly session: Session,
    readonly body: RequestBody,
  ) {
    this.url = options.url;
    this.method = options.method;
    this.headers = options.headers;
  }
}

const NO_STAGES: readonly Stage[] = Object.freeze([]);

/** The stages this request needs, in list order (a factory's null leaves its stage out). */
function makeStages(factories: readonly StageFactory[], control: HopControl): Stage[] {
  const stages: Stage[] = [];
  for (let i = 0; i < factories.length; i++) {
    const stage = factories[i]!(control);
    if (stage !== null) stages.push(stage);
  }
  // A copy of exactly their number: the array V8 grew while pushing has room for 17, and an
  // open request keeps its list.
  return stages.slice();
}

function newDraft(): HopDraft {
  return { lines: [], flags: 0, acceptEncoding: '', extras: {} };
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
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

export type { ProxyHop };

const NO_WIRE_CREDENTIALS: HopWireStrings['credentials'] = Object.freeze([]);

/** The credentials a hop sends, for wireProblem(); most hops have none (and no proxy), and
 * then no list is made for them. */
function wireCredentials(extras: HopDraft['extras'], proxyUrl: string): HopWireStrings['credentials'] {
  if (extras.username === undefined && extras.password === undefined && extras.proxyUsername === undefined && extras.proxyPassword === undefined && proxyUrl === '') {
    return NO_WIRE_CREDENTIALS;
  }
  return [
    { what: 'user name', value: extras.username },
    { what: 'password', value: extras.password },
    { what: 'proxy user name', value: extras.proxyUsername },
    { what: 'proxy password', value: extras.proxyPassword },
    { what: 'proxy address', value: proxyUrl },
  ];
}
