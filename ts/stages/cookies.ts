// Cookies on the wire, per hop, with Electron's credentials matrix: by default none are sent or
// stored (HTTP auth still works); `useSessionCookies: true` or `credentials: 'include'` send and
// store them; 'omit' neither; 'same-origin' only on hops whose URL has the origin of `origin`.
// Each hop carries the cookies chosen for its own URL; Set-Cookie is stored from every origin
// head — redirects and 401s included — before any other stage decides about that head (this stage
// is last in the list, so it sees heads first). SameSite is decided as Chromium does for a
// request with no browser context: the site for cookies is the request's first URL (Electron
// sets it so, and redirects do not update it), the initiator is `origin` (or an Origin header);
// once the chain has been cross-site, SameSite=Lax/Strict cookies stay out.
import { rawHeaderValues } from '../headers';
import type { HopHead } from '../native';
import type { SameSiteContext } from '../cookies/cookie-store';
import { sameSite } from '../cookies/site';
import type { HopControl, HopDraft, Restart, Stage, Verdict } from './stage';

const NO_COOKIES: Stage = Object.freeze({});

/** The initiator: null when there is none, 'opaque' for an origin that is not a URL ("null"). */
function initiatorOf(origin: unknown): URL | 'opaque' | null {
  if (origin === undefined) return null;
  try {
    const url = new URL(String(origin));
    return url.origin === 'null' ? 'opaque' : url;
  } catch {
    return 'opaque';
  }
}

export function cookies(control: HopControl): Stage {
  const state = control.state;
  const options = state.options;
  const mode = options.credentials;
  if (mode === 'omit' || (mode === undefined && !options.useSessionCookies)) return NO_COOKIES;
  const initiator = initiatorOf(options.origin ?? options.headers.get('origin')?.wire);
  const sameOriginOnly = mode === 'same-origin' ? initiator : undefined;
  const siteForCookies = options.url;
  let chainCrossSite = false;

  function usable(url: URL): boolean {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (sameOriginOnly === undefined) return true;
    return sameOriginOnly !== null && sameOriginOnly !== 'opaque' && sameOriginOnly.origin === url.origin;
  }

  function contextFor(url: URL): SameSiteContext {
    if (chainCrossSite || !sameSite(url, siteForCookies)) return 'none';
    if (initiator === 'opaque' || (initiator !== null && !sameSite(initiator, url))) return 'none';
    return 'strict';
  }

  return {
    beforeHop(draft: HopDraft): void {
      const url = state.url;
      const store = state.session._storage.store;
      if (store.size === 0 || !usable(url)) return;
      const value = store.cookieHeader(url, contextFor(url));
      if (value === '') return;
      // The store's cookies replace a Cookie header the application set (Chromium's
      // URLRequestHttpJob overwrites it); with no stored cookie, the application's goes as is.
      const lines = draft.lines;
      for (let i = lines.length - 1; i >= 0; i--) {
        if (lines[i].length > 7 && lines[i].charCodeAt(6) === 58 /* : */ && lines[i].slice(0, 6).toLowerCase() === 'cookie') lines.splice(i, 1);
      }
      lines.push(`Cookie: ${value}`);
    },

    onHead(head: HopHead): Verdict {
      const url = state.url;
      // A 407 comes from the proxy, not from the origin whose cookies these would become (the
      // cookie injection Firefox closed in 2015, MFSA 2015-04).
      if (head.statusCode === 407 || !usable(url)) return undefined;
      const values = rawHeaderValues(head.rawHeaders, 'set-cookie');
      if (values.length === 0) return undefined;
      const store = state.session._storage.store;
      const context = contextFor(url);
      for (const value of values) store.storeFromResponse(value, url, context);
      return undefined;
    },

    onRestart(reason: Restart): void {
      if (reason.kind === 'redirect' && !sameSite(reason.to, siteForCookies)) chainCrossSite = true;
    },
  };
}
