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

export function fetchWithSession(session: Session, input: string | URL | Request, init?: FetchInit): Promise<Response> {
  let request: Request;
  try {
    request = new Request(input, init);
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = request.signal;
  if (signal.aborted) return Promise.reject(abortReason(signal));

  const origin = request.headers.get('origin') ?? undefined;
  // The Request default 'same-origin' means 'include' when there is no initiator.
  const credentials = request.credentials === 'same-origin' && origin === undefined ? 'include' : request.credentials;
  let client: ClientRequest;
  try {
    client = new ClientRequest({
      method: request.method,
      url: request.url,
      redirect: request.redirect as 'follow' | 'error' | 'manual',
      cache: request.cache as never,
      referrerPolicy: request.referrerPolicy as never,
      credentials,
      origin,
      session,
      bypassCustomProtocolHandlers: init?.bypassCustomProtocolHandlers === true,
      [kAllowNonHttpProtocols]: true,
    } as never);
    for (const [name, value] of request.headers) client.setHeader(name, value);
    if (request.mode && !(request.mode === 'cors' && origin === undefined)) {
      client.setHeader('Sec-Fetch-Mode', request.mode);
    }
  } catch (error) {
    return Promise.reject(error);
  }

  return new Promise<Response>((resolve, reject) => {
    const onAbort = () => {
      reject(abortReason(signal));
      client.abort();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    client.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    // The URL the response came from: the request's, or the last redirect's target.
    let finalUrl = request.url;
    let redirected = false;
    client.on('redirect', (_status: number, _method: string, target: string) => {
      finalUrl = target;
      redirected = true;
    });
    client.on('response', (response: IncomingMessage) => {
      signal.removeEventListener('abort', onAbort);
      const headers = new Headers();
      const raw = response.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
      const nullBody = NULL_BODY_STATUSES.has(response.statusCode) || request.method === 'HEAD';
      const body = nullBody ? null : (Readable.toWeb(response) as unknown as ReadableStream<Uint8Array>);
      if (nullBody) response.resume();
      try {
        resolve(
          withUrl(new Response(body, { status: response.statusCode, statusText: response.statusMessage, headers }), finalUrl, redirected),
        );
      } catch (error) {
        reject(error);
        client.abort();
      }
    });
    if (request.body) {
      Readable.fromWeb(request.body as never).pipe(client);
    } else {
      client.end();
    }
  });
}

/** A constructed Response has url '' and redirected false, and both are read-only getters: the
 * values fetch() reports are set on the instance (the fragment is never part of url). */
function withUrl(response: Response, url: string, redirected: boolean): Response {
  const hash = url.indexOf('#');
  Object.defineProperties(response, {
    url: { value: hash === -1 ? url : url.slice(0, hash), enumerable: false, configurable: true },
    redirected: { value: redirected, enumerable: false, configurable: true },
  });
  return response;
}
