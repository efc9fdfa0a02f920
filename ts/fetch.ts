// net.fetch / session.fetch: the WHATWG fetch() surface over ClientRequest, with Electron's
// choices (net:: errors instead of "fetch failed", credentials 'include' by default, manual
// redirect mode rejecting).
import { Readable } from 'node:stream';
import { ClientRequest } from './client-request';
import type { IncomingMessage } from './incoming-message';
import { kAllowNonHttpProtocols } from './request-options';
import type { Session } from './session';

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** fetch()'s init as Electron types it: RequestInit plus bypassCustomProtocolHandlers (go to
 * the network even when a protocol handler intercepts the scheme). */
export type FetchInit = RequestInit & { bypassCustomProtocolHandlers?: boolean };

/** What fetch() needs from its input: a WHATWG Request's fields, or the same fields for a plain
 * GET of a URL string (most calls), which skips building a Request. */
interface FetchPlan {
  url: string;
  method: string;
  headers: Iterable<[string, string]>;
  origin: string | undefined;
  mode: string;
  credentials: Request['credentials'];
  redirect: Request['redirect'];
  cache: Request['cache'];
  referrerPolicy: Request['referrerPolicy'];
  signal: AbortSignal | null;
  body: ReadableStream | null;
  /** What must stay alive while the signal can still abort: the Request. Its signal follows the
   * caller's through a controller undici holds only weakly from the caller's signal (Node 24),
   * so an unreferenced Request's controller can be collected and the abort never arrives. */
  owner: object | null;
}

const NO_HEADERS: Iterable<[string, string]> = Object.freeze([]) as readonly [string, string][];

/** The plan for `fetch(url)` / `fetch(url, {})` with an http(s) URL string: exactly what
 * `new Request(url)` would hold, without its cost (a Request, its Headers and its AbortSignal
 * cost the JS thread more than the rest of a small fetch; issue #16). null: take the long way. */
function plainGet(input: string | URL | Request, init: FetchInit | undefined): FetchPlan | null {
  if (typeof input !== 'string' || (init !== undefined && (init === null || hasOwnKeys(init)))) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null; // new Request(input) throws fetch's own message
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') return null;
  return {
    url: url.href,
    method: 'GET',
    headers: NO_HEADERS,
    origin: undefined,
    mode: 'cors',
    credentials: 'same-origin',
    redirect: 'follow',
    cache: 'default',
    referrerPolicy: '',
    signal: null,
    body: null,
    owner: null,
  };
}

function hasOwnKeys(object: object): boolean {
  for (const key in object) if (Object.prototype.hasOwnProperty.call(object, key)) return true;
  return false;
}

function requestPlan(request: Request): FetchPlan {
  return {
    url: request.url,
    method: request.method,
    headers: request.headers,
    origin: request.headers.get('origin') ?? undefined,
    mode: request.mode,
    credentials: request.credentials,
    redirect: request.redirect,
    cache: request.cache,
    referrerPolicy: request.referrerPolicy,
    signal: request.signal,
    body: request.body,
    owner: request,
  };
}

