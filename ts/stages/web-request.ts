// The session's webRequest hooks (ts/web-request/web-request.ts), in Chromium's order:
//
//   onBeforeRequest          each new URL: the first hop and every redirect target (may cancel,
//                            or redirect: an internal 307 the redirect stage then follows)
//   onBeforeSendHeaders      each hop that sends a new request: the first, after a redirect and
//                            after a login (Chromium restarts the transaction with credentials);
//                            not again for a proxy failover, which repeats the same request
//   onSendHeaders            right after it, with the headers that go out
//   onHeadersReceived        every response head (a 401, 407 or 3xx too), before login and
//                            redirects look at it, so a rewritten head is what they see
//   onBeforeRedirect         the redirect is taken (after the 'redirect' event allowed it)
//   onResponseStarted        a head became the response
//   onCompleted / onErrorOccurred   the request is over
//
// Two stages share one record per request: `webRequestStart` goes first in the list (nothing is
// planned or refused for a URL the application may cancel or redirect), `webRequest` goes last
// (it sees the request headers every other stage wrote, and sees response heads first).
import { netError } from '../errors';
import { rawHeaderValue } from '../headers';
import { isRedirectStatus, redirectTarget } from '../redirect';
import { HopFlag, type HopHead, type HopListener } from '../native';
import { localOutcome } from '../local-outcome';
import type { WebRequest } from '../web-request/web-request';
import type { HopControl, HopDraft, HopState, LocalHop, Restart, Stage, Verdict } from './stage';

/** What net.request and net.fetch are to webRequest (Electron reports no frame and no
 * destination for them). */
const RESOURCE_TYPE = 'other';

let nextRequestId = 1;

class WebRequestRecord {
  readonly id = nextRequestId++;
  /** onBeforeRequest is owed for the current URL. */
  beforeRequestDue = true;
  /** onBeforeSendHeaders and onSendHeaders are owed for the next hop. */
  sendHeadersDue = true;
  /** The request header lines the listener chose, reused when a hop repeats (proxy failover). */
  rewrittenLines: string[] | null = null;
  /** The last response head, as onHeadersReceived left it. */
  head: HopHead | null = null;
  /** The next head is the internal redirect onBeforeRequest asked for. */
  internalRedirect: LocalHop | null = null;
}

const records = new WeakMap<HopState, WebRequestRecord>();

function recordOf(state: HopState): WebRequestRecord {
  let record = records.get(state);
  if (record === undefined) {
    record = new WebRequestRecord();
    records.set(state, record);
  }
  return record;
}

function hooksOf(state: HopState): WebRequest | undefined {
  const hooks = state.session._webRequestIfCreated;
  return hooks === undefined || hooks._idle ? undefined : hooks;
}

/** First in the list: onBeforeRequest. */
export function webRequestStart(control: HopControl): Stage | null {
  const state = control.state;
  // A session whose webRequest was never touched has no listeners to ask.
  if (state.session._webRequestIfCreated === undefined) return null;
  return {
    beforeHop(draft: HopDraft): void | Promise<void | Error> {
      const hooks = hooksOf(state);
      if (hooks === undefined) return;
      const record = recordOf(state);
      if (!record.beforeRequestDue) return;
      record.beforeRequestDue = false;
      const listener = hooks._listenerFor('onBeforeRequest', state.url, RESOURCE_TYPE);
      if (listener === undefined) return;
      const details = { ...baseDetails(state, record), uploadData: uploadData(state) };
      return new Promise<void | Error>((resolve) => {
        callListener(() =>
          listener(details, once((response) => {
            // Electron applies the answer on a later task, never inside the listener.
            queueMicrotask(() => {
              const answer = asObject(response);
              if (answer?.cancel === true) return resolve(netError('ERR_BLOCKED_BY_CLIENT'));
              const target = answer?.redirectURL;
              if (typeof target !== 'string' || target === '') return resolve();
              let to: URL;
              try {
                to = new URL(target);
              } catch {
                return resolve(netError('ERR_INVALID_URL'));
              }
              const redirect = internalRedirect(to);
              record.internalRedirect = redirect;
              draft.local = redirect;
              resolve();
            });
          })),
        );
      });
    },
  };
}

