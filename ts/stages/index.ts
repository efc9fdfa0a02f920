// The stages every session runs, in order (request-side hooks run top to bottom, response-side
// hooks bottom to top). A new per-hop feature is a new file in this folder and a line here; its
// place in the list decides what it sees: a stage below another sees that stage's request
// changes, and sees responses before it.
import { admission } from './admission';
import { authentication } from './authentication';
import { protocolHandlers } from './protocol-handlers';
import { proxyRouting } from './proxy-routing';
import { redirects } from './redirects';
import { requestHeaders } from './request-headers';
import { sessionConditions } from './session-conditions';
import type { StageFactory } from './stage';
import { webRequest, webRequestStart } from './web-request';

export const DEFAULT_STAGES: readonly StageFactory[] = Object.freeze([
  // webRequest's onBeforeRequest: before anything is planned or refused for a URL the
  // application may cancel or redirect (Chromium's NotifyBeforeURLRequest comes first).
  webRequestStart,
  // Handled schemes and file: are answered in this process (no proxy, no libcurl).
  protocolHandlers,
  admission, // refusals before any network
  proxyRouting, // which proxy (may wait for PAC); failover on the way back
  requestHeaders, // what goes on the wire besides the application's headers
  sessionConditions, // in flight for closeAllConnections(); network emulation per hop
  redirects, // 3xx → 'redirect', the next hop
  // Sees responses first: a 401/407 becomes 'login' before anything else looks at it, and any
  // other head (a redirect too) proves what this hop offered, as Chromium's network
  // transaction records credentials before URLRequest follows a redirect.
  authentication, // credentials up front
  // webRequest's other hooks. Last on the way out: onBeforeSendHeaders sees every header the
  // stages above wrote (libcurl adds Host and the credentials later, as Chromium's network
  // transaction does). First on the way back: onHeadersReceived may rewrite a head before
  // login and redirects look at it. A cookies stage belongs ABOVE this line (between
  // requestHeaders and redirects): its Cookie header is then visible to onBeforeSendHeaders
  // and its Set-Cookie handling sees the head as onHeadersReceived left it, as in Chromium.
  webRequest,
]);

export type { HopControl, HopDraft, HopState, LocalHop, Restart, Stage, StageFactory, Verdict } from './stage';
