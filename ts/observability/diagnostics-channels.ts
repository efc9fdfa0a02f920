// node:diagnostics_channel events for each request, shaped after undici's `undici:request:*`
// channels so that tracing tools (OpenTelemetry's undici instrumentation, for one) can adopt
// them with a change of prefix:
//   curl-net:request:create      { request }            the request object was made
//   curl-net:client:sendHeaders  { request, headers }   a hop was handed to libcurl
//   curl-net:request:headers     { request, response }  the response head (final hop)
//   curl-net:request:trailers    { request, trailers }  the response body ended
//   curl-net:request:error       { request, error }     the request failed or was aborted
// `request` is the same object in every message of one request: origin, method, path, url,
// headers (flat [name, value, …], the application's), completed, aborted, hop, and
// addHeader(name, value), which adds a request header while `create` is being published (how
// tracers inject trace context). Credentials and cookies are never in these messages unless
// the application set them as headers itself.
import * as dc from 'node:diagnostics_channel';
import { validateHeader } from '../headers';
import type { HopHead } from '../native';
import type { HopStart, ObservedRequest, RequestSink } from './request-observer';
import { redactHeaderLine } from './redact';

export const CHANNELS = {
  create: dc.channel('curl-net:request:create'),
  sendHeaders: dc.channel('curl-net:client:sendHeaders'),
  headers: dc.channel('curl-net:request:headers'),
  trailers: dc.channel('curl-net:request:trailers'),
  error: dc.channel('curl-net:request:error'),
};
const ALL = Object.values(CHANNELS);

/** The `request` of every message. */
export class DiagnosticsRequest {
  completed = false;
  aborted = false;
  /** Hops started so far (redirects, login retries, proxy failover). */
  hop = 0;
  /** @internal */ _open = true;
  constructor(private readonly observed: ObservedRequest) {}

  get url(): string {
    return this.observed.state.url.href;
  }
  get origin(): string {
    return this.observed.state.url.origin;
  }
  get path(): string {
    const u = this.observed.state.url;
    return `${u.pathname}${u.search}`;
  }
  get method(): string {
    return this.observed.state.method;
  }
  get headers(): string[] {
    const out: string[] = [];
    for (const h of this.observed.state.headers.values()) out.push(h.name, h.wire);
    return out;
  }

  /** Adds (or replaces) a request header; only while `curl-net:request:create` is published. */
  addHeader(name: string, value: string): this {
    if (!this._open) throw new Error('addHeader() is only possible while curl-net:request:create is published');
    const wire = validateHeader(name, value);
    this.observed.state.headers.set(name.toLowerCase(), { name, value, wire });
    return this;
  }
}

class DiagnosticsSink implements RequestSink {
  private request: DiagnosticsRequest | null = null;

  private of(observed: ObservedRequest): DiagnosticsRequest {
    return (this.request ??= new DiagnosticsRequest(observed));
  }

  created(observed: ObservedRequest): void {
    const request = this.of(observed);
    if (CHANNELS.create.hasSubscribers) {
      try {
        CHANNELS.create.publish({ request });
      } finally {
        request._open = false;
      }
    } else request._open = false;
  }

  hopStarted(observed: ObservedRequest, hop: HopStart): void {
    const request = this.of(observed);
    request.hop = hop.hop;
    if (!CHANNELS.sendHeaders.hasSubscribers) return;
    const lines = [`${hop.method} ${hop.url}`];
    for (const h of observed.state.headers.values()) lines.push(redactHeaderLine(`${h.name}: ${h.wire}`));
    for (const line of hop.extraLines) lines.push(redactHeaderLine(line));
    CHANNELS.sendHeaders.publish({ request, headers: `${lines.join('\r\n')}\r\n`, proxy: hop.proxy === '' ? null : hop.proxy });
  }

  response(observed: ObservedRequest, head: HopHead): void {
    if (!CHANNELS.headers.hasSubscribers) return;
    CHANNELS.headers.publish({
      request: this.of(observed),
      response: { statusCode: head.statusCode, statusText: head.statusMessage, headers: head.rawHeaders.slice() },
    });
  }

  completed(observed: ObservedRequest): void {
    const request = this.of(observed);
    request.completed = true;
    if (CHANNELS.trailers.hasSubscribers) CHANNELS.trailers.publish({ request, trailers: [] });
  }

  failed(observed: ObservedRequest, error: Error): void {
    const request = this.of(observed);
    if ((error as { code?: string }).code === 'ERR_ABORTED') request.aborted = true;
    if (CHANNELS.error.hasSubscribers) CHANNELS.error.publish({ request, error });
  }
}

export function diagnosticsSink(): RequestSink | null {
  for (let i = 0; i < ALL.length; i++) if (ALL[i]!.hasSubscribers) return new DiagnosticsSink();
  return null;
}
