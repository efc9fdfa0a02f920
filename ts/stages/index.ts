// The stages every session runs, in order (request-side hooks run top to bottom, response-side
// hooks bottom to top). A new per-hop feature is a new file in this folder and a line here; its
// place in the list decides what it sees: a stage below another sees that stage's request
// changes, and sees responses before it.
import { admission } from './admission';
import { authentication } from './authentication';
import { cookies } from './cookies';
import { hostResolver } from './host-resolver';
import { proxyRouting } from './proxy-routing';
import { redirects } from './redirects';
import { requestHeaders } from './request-headers';
import type { StageFactory } from './stage';

export const DEFAULT_STAGES: readonly StageFactory[] = Object.freeze([
  admission, // refusals before any network
  proxyRouting, // which proxy (may wait for PAC); failover on the way back
  hostResolver, // DNS answers cached before clearHostResolverCache() are not used
  requestHeaders, // what goes on the wire besides the application's headers
  redirects, // 3xx → 'redirect', the next hop
  // Sees responses before every stage but cookies: a 401/407 becomes 'login' before anything
  // else decides about it, and any other head (a redirect too) proves what this hop offered,
  // as Chromium's network transaction records credentials before URLRequest follows a redirect.
  authentication, // credentials up front
  // Last, so it sees every head first: Set-Cookie of a redirect or a 401 is stored before
  // the redirect is followed or 'login' is emitted; on the way out it runs after
  // requestHeaders, whose application Cookie header it may replace.
  cookies, // the credentials matrix: Cookie per hop, Set-Cookie stored
]);

export type { HopControl, HopDraft, HopState, Restart, Stage, StageFactory, Verdict } from './stage';