export function fetchWithSession(session: Session, input: string | URL | Request, init?: FetchInit): Promise<Response> {
  let plan = plainGet(input, init);
  if (plan === null) {
    try {
      plan = requestPlan(new Request(input, init));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const signal = plan.signal;
  if (signal?.aborted) return Promise.reject(abortReason(signal));

  const origin = plan.origin;
  // The Request default 'same-origin' means 'include' when there is no initiator.
  const credentials = plan.credentials === 'same-origin' && origin === undefined ? 'include' : plan.credentials;
  let client: ClientRequest;
  try {
    client = new ClientRequest({
      method: plan.method,
      url: plan.url,
      redirect: plan.redirect as 'follow' | 'error' | 'manual',
      cache: plan.cache as never,
      referrerPolicy: plan.referrerPolicy as never,
      credentials,
      origin,
      session,
      bypassCustomProtocolHandlers: init?.bypassCustomProtocolHandlers === true,
      [kAllowNonHttpProtocols]: true,
    } as never);
    for (const [name, value] of plan.headers) client.setHeader(name, value);
    if (plan.mode && !(plan.mode === 'cors' && origin === undefined)) {
      client.setHeader('Sec-Fetch-Mode', plan.mode);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const method = plan.method;
  const requestUrl = plan.url;
  const requestBody = plan.body;

  return new Promise<Response>((resolve, reject) => {
    /** Set once the response arrived: an abort then ends its body instead of the fetch. */
    let body: ResponseBody | null = null;
    let onAbort: (() => void) | null = null;
    // Referenced until the abort listener goes: see FetchPlan.owner.
    let owner = plan.owner;
    const unlisten = () => {
      if (onAbort !== null) signal!.removeEventListener('abort', onAbort);
      onAbort = null;
      owner = null;
    };
    if (signal !== null) {
      onAbort = () => {
        unlisten();
        if (body !== null) body.abort(abortReason(signal));
        else {
          reject(abortReason(signal));
          client.abort();
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    client.on('error', (error) => {
      if (body === null) unlisten();
      reject(error);
    });
    // The URL the response came from: the request's, or the last redirect's target.
    let finalUrl = requestUrl;
    let redirected = false;
    client.on('redirect', (_status: number, _method: string, target: string) => {
      finalUrl = target;
      redirected = true;
    });
    client.on('response', (response: IncomingMessage) => {
      const headers = new Headers();
      const raw = response.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
      const nullBody = NULL_BODY_STATUSES.has(response.statusCode) || method === 'HEAD';
      if (nullBody) {
        unlisten();
        response.resume();
      } else {
        body = new ResponseBody(response, unlisten);
      }
      try {
        resolve(new (fetchResponseClassNow())(body?.stream ?? null, { status: response.statusCode, statusText: response.statusMessage, headers }, finalUrl, redirected));
      } catch (error) {
        unlisten();
        reject(error);
        client.abort();
      }
    });
    if (requestBody !== null) {
      Readable.fromWeb(requestBody as never).pipe(client);
    } else {
      client.end();
    }
  });
}

/** The response body as a WHATWG stream, read from the IncomingMessage directly: chunks are
 * enqueued as they arrive, the IncomingMessage is paused while the stream's queue is full (which
 * stops acknowledgements, so the curl thread stops reading: backpressure down to the socket),
 * and cancelling the stream destroys the response. Cheaper than Readable.toWeb(), whose adapter
 * adds listeners and a strategy object per response. */
class ResponseBody {
  readonly stream: ReadableStream<Uint8Array>;
  private _controller!: ReadableStreamDefaultController<Uint8Array>;
  private _settled = false;

  constructor(
    private readonly _response: IncomingMessage,
    /** Called once the body is over, however it ended. */
    private readonly _onSettled: () => void,
  ) {
    const response = _response;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this._controller = controller;
          response.on('data', (chunk: Buffer) => {
            if (this._settled) return; // cancelled or aborted: what still arrives is dropped
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            if ((controller.desiredSize ?? 1) <= 0) response.pause();
          });
          response.once('end', () => {
            if (this._settle()) controller.close();
          });
          response.once('error', (error) => {
            if (this._settle()) controller.error(error);
          });
          // Destroyed without an error (the request was aborted): the body ends in an
          // AbortError, as with Readable.toWeb().
          response.once('close', () => {
            if (this._settle()) controller.error(new DOMException('The operation was aborted.', 'AbortError'));
          });
        },
        pull: () => {
          if (response.isPaused()) response.resume();
        },
        cancel: (reason) => {
          this._settle();
          response.destroy(reason instanceof Error ? reason : undefined);
        },
      },
      { highWaterMark: RESPONSE_QUEUE_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  /** The fetch's signal was aborted while the body was being read: the body ends with the
   * signal's reason, as fetch specifies, and the transfer stops. */
  abort(reason: unknown): void {
    if (this._settle()) this._controller.error(reason);
    this._response.destroy();
  }

  /** True the first time: the body's end is decided. */
  private _settle(): boolean {
    if (this._settled) return false;
    this._settled = true;
    this._onSettled();
    return true;
  }
}

/** Bytes a response body stream holds before the IncomingMessage is paused. */
const RESPONSE_QUEUE_BYTES = 64 * 1024;

type FetchResponseClass = new (
  body: ReadableStream<Uint8Array> | null,
  init: ResponseInit,
  url: string,
  redirected: boolean,
) => Response;

let fetchResponseClass: FetchResponseClass | null = null;

/** fetch()'s Response class, defined at the first net.fetch. Touching the global Response loads
 * Node's bundled undici, and a process that has loaded it pays for it on every download: with
 * 64 downloads of 16 MiB in flight, net.request ran 80 full GCs instead of 3 and the JS thread
 * spent 2.5x the CPU per GiB (event-loop delay p99 6 -> 15 ms; the same with an older curl-net
 * whose only change is reading globalThis.Response first). net.request users never load it. */
function fetchResponseClassNow(): FetchResponseClass {
  if (fetchResponseClass !== null) return fetchResponseClass;
  /* A constructed Response has url '' and redirected false, read-only getters; this subclass
   * answers with what the fetch saw (the fragment is never part of url). A getter on a
   * subclass, not properties defined on each instance: defining them turned every Response into
   * a slow dictionary object and cost more than the rest of a small fetch. (The DOM typings
   * declare Response's members as properties, hence the untyped base.) */
  const ResponseBase = Response as unknown as new (body: ReadableStream<Uint8Array> | null, init: ResponseInit) => object;
  class FetchResponseImpl extends ResponseBase {
    readonly #url: string;
    readonly #redirected: boolean;

    constructor(body: ReadableStream<Uint8Array> | null, init: ResponseInit, url: string, redirected: boolean) {
      super(body, init);
      const hash = url.indexOf('#');
      this.#url = hash === -1 ? url : url.slice(0, hash);
      this.#redirected = redirected;
    }

    get url(): string {
      return this.#url;
    }

    get redirected(): boolean {
      return this.#redirected;
    }

    /** A clone keeps them too (fetch's clone() copies the URL list). */
    clone(): Response {
      const copy = (Response.prototype.clone as () => Response).call(this);
      Object.defineProperties(copy, {
        url: { value: this.#url, enumerable: false, configurable: true },
        redirected: { value: this.#redirected, enumerable: false, configurable: true },
      });
      return copy;
    }
  }
  fetchResponseClass = FetchResponseImpl as unknown as FetchResponseClass;
  return fetchResponseClass;
}