/** Last in the list: the other seven hooks. */
export function webRequest(control: HopControl): Stage | null {
  const state = control.state;
  if (state.session._webRequestIfCreated === undefined) return null;
  return {
    beforeHop(draft: HopDraft): void | Promise<void | Error> {
      const hooks = hooksOf(state);
      if (hooks === undefined) return;
      // The response's `ip` (onResponseStarted, onBeforeRedirect, onCompleted) comes with the
      // head, and only when asked for: most hops have no webRequest listener to read it.
      draft.flags |= HopFlag.PeerAddress;
      const record = recordOf(state);
      if (draft.local !== undefined && draft.local === record.internalRedirect) return;
      if (!record.sendHeadersDue) {
        if (record.rewrittenLines !== null) draft.lines.splice(0, draft.lines.length, ...record.rewrittenLines);
        return;
      }
      record.sendHeadersDue = false;
      record.rewrittenLines = null;
      const listener = hooks._listenerFor('onBeforeSendHeaders', state.url, RESOURCE_TYPE);
      if (listener === undefined) {
        sendHeaders(hooks, state, record, draft);
        return;
      }
      const details = { ...baseDetails(state, record), ...uploadDataField(state), requestHeaders: headersOfLines(draft.lines) };
      return new Promise<void | Error>((resolve) => {
        callListener(() =>
          listener(details, once((response) => {
            queueMicrotask(() => {
              const answer = asObject(response);
              if (answer?.cancel === true) return resolve(netError('ERR_BLOCKED_BY_CLIENT'));
              const headers = asObject(answer?.requestHeaders);
              if (headers !== undefined) {
                const lines = linesOfHeaders(headers);
                draft.lines.splice(0, draft.lines.length, ...lines);
                record.rewrittenLines = lines;
              }
              if (!control.finished) sendHeaders(hooks, state, record, draft);
              resolve();
            });
          })),
        );
      });
    },

    onHead(head: HopHead): Verdict {
      const hooks = hooksOf(state);
      if (hooks === undefined) return undefined;
      const record = recordOf(state);
      record.head = head;
      if (record.internalRedirect !== null) {
        // Chromium reports its own redirect through onBeforeRedirect only.
        record.internalRedirect = null;
        beforeRedirect(hooks, state, record, head);
        return undefined;
      }
      const listener = hooks._listenerFor('onHeadersReceived', state.url, RESOURCE_TYPE);
      if (listener === undefined) {
        beforeRedirect(hooks, state, record, head);
        return undefined;
      }
      const originalStatusLine = statusLine(head);
      const details = { ...baseDetails(state, record), ...responseFields(head) };
      callListener(() =>
        listener(details, once((response) => {
          queueMicrotask(() => {
            if (control.finished) return;
            const answer = asObject(response);
            if (answer?.cancel === true) {
              control.fail(netError('ERR_BLOCKED_BY_CLIENT'));
              return;
            }
            const headers = asObject(answer?.responseHeaders);
            // As in Electron, a status line alone changes nothing: it goes with new headers.
            if (headers !== undefined) {
              rewriteHead(head, typeof answer!.statusLine === 'string' ? answer!.statusLine : originalStatusLine, headers);
            }
            beforeRedirect(hooks, state, record, head);
            control.proceed();
          });
        })),
      );
      return 'hold';
    },

    onRestart(reason: Restart): void {
      const hooks = hooksOf(state);
      if (hooks === undefined) return;
      const record = recordOf(state);
      if (reason.kind === 'redirect') {
        record.beforeRequestDue = true;
        record.sendHeadersDue = true;
      } else if (reason.kind === 'login') {
        record.sendHeadersDue = true;
      }
    },

    onResponse(head: HopHead): void {
      const hooks = hooksOf(state);
      if (hooks === undefined) return;
      const record = recordOf(state);
      record.head = head;
      const listener = hooks._listenerFor('onResponseStarted', state.url, RESOURCE_TYPE);
      if (listener === undefined) return;
      const details = { ...baseDetails(state, record), ...responseFields(head), ...ipField(head) };
      callListener(() => listener(details));
    },

    onEnd(error: Error | null): void {
      const hooks = hooksOf(state);
      if (hooks === undefined) return;
      const record = recordOf(state);
      const head = record.head;
      if (error === null && head !== null) {
        const listener = hooks._listenerFor('onCompleted', state.url, RESOURCE_TYPE);
        if (listener === undefined) return;
        const details = { ...baseDetails(state, record), ...responseFields(head), ...ipField(head), error: 'net::OK' };
        callListener(() => listener(details));
        return;
      }
      const listener = hooks._listenerFor('onErrorOccurred', state.url, RESOURCE_TYPE);
      if (listener === undefined) return;
      const message = error?.message ?? '';
      const details = {
        ...baseDetails(state, record),
        // Electron's details carry the address once a response arrived (a body cut short).
        ...(head === null ? {} : ipField(head)),
        fromCache: false,
        // The errors that are not net:: ones are the client's decisions ('Redirect was
        // cancelled', redirect policy 'error'): to Chromium's network service, a cancelled load.
        error: message.startsWith('net::') ? message : 'net::ERR_ABORTED',
      };
      callListener(() => listener(details));
    },
  };
}

/** onBeforeRedirect, when a head (as onHeadersReceived left it) is a redirect the network
 * would follow: as in Chromium's network service, before the application's 'redirect' event
 * decides whether it is followed. */
