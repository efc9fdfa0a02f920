// What Chromium adds to or checks on every hop of a browser-initiated request: the
// Sec-Fetch-* headers (only for potentially trustworthy URLs), the Referer under the
// request's referrer policy, and the RFC 9218 priority header.
import { sameSite } from './cookies/site';
import type { Priority, ParsedRequestOptions } from './request-options';

const FETCH_MODES = new Set(['navigate', 'cors', 'no-cors', 'same-origin']);
const FETCH_DESTS = new Set([
  'audio', 'audioworklet', 'document', 'embed', 'empty', 'fencedframe', 'font', 'frame', 'iframe',
  'image', 'manifest', 'object', 'paintworklet', 'report', 'script', 'serviceworker', 'style',
  'track', 'video', 'worker', 'xslt',
]);
const NAVIGATION_DESTS = new Set(['document', 'frame', 'iframe', 'fencedframe']);

export function isPotentiallyTrustworthy(url: URL): boolean {
  if (url.protocol === 'https:' || url.protocol === 'wss:') return true;
  const host = url.hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type FetchSite = 'none' | 'same-origin' | 'same-site' | 'cross-site';
const SITE_RANK: Record<FetchSite, number> = { none: 0, 'same-origin': 1, 'same-site': 2, 'cross-site': 3 };

export function fetchSite(initiator: URL | null, target: URL): FetchSite {
  if (initiator === null) return 'none';
  if (initiator.origin === target.origin) return 'same-origin';
  // Registrable domains from the public suffix list, as Chromium: a.co.uk and b.co.uk are cross-site.
  if (sameSite(initiator, target)) return 'same-site';
  return 'cross-site';
}

/** The least trusted value over a redirect chain wins. */
export function lessTrusted(a: FetchSite, b: FetchSite): FetchSite {
  return SITE_RANK[a] >= SITE_RANK[b] ? a : b;
}

export interface FetchMetadata {
  mode: string;
  dest: string;
  user: boolean;
}

/** Reads the caller's sec-fetch-mode/-dest/-user headers (other values are ignored). */
export function requestedFetchMetadata(headers: ParsedRequestOptions['headers']): FetchMetadata {
  const mode = String(headers.get('sec-fetch-mode')?.wire ?? '').toLowerCase();
  const dest = String(headers.get('sec-fetch-dest')?.wire ?? '').toLowerCase();
  return {
    mode: FETCH_MODES.has(mode) ? mode : 'no-cors',
    dest: FETCH_DESTS.has(dest) ? dest : 'empty',
    user: String(headers.get('sec-fetch-user')?.wire ?? '') === '?1',
  };
}

/** The TypeError Electron raises (asynchronously) for a navigation destination outside
 * navigate mode. */
export function fetchMetadataError(meta: FetchMetadata): TypeError | null {
  if (NAVIGATION_DESTS.has(meta.dest) && meta.mode !== 'navigate') {
    return new TypeError(
      "sec-fetch-dest of 'document', 'frame', 'iframe' or 'fencedframe' requires sec-fetch-mode 'navigate'",
    );
  }
  return null;
}

function stripForReferrer(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** The Referer Chromium would send for `referrer` to `target` under `policy` (null: none). */
export function computeReferrer(referrer: URL, target: URL, policy: ParsedRequestOptions['referrerPolicy']): string | null {
  if (referrer.protocol !== 'http:' && referrer.protocol !== 'https:') return null;
  const full = stripForReferrer(referrer);
  const origin = `${referrer.origin}/`;
  const sameOrigin = referrer.origin === target.origin;
  const downgrade = referrer.protocol === 'https:' && !isPotentiallyTrustworthy(target);
  switch (policy) {
    case 'no-referrer':
      return null;
    case 'unsafe-url':
      return full;
    case 'origin':
      return origin;
    case 'same-origin':
      return sameOrigin ? full : null;
    case 'origin-when-cross-origin':
      return sameOrigin ? full : origin;
    case 'no-referrer-when-downgrade':
      return downgrade ? null : full;
    case 'strict-origin':
      return downgrade ? null : origin;
    case 'strict-origin-when-cross-origin':
    default:
      if (sameOrigin) return full;
      return downgrade ? null : origin;
  }
}

const URGENCY: Record<Priority, number> = { highest: 0, medium: 1, low: 2, lowest: 3, idle: 4, throttled: 5 };
const WEIGHT: Record<Priority, number> = { highest: 256, medium: 220, low: 183, lowest: 147, idle: 110, throttled: 74 };

/** RFC 9218 priority header value as Chromium sends it (null when it would be absent). */
export function priorityHeader(priority: Priority, incremental: boolean): string | null {
  const urgency = URGENCY[priority];
  if (urgency === 3) return incremental ? 'i' : null;
  return incremental ? `u=${urgency}, i` : `u=${urgency}`;
}

/** HTTP/2 stream weight Chromium derives from the priority. */
export function streamWeight(priority: Priority): number {
  return WEIGHT[priority];
}
