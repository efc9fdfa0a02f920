// Host resolver cache: after ses.clearHostResolverCache(), hops do not use DNS answers libcurl
// cached before the clear. libcurl keeps them in the session's multi handle for 60 s and has no
// call to flush them, so each hop within those 60 s tells libcurl how old an answer may be
// (native: CURLOPT_DNS_CACHE_TIMEOUT). Connections already open are kept, as in Chromium.
import type { HopControl, HopDraft, Stage } from './stage';

/** libcurl's default DNS cache lifetime: older answers are stale anyway. */
export const LIBCURL_DNS_CACHE_MS = 60_000;

export function hostResolver(control: HopControl): Stage | null {
  const session = control.state.session;
  if (session._resolverClearedAt === 0 || Date.now() - session._resolverClearedAt >= LIBCURL_DNS_CACHE_MS) return null;
  return {
    beforeHop(draft: HopDraft): void {
      const ago = Date.now() - session._resolverClearedAt;
      if (ago < LIBCURL_DNS_CACHE_MS) draft.extras.resolverClearedMsAgo = Math.max(1, ago);
    },
  };
}
