// Authentication: offers known credentials on each hop (what this request learned, else the
// session's auth cache), and turns a 401 (server), a 407 from a plain-HTTP proxy, a refused
// CONNECT (407 on an HTTPS tunnel) or a SOCKS5 refusal into Electron's 'login' event, retrying
// the hop with the credentials the callback gives — possibly much later. While the application
// decides, the hop is held (its body unread, so the transfer is paused by flow control).
// Identities that need no prompt come first: user info in the URL, then the session's auth
// cache, then (Negotiate) the process's own Kerberos credentials.
import { AuthEntry, AuthScheme, defaultPort, HopCredential, SCHEME_MASK, urlScheme } from '../auth-cache';
import { allowedSchemes, ambientAllowedForServer, gssapiDelegationFor } from '../ambient-auth-policy';
import { AuthChallenge, chooseChallenge } from '../auth-challenge';
import { netError, type NetError } from '../errors';
import { rawHeaderValues } from '../headers';
import { CurlAuth, DoneFlag, HopHead, HopOutcome, native } from '../native';
import type { ProxyHop } from '../session-proxy';
import type { HopControl, HopDraft, Restart, Stage, Verdict } from './stage';

export interface AuthInfo {
  isProxy: boolean;
  scheme: string;
  host: string;
  port: number;
  realm: string;
}

export type LoginCallback = (username?: string, password?: string) => void;

/** Rejected identities per challenger and request before the challenge is given up on (the
 * 401/407 becomes the response, or a CONNECT fails). Keeps a listener that always answers
 * with the same wrong password from looping forever. */
export const MAX_REJECTED_IDENTITIES = 3;

interface Party {
  credential: HopCredential | null;
  /** The credential the current hop offered (to cache it on success, drop it on rejection). */
  offered: HopCredential | null;
  rejected: number;
  triedUrlIdentity: boolean;
  triedCache: boolean;
  triedAmbient: boolean;
}

function newParty(): Party {
  return { credential: null, offered: null, rejected: 0, triedUrlIdentity: false, triedCache: false, triedAmbient: false };
}

let supportedSchemes: Set<AuthScheme> | undefined;
function schemesLibcurlAnswers(): Set<AuthScheme> {
  if (supportedSchemes === undefined) {
    const f = native().versions().features;
    supportedSchemes = new Set<AuthScheme>(['basic', 'digest']);
    if (f.ntlm) supportedSchemes.add('ntlm');
    if (f.spnego || f.gssapi) supportedSchemes.add('negotiate');
  }
  return supportedSchemes;
}

let negotiateBlocked: string | null | undefined;
/** Why Negotiate cannot work in this process, or null. The prebuild opens the system's GSS-API
 * library (libgssapi_krb5.so.2) the first time this is asked, so it is only asked when Negotiate
 * could be used: a challenge offers it, or credentials may be used with any scheme. */
function negotiateUnavailable(): string | null {
  if (negotiateBlocked === undefined) {
    negotiateBlocked = schemesLibcurlAnswers().has('negotiate') ? native().gssapiUnavailable() : null;
  }
  return negotiateBlocked;
}

/** The challenge to answer. When Negotiate's library is missing the next scheme offered is
 * answered instead (as Chromium does); when Negotiate was the only one, the request fails with
 * an error whose cause says what to install (Chromium would show the 401/407). */
function pickChallenge(headers: readonly string[], ambientAllowed: boolean): AuthChallenge | NetError | null {
  const schemes = allowedSchemes(schemesLibcurlAnswers());
  const challenge = chooseChallenge(headers, schemes);
  if (challenge?.scheme !== 'negotiate') return challenge;
  const others = new Set([...schemes].filter((scheme) => scheme !== 'negotiate'));
  const why = negotiateUnavailable();
  if (why !== null) return chooseChallenge(headers, others) ?? netError('ERR_MISCONFIGURED_AUTH_ENVIRONMENT', { cause: new Error(why) });
  // libcurl's Negotiate can only use the ambient identity: for a server that may not have it,
  // Negotiate is no option, as for Chromium on Linux (another offered scheme goes to 'login';
  // Negotiate alone leaves the 401 as the response).
  return ambientAllowed ? challenge : chooseChallenge(headers, others);
}

/** CURLAUTH_* bits for credentials that may answer any scheme: without Negotiate when it cannot
 * work, or libcurl would pick it over the others and fail. */
