// Request headers: what goes out on each hop besides the application's own — User-Agent,
// Accept-Language, Origin, the Referer under the referrer policy, Sec-Fetch-* on potentially
// trustworthy URLs, the RFC 9218 priority header (and the HTTP/2 stream weight), and the
// Accept-Encoding the loaded libcurl can decode.
import {
  computeReferrer,
  fetchSite,
  FetchSite,
  isPotentiallyTrustworthy,
  lessTrusted,
  priorityHeader,
  requestedFetchMetadata,
  streamWeight,
} from '../fetch-metadata';
import { native } from '../native';
import { ignoresConnectionsLimit } from '../switches/ignore-connections-limit';
import type { HopControl, HopDraft, Restart, Stage } from './stage';

const ACCEPT_ENCODING_PLAIN = 'gzip, deflate';
let secureEncodings: string | undefined;
/** Chromium adds br and zstd on secure origins (the addon decodes them whatever libcurl has). */
function secureAcceptEncoding(): string {
  if (secureEncodings === undefined) {
    const features = native().versions().features;
    secureEncodings = ['gzip', 'deflate', ...(features.brotli ? ['br'] : []), ...(features.zstd ? ['zstd'] : [])].join(', ');
  }
  return secureEncodings;
}

class RequestHeaders implements Stage {
  private readonly initiator: URL | null;
  /** Sec-Fetch-Site: the least trusted relation over the redirect chain. */
  private site: FetchSite;

  constructor(private readonly control: HopControl) {
    const options = control.state.options;
    this.initiator = initiatorOf(options.origin ?? options.headers.get('origin')?.wire);
    this.site = fetchSite(this.initiator, options.url);
  }

  beforeHop(draft: HopDraft): void {
    const state = this.control.state;
    const options = state.options;
    const url = state.url;
    const headers = state.headers;
    const lines = draft.lines;
    const trustworthy = isPotentiallyTrustworthy(url);
    for (const [key, header] of headers) {
      if (key === 'referer') continue;
      if (trustworthy && key.startsWith('sec-fetch-')) continue;
      lines.push(`${header.name}: ${header.wire}`);
    }
    if (!headers.has('user-agent')) lines.push(`User-Agent: ${state.session.getUserAgent()}`);
    if (options.origin !== undefined && !headers.has('origin') && state.method !== 'GET' && state.method !== 'HEAD') {
      // Fetch adds Origin to requests that may change state when there is an initiator.
      lines.push(`Origin: ${this.initiator === null ? 'null' : this.initiator.origin}`);
    }
    const acceptLanguage = state.session._acceptLanguage;
    if (acceptLanguage !== undefined && !headers.has('accept-language')) lines.push(`Accept-Language: ${acceptLanguage}`);
    const referer = headers.get('referer');
    if (referer !== undefined) {
      const computed = computeReferrer(new URL(referer.wire), url, options.referrerPolicy);
      if (computed !== null) lines.push(`${referer.name}: ${computed}`);
    }
    if (trustworthy) {
      const meta = requestedFetchMetadata(options.headers);
      lines.push(`Sec-Fetch-Site: ${this.site}`, `Sec-Fetch-Mode: ${meta.mode}`, `Sec-Fetch-Dest: ${meta.dest}`);
      if (meta.user) lines.push('Sec-Fetch-User: ?1');
    }
    const secure = url.protocol === 'https:';
    if (secure) {
      // Electron raises a request exempt from the connection limits to the highest priority.
      const priority = ignoresConnectionsLimit(options.url) ? 'highest' : options.priority;
      if (!headers.has('priority')) {
        // Only HTTP/2 carries it in Chromium; libcurl cannot vary headers by the negotiated
        // version, so every https hop gets it (docs/api.md).
        const value = priorityHeader(priority, options.priorityIncremental);
        if (value !== null) lines.push(`priority: ${value}`);
      }
      draft.extras.streamWeight = streamWeight(priority);
    }
    draft.acceptEncoding = secure ? secureAcceptEncoding() : ACCEPT_ENCODING_PLAIN;
  }

  onRestart(reason: Restart): void {
    if (reason.kind === 'redirect') this.site = lessTrusted(this.site, fetchSite(this.initiator, reason.to));
  }
}

export function requestHeaders(control: HopControl): Stage {
  return new RequestHeaders(control);
}

function initiatorOf(origin: unknown): URL | null {
  if (origin === undefined) return null;
  try {
    return new URL(String(origin));
  } catch {
    return null;
  }
}
