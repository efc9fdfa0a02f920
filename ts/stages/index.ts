// The stages every session runs, in order (request-side hooks run top to bottom, response-side
// hooks bottom to top). A new per-hop feature is a new file in this folder and a line here; its
// place in the list decides what it sees: a stage below another sees that stage's request
// changes, and sees responses before it.
import { admission } from './admission';
import { authentication } from './authentication';
import { certificateVerify } from './certificate-verify';
import { clientCertificate } from './client-certificate';
import { connectionQueue } from './connection-queue';
import { proxyRouting } from './proxy-routing';
import { redirects } from './redirects';
import { requestHeaders } from './request-headers';
import type { StageFactory } from './stage';

export const DEFAULT_STAGES: readonly StageFactory[] = Object.freeze([
  admission, // refusals before any network
  proxyRouting, // which proxy (may wait for PAC); failover on the way back
  requestHeaders, // what goes on the wire besides the application's headers
  redirects, // 3xx → 'redirect', the next hop
  // Sees responses first: a 401/407 becomes 'login' before anything else looks at it, and any
  // other head (a redirect too) proves what this hop offered, as Chromium's network
  // transaction records credentials before URLRequest follows a redirect.
  authentication, // credentials up front
  // Sees a hop's end before the stages above: a hop the certificate gate held is not a
  // response, a failure or a login for them; it is asked about and run again.
  certificateVerify, // verify proc, certificates on errors, SSL config
  // After certificateVerify: its diagnostic hop's gate settings are the last word, and it
  // hears of that hop's end first.
  clientCertificate, // the session's identity for the host, or 'select-client-certificate'
  // Last on the way out: a hop waits for a connection only once everything else about it is
  // decided (and a proxy plan may have waited already).
  connectionQueue, // per-host limit: hops start in priority order
]);

export type { HopControl, HopDraft, HopState, Restart, Stage, StageFactory, Verdict } from './stage';
