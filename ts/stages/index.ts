// The stages every session runs, in order (request-side hooks run top to bottom, response-side
// hooks bottom to top). A new per-hop feature is a new file in this folder and a line here; its
// place in the list decides what it sees: a stage below another sees that stage's request
// changes, and sees responses before it.
import { admission } from './admission';
import { authentication } from './authentication';
import { cookies } from './cookies';
import { hostResolver } from './host-resolver';
import { protocolHandlers } from './protocol-handlers';
import { hostMapping } from './host-mapping';
import { certificateVerify } from './certificate-verify';
import { clientCertificate } from './client-certificate';
import { connectionQueue } from './connection-queue';
import { proxyCertificateVerify } from './proxy-certificate-verify';
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
  hostResolver, // DNS answers cached before clearHostResolverCache() are not used
  hostMapping, // --host-rules / --host-resolver-rules (targets and proxies)
  requestHeaders, // what goes on the wire besides the application's headers
  sessionConditions, // in flight for closeAllConnections(); network emulation per hop
  redirects, // 3xx → 'redirect', the next hop
  // Sees responses after webRequest and cookies only: a 401/407 becomes 'login' before anything
  // else decides about it, and any other head (a redirect too) proves what this hop offered,
  // as Chromium's network transaction records credentials before URLRequest follows a redirect.
  authentication, // credentials up front
  // Below authentication and redirects, so it sees every head before they decide: Set-Cookie of
  // a redirect or a 401 is stored before the redirect is followed or 'login' is emitted. On the
  // way out it runs after requestHeaders, whose application Cookie header it may replace.
  cookies, // the credentials matrix: Cookie per hop, Set-Cookie stored
  // webRequest's other hooks. The last stage to write headers: onBeforeSendHeaders sees every header the
  // stages above wrote, the Cookie header included (libcurl adds Host and the credentials
  // later, as Chromium's network transaction does). First on the way back: onHeadersReceived
  // may rewrite a head (a Set-Cookie it adds is stored) before cookies, login and redirects
  // look at it, as in Chromium.
  webRequest,
  // Below webRequest, so it sees a hop's end before every stage above: a hop the certificate
  // gate held is not a response, a failure, a login or a webRequest event for them; it is
  // asked about and run again. On the way out it only sets TLS options.
  certificateVerify, // verify proc, certificates on errors, SSL config
  // After certificateVerify: its diagnostic hop's gate settings are the last word, and it
  // hears of that hop's end first.
  clientCertificate, // the session's identity for the host, or 'select-client-certificate'
  // An HTTPS proxy's own certificate, asked about before the hop (a probe) and pinned for it;
  // hears first of a hop whose proxy failed that pin.
  proxyCertificateVerify,
  // Last on the way out: a hop waits for a connection only once everything else about it is
  // decided (and a proxy plan may have waited already).
  connectionQueue, // per-host limit: hops start in priority order
]);

export type { HopControl, HopDraft, HopState, LocalHop, Restart, Stage, StageFactory, Verdict } from './stage';