function anySchemeMask(): number {
  let mask = negotiateUnavailable() === null ? CurlAuth.Any : CurlAuth.Any & ~CurlAuth.Negotiate;
  const allowed = allowedSchemes(schemesLibcurlAnswers());
  for (const [scheme, bit] of [['basic', CurlAuth.Basic], ['digest', CurlAuth.Digest | CurlAuth.DigestIe], ['ntlm', CurlAuth.Ntlm], ['negotiate', CurlAuth.Negotiate]] as const) {
    if (!allowed.has(scheme)) mask &= ~bit;
  }
  return mask;
}

const CURLE_PROXY = 97;
/** CURLPX_* codes for a SOCKS5 proxy that wants (other) credentials: no acceptable
 * method offered, or username/password rejected. */
const SOCKS_AUTH_REFUSED = new Set([12, 33]);

export function authentication(control: HopControl): Stage {
  return new Authentication(control);
}

class Authentication implements Stage {
  // Made the first time there is something to remember: most requests never meet a challenge
  // or offer a credential, and an open response would otherwise keep two records it never used.
  private _server: Party | null = null;
  private _proxy: Party | null = null;
  /** A challenge waits for the application's 'login' callback. */
  private _waiting = false;
  /** The held challenge came without a head (refused CONNECT, SOCKS): giving up fails. */
  private _headless = false;

  constructor(private readonly _control: HopControl) {}

  /** Credentials to offer before any challenge: what this request learned, else the session's
   * cache. Server credentials are never offered under credentials: 'omit'. */
  beforeHop(draft: HopDraft): void {
    const state = this._control.state;
    const cache = state.session._authCache;
    const url = state.url;
    const proxy = state.proxy;
    const omitServerAuth = state.options.credentials === 'omit';
    let server: HopCredential | undefined;
    if (!omitServerAuth) server = this._server?.credential ?? cache.latestFor(false, urlScheme(url), url.hostname, defaultPort(url));
    let forProxy: HopCredential | undefined;
    if (proxy.host !== undefined) {
      forProxy =
        this._proxy?.credential ??
        cache.latestFor(true, proxy.scheme!, proxy.host, proxy.port!) ??
        (proxy.username !== undefined
          ? // Credentials that came with the setting (environment variables): any scheme.
            { username: proxy.username, password: proxy.password ?? '', mask: anySchemeMask() }
          : undefined);
    }
    if (server !== undefined) this._party(false).offered = server;
    else if (this._server !== null) this._server.offered = null;
    if (forProxy !== undefined) this._party(true).offered = forProxy;
    else if (this._proxy !== null) this._proxy.offered = null;
    const extras = draft.extras;
    if (server) {
      extras.username = server.username;
      extras.password = server.password;
      extras.httpAuth = server.mask;
    }
    if (forProxy) {
      extras.proxyUsername = forProxy.username;
      extras.proxyPassword = forProxy.password;
      extras.proxyAuth = forProxy.mask;
    }
    const delegation = gssapiDelegationFor(url, proxy);
    if (delegation !== 0) extras.gssapiDelegation = delegation;
  }

  onHead(head: HopHead): Verdict {
    const state = this._control.state;
    const status = head.statusCode;
    const proxyHop = state.proxy;
    const throughPlainProxy = proxyHop.host !== undefined && state.url.protocol === 'http:';
    let isProxy: boolean;
    if (status === 401 && state.options.credentials !== 'omit') isProxy = false;
    else if (status === 407 && throughPlainProxy) isProxy = true;
    else {
      this._succeeded(status, proxyHop);
      return undefined;
    }
    const header = isProxy ? 'proxy-authenticate' : 'www-authenticate';
    const challenge = pickChallenge(rawHeaderValues(head.rawHeaders, header), isProxy || ambientAllowedForServer(state.session, state.url));
    if (challenge === null) return undefined;
    this._headless = false;
    return challenge instanceof Error ? this._fail(challenge) : this._challenge(isProxy, challenge);
  }

  /** A hop through a proxy can be refused before any response: CONNECT 407, SOCKS5 auth. */
  onDone(outcome: HopOutcome): Verdict {
    const proxyHop = this._control.state.proxy;
    if (proxyHop.host === undefined || outcome.curlCode === 0) return undefined;
    this._headless = true;
    if (proxyHop.scheme === 'socks5' && outcome.curlCode === CURLE_PROXY && SOCKS_AUTH_REFUSED.has(outcome.proxyError)) {
      return this._challenge(true, { scheme: 'socks5', realm: '' });
    }
    if (outcome.connectCode === 407 && (outcome.flags & DoneFlag.UsedProxy)) {
      const challenge = pickChallenge(outcome.connectChallenges, true);
      if (challenge === null) return undefined;
      return challenge instanceof Error ? this._fail(challenge) : this._challenge(true, challenge);
    }
    return undefined;
  }

