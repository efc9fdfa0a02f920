// Admission: what Chromium refuses when a request starts, before any network — methods that are
// not tokens (or CONNECT), TRACE/TRACK outside no-cors, restricted headers, inconsistent fetch
// metadata, a Referer the policy would not send, and only-if-cached without a cache.
import { netError } from '../errors';
import { computeReferrer, fetchMetadataError, requestedFetchMetadata } from '../fetch-metadata';
import { isRestrictedHeader, isToken, wireValue } from '../headers';
import type { HopControl, Stage } from './stage';

export function admission(control: HopControl): Stage {
  return {
    start(): Error | null {
      const { options, method, headers, url } = control.state;
      if (!isToken(method) || method === 'CONNECT') return netError('ERR_INVALID_ARGUMENT');
      // There is no HTTP cache (yet): only-if-cached always misses.
      if (options.cache === 'only-if-cached') return netError('ERR_CACHE_MISS');
      const meta = requestedFetchMetadata(headers);
      if ((method === 'TRACE' || method === 'TRACK') && meta.mode !== 'no-cors') return netError('ERR_INVALID_ARGUMENT');
      for (const [key, header] of headers) {
        if (isRestrictedHeader(key, wireValue(header.value))) return netError('ERR_INVALID_ARGUMENT');
      }
      const metaError = fetchMetadataError(meta);
      if (metaError) return metaError;
      const referer = headers.get('referer');
      if (referer !== undefined) {
        let referrer: URL;
        try {
          referrer = new URL(wireValue(referer.value));
        } catch {
          return netError('ERR_BLOCKED_BY_CLIENT');
        }
        const computed = computeReferrer(referrer, url, options.referrerPolicy);
        if (computed === null || computed !== referrer.href) return netError('ERR_BLOCKED_BY_CLIENT');
      }
      return null;
    },
  };
}
