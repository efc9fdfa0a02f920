// net.fetch / session.fetch: the WHATWG fetch() surface over ClientRequest, with Electron's
// choices (net:: errors instead of "fetch failed", credentials 'include' by default, manual
// redirect mode rejecting).
import { Readable } from 'node:stream';
import { ClientRequest } from './client-request';
import { fetchResponseClassNow, ResponseBody } from './fetch-response';
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
      const nullBody = NULL_BODY_STATUSES.has(response.statusCode) || method === 'HEAD';
      if (nullBody) {
        unlisten();
        response.resume();
      } else {
        body = new ResponseBody(response, unlisten);
      }
      try {
        const head = { status: response.statusCode, statusText: response.statusMessage, rawHeaders: response.rawHeaders };
        resolve(new (fetchResponseClassNow())(body, head, finalUrl, redirected));
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
