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

export function fetchWithSession(session: Session, input: string | URL | Request, init?: RequestInit): Promise<Response> {
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
    client.on('response', (response: IncomingMessage) => {
      signal.removeEventListener('abort', onAbort);
      const headers = new Headers();
      const raw = response.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
      const nullBody = NULL_BODY_STATUSES.has(response.statusCode) || request.method === 'HEAD';
      const body = nullBody ? null : (Readable.toWeb(response) as unknown as ReadableStream<Uint8Array>);
      if (nullBody) response.resume();
      try {
        resolve(new Response(body, { status: response.statusCode, statusText: response.statusMessage, headers }));
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
