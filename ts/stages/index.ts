// The stages every session runs, in order (request-side hooks run top to bottom, response-side
// hooks bottom to top). A new per-hop feature is a new file in this folder and a line here; its
// place in the list decides what it sees: a stage below another sees that stage's request
// changes, and sees responses before it.
import { admission } from './admission';
import { authentication } from './authentication';
import { proxyRouting } from './proxy-routing';
import { redirects } from './redirects';
import { requestHeaders } from './request-headers';
import type { StageFactory } from './stage';

export const DEFAULT_STAGES: readonly StageFactory[] = Object.freeze([
  admission, // refusals before any network
  proxyRouting, // which proxy (may wait for PAC); failover on the way back
  requestHeaders, // what goes on the wire besides the application's headers
  authentication, // credentials up front; 401/407 → 'login' on the way back
  redirects, // 3xx → 'redirect', the next hop; sees responses first
]);

export type { HopControl, HopDraft, HopState, Restart, Stage, StageFactory, Verdict } from './stage';