  onRestart(reason: Restart): void {
    this._waiting = false;
    // Credentials for the server do not follow a hop to another origin.
    if (reason.kind === 'redirect' && reason.crossOrigin) this._server = null;
  }

  /** Answers a challenge: 'handled' when the hop was retried or failed right away, 'hold' while
   * the application decides. */
  private _challenge(isProxy: boolean, challenge: AuthChallenge): Verdict {
    const control = this._control;
    const state = control.state;
    const party = this._party(isProxy);
    const proxyHop = state.proxy;
    const url = state.url;
    const info: AuthInfo = {
      isProxy,
      scheme: challenge.scheme,
      host: isProxy ? proxyHop.host! : url.hostname,
      port: isProxy ? proxyHop.port! : defaultPort(url),
      realm: challenge.realm,
    };
    const cache = state.session._authCache;
    const protocol = isProxy ? proxyHop.scheme! : urlScheme(url);
    const key = { isProxy, protocol, scheme: challenge.scheme, host: info.host, port: info.port, realm: info.realm };

    if (party.offered !== null) {
      // What we offered was refused: never offer it again.
      party.rejected += 1;
      if (party.offered.entry) cache.remove(party.offered.entry);
      party.credential = null;
      party.offered = null;
    }
    if (party.rejected >= MAX_REJECTED_IDENTITIES) return this._giveUp();
    if (!state.body.canReplay()) {
      control.fail(netError('ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED'));
      return 'handled';
    }
    const original = state.options.url;
    if (!isProxy && !party.triedUrlIdentity && original.username !== '' && original.origin === url.origin) {
      party.triedUrlIdentity = true;
      const username = decodeURIComponent(original.username);
      const password = decodeURIComponent(original.password);
      return this._retry(party, { username, password, mask: SCHEME_MASK[challenge.scheme], entry: { ...key, username, password } });
    }
    if (!party.triedCache) {
      party.triedCache = true;
      const cached = cache.find(key);
      if (cached !== undefined) {
        return this._retry(party, { username: cached.username, password: cached.password, mask: SCHEME_MASK[cached.scheme], entry: cached });
      }
    }
    if (challenge.scheme === 'negotiate' && !party.triedAmbient) {
      // Like Chromium, Negotiate first tries the process's own Kerberos credentials (the ticket
      // cache) without asking: empty credentials tell libcurl to use them.
      party.triedAmbient = true;
      return this._retry(party, { username: '', password: '', mask: SCHEME_MASK.negotiate });
    }
    let answered = false;
    const callback: LoginCallback = (username?: string, password?: string) => {
      if (answered) return;
      answered = true;
      if (control.finished || !this._waiting) return;
      this._waiting = false;
      if (typeof username === 'string' && typeof password === 'string') {
        this._retry(party, { username, password, mask: SCHEME_MASK[challenge.scheme], entry: { ...key, username, password } });
      } else {
        this._giveUp();
      }
    };
    this._waiting = true;
    if (!control.emit('login', info, callback)) {
      this._waiting = false;
      return this._giveUp();
    }
    return 'hold';
  }

  private _party(isProxy: boolean): Party {
    return isProxy ? (this._proxy ??= newParty()) : (this._server ??= newParty());
  }

  private _fail(error: Error): Verdict {
    this._control.fail(error);
    return 'handled';
  }

  private _retry(party: Party, credential: HopCredential): Verdict {
    party.credential = credential;
    this._control.restart({ kind: 'login' });
    return 'handled';
  }

  /** The challenge stands: a 401/407 response becomes the response; a refused tunnel fails. */
  private _giveUp(): Verdict {
    this._waiting = false;
    if (this._headless) {
      // A proxy that refused us before any origin response: a CONNECT tunnel (Electron's
      // ERR_TUNNEL_CONNECTION_FAILED) or a SOCKS handshake.
      const socks = this._control.state.proxy.scheme === 'socks5';
      this._control.fail(netError(socks ? 'ERR_SOCKS_CONNECTION_FAILED' : 'ERR_TUNNEL_CONNECTION_FAILED'));
      return 'handled';
    }
    this._control.release();
    return 'handled';
  }

  /** A non-challenge head arrived: whatever was offered on this hop worked. */
  private _succeeded(status: number, proxyHop: ProxyHop): void {
    const cache = this._control.state.session._authCache;
    const server = this._server?.offered;
    if (server?.entry && status !== 401) cache.add(server.entry as AuthEntry);
    const proxy = this._proxy?.offered;
    if (proxy?.entry && status !== 407 && proxyHop.host !== undefined) cache.add(proxy.entry as AuthEntry);
  }
}
