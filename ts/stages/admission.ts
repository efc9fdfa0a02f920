// Admission: what Chromium refuses before any network — when the request starts, methods that
// are not tokens (or CONNECT), TRACE/TRACK outside no-cors, restricted headers, inconsistent
// fetch metadata, a Referer the policy would not send, and only-if-cached without a cache; on
// every hop (redirect targets included), URLs over Chromium's 2 MiB and restricted ports.
import { netError } from '../errors';
import { computeReferrer, fetchMetadataError, requestedFetchMetadata } from '../fetch-metadata';
import { isRestrictedHeader, isToken } from '../headers';
import { MAX_URL_CHARS } from '../request-limits';
import { isPortAllowed } from '../restricted-ports';
import type { HopControl, HopDraft, Stage } from './stage';

class Admission implements Stage {
  constructor(private readonly control: HopControl) {}

  start(): Error | null {
    const { options, method, headers, url } = this.control.state;
    if (!isToken(method) || method === 'CONNECT') return netError('ERR_INVALID_ARGUMENT');
    // There is no HTTP cache (yet): only-if-cached always misses.
    if (options.cache === 'only-if-cached') return netError('ERR_CACHE_MISS');
    const meta = requestedFetchMetadata(headers);
    if ((method === 'TRACE' || method === 'TRACK') && meta.mode !== 'no-cors') return netError('ERR_INVALID_ARGUMENT');
    for (const [key, header] of headers) {
      if (isRestrictedHeader(key, header.wire)) return netError('ERR_INVALID_ARGUMENT');
    }
    const metaError = fetchMetadataError(meta);
    if (metaError) return metaError;
    const referer = headers.get('referer');
    if (referer !== undefined) {
      let referrer: URL;
      try {
        referrer = new URL(referer.wire);
      } catch {
        return netError('ERR_BLOCKED_BY_CLIENT');
      }
      const computed = computeReferrer(referrer, url, options.referrerPolicy);
      if (computed === null || computed !== referrer.href) return netError('ERR_BLOCKED_BY_CLIENT');
    }
    return null;
  }

  beforeHop(draft: HopDraft): Error | undefined {
    const url = this.control.state.url;
    if (url.href.length > MAX_URL_CHARS) return netError('ERR_INVALID_URL');
    // Before any proxy lookup or connection, for every URL the request goes to; a hop answered
    // in this process (a protocol handler, onBeforeRequest's redirect) connects nowhere.
    if (draft.local === undefined && !isPortAllowed(url)) return netError('ERR_UNSAFE_PORT');
    return undefined;
  }
}

export function admission(control: HopControl): Stage {
  return new Admission(control);
}