function beforeRedirect(hooks: WebRequest, state: HopState, record: WebRequestRecord, head: HopHead): void {
  if (!isRedirectStatus(head.statusCode)) return;
  const location = rawHeaderValue(head.rawHeaders, 'location');
  if (location === undefined) return;
  const target = redirectTarget(location, state.url);
  if (target === null) return;
  const listener = hooks._listenerFor('onBeforeRedirect', state.url, RESOURCE_TYPE);
  if (listener === undefined) return;
  const details = { ...baseDetails(state, record), redirectURL: target.href, ...responseFields(head), ...ipField(head) };
  callListener(() => listener(details));
}

function sendHeaders(hooks: WebRequest, state: HopState, record: WebRequestRecord, draft: HopDraft): void {
  const listener = hooks._listenerFor('onSendHeaders', state.url, RESOURCE_TYPE);
  if (listener === undefined) return;
  const details = { ...baseDetails(state, record), requestHeaders: headersOfLines(draft.lines) };
  callListener(() => listener(details));
}

function baseDetails(state: HopState, record: WebRequestRecord) {
  const referer = state.headers.get('referer');
  return {
    id: record.id,
    url: state.url.href,
    method: state.method,
    resourceType: RESOURCE_TYPE as 'other',
    referrer: referer === undefined ? '' : referer.wire,
    timestamp: Date.now(),
  };
}

function uploadData(state: HopState): Array<{ bytes: Buffer }> {
  const buffer = state.body.buffer;
  return buffer === null ? [] : [{ bytes: Buffer.from(buffer) }];
}

function uploadDataField(state: HopState): { uploadData?: Array<{ bytes: Buffer }> } {
  return state.body.buffer === null ? {} : { uploadData: uploadData(state) };
}

function responseFields(head: HopHead) {
  return {
    statusLine: statusLine(head),
    statusCode: head.statusCode,
    responseHeaders: responseHeaders(head.rawHeaders),
    fromCache: false,
  };
}

/** Electron's `ip`: the server address the request went to (the proxy's when proxied); absent
 * for a response made in this process (protocol handlers, internal redirects). */
function ipField(head: HopHead): { ip?: string } {
  return head.ip === undefined ? {} : { ip: head.ip };
}

/** Chromium's normalised status line: HTTP/2 and HTTP/3 heads read as HTTP/1.1. */
function statusLine(head: HopHead): string {
  const version = head.httpVersionMajor >= 2 ? '1.1' : `${head.httpVersionMajor}.${head.httpVersionMinor}`;
  return `HTTP/${version} ${head.statusCode}${head.statusMessage === '' ? '' : ` ${head.statusMessage}`}`;
}

/** Names as the server wrote them, every value in a list (Electron's HttpResponseHeadersToV8). */
function responseHeaders(raw: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const list = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
    if (list !== undefined) list.push(raw[i + 1]);
    else setOwn(out, name, [raw[i + 1]]);
  }
  return out;
}

function headersOfLines(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    const existing = Object.prototype.hasOwnProperty.call(out, name) ? out[name] : undefined;
    setOwn(out, name, existing === undefined ? value : `${existing}, ${value}`);
  }
  return out;
}

/** A plain assignment, except for a name that would reach the prototype (`__proto__`). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function linesOfHeaders(headers: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    lines.push(`${name}: ${Array.isArray(value) ? value.map(String).join(', ') : String(value)}`);
  }
  return lines;
}

/** Replaces a held head's status line and headers in place (the driver holds this object). */
function rewriteHead(head: HopHead, line: string, headers: Record<string, unknown>): void {
  const match = /^HTTP\/(\d)(?:\.(\d))?\s+(\d{3})(?:\s+(.*))?$/i.exec(line.trim());
  if (match !== null) {
    head.httpVersionMajor = Number(match[1]);
    head.httpVersionMinor = Number(match[2] ?? 0);
    head.statusCode = Number(match[3]);
    head.statusMessage = match[4] ?? '';
  }
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) raw.push(name, String(item));
  }
  head.rawHeaders = raw;
}

/** The hop Chromium makes up for a redirect onBeforeRequest asked for. */
function internalRedirect(to: URL): LocalHop {
  let stopped = false;
  return {
    start(listener: HopListener): void {
      queueMicrotask(() => {
        if (stopped) return;
        listener.onHead({
          statusCode: 307,
          statusMessage: 'Internal Redirect',
          httpVersionMajor: 1,
          httpVersionMinor: 1,
          rawHeaders: ['Location', to.href, 'Non-Authoritative-Reason', 'WebRequest API'],
          chunked: false,
        });
        if (!stopped) listener.onDone(localOutcome(307));
      });
    },
    acknowledge(): void {},
    abort(): void {
      stopped = true;
    },
  };
}

function once<T>(callback: (value: T) => void): (value: T) => void {
  let called = false;
  return (value: T) => {
    if (called) return;
    called = true;
    callback(value);
  };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** A listener that throws is the application's bug: it surfaces as an uncaught exception, as
 * in Electron's main process, and never unwinds through the hop driver. */
function callListener(call: () => void): void {
  try {
    call();
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}
