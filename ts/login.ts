// The 'login' flow of one request: turns a 401 (server), a 407 from a plain-HTTP proxy, or a
// refused CONNECT (407 on an HTTPS tunnel) into Electron's 'login' event, and retries the hop
// with the credentials the callback gives — possibly much later. While the application
// decides, the challenge response is held (its body unread, so the transfer is paused by
// flow control). Identities that need no prompt come first: user info in the URL, then the
// session's auth cache.
import { AuthCache, AuthEntry, AuthScheme, defaultPort, HopCredential, SCHEME_MASK } from './auth-cache';
import { AuthChallenge, chooseChallenge } from './auth-challenge';
import { netError, type NetError } from './errors';
import { rawHeaderValues } from './headers';
import { CurlAuth, DoneFlag, HopHead, HopOutcome, native } from './native';
import type { Session } from './session';
import type { ProxyHop } from './session-proxy';

export interface AuthInfo {
  isProxy: boolean;
  scheme: string;
  host: string;
  port: number;
  realm: string;
}

export type LoginCallback = (username?: string, password?: string) => void;

/** What the controller needs from its request. */
export interface AuthChallengeContext {
  session(): Session;
  url(): URL;
  originalUrl(): URL;
  proxy(): ProxyHop | null;
  serverAuthAllowed(): boolean;
  canReplayBody(): boolean;
  /** Emits 'login'; false when nobody listens. */
  emitLogin(authInfo: AuthInfo, callback: LoginCallback): boolean;
  isFinished(): boolean;
  retry(): void;
  respond(head: HopHead): unknown;
  deliver(chunk: Buffer): void;
  complete(outcome: HopOutcome): void;
  fail(error: Error): void;
}

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
function pickChallenge(headers: readonly string[]): AuthChallenge | NetError | null {
  const schemes = schemesLibcurlAnswers();
  const challenge = chooseChallenge(headers, schemes);
  if (challenge?.scheme !== 'negotiate') return challenge;
  const why = negotiateUnavailable();
  if (why === null) return challenge;
  const others = new Set([...schemes].filter((scheme) => scheme !== 'negotiate'));
  return chooseChallenge(headers, others) ?? netError('ERR_MISCONFIGURED_AUTH_ENVIRONMENT', { cause: new Error(why) });
}

/** CURLAUTH_* bits for credentials that may answer any scheme: without Negotiate when it cannot
 * work, or libcurl would pick it over the others and fail. */
function anySchemeMask(): number {
  return negotiateUnavailable() === null ? CurlAuth.Any : CurlAuth.Any & ~CurlAuth.Negotiate;
}

/** Credentials to offer on a hop before any challenge: what this request learned, else the
 * session's cache. Server credentials are never offered under credentials: 'omit'. */
export function hopCredentials(
  login: LoginController | null,
  cache: AuthCache,
  url: URL,
  proxy: ProxyHop,
  omitServerAuth: boolean,
): { server?: HopCredential; proxy?: HopCredential } {
  const result: { server?: HopCredential; proxy?: HopCredential } = {};
  const server = login?.server.credential ?? (omitServerAuth ? undefined : cache.latestFor(false, url.hostname, defaultPort(url)));
  if (server && !omitServerAuth) result.server = server;
  if (proxy.host !== undefined) {
    const forProxy =
      login?.proxy.credential ??
      cache.latestFor(true, proxy.host, proxy.port!) ??
      (proxy.username !== undefined
        ? // Credentials that came with the setting (environment variables): any scheme.
          { username: proxy.username, password: proxy.password ?? '', mask: anySchemeMask() }
        : undefined);
    if (forProxy) result.proxy = forProxy;
  }
  if (login !== null) {
    login.server.offered = result.server ?? null;
    login.proxy.offered = result.proxy ?? null;
  }
  return result;
}

const CURLE_PROXY = 97;
/** CURLPX_* codes for a SOCKS5 proxy that wants (other) credentials: no acceptable
 * method offered, or username/password rejected. */
const SOCKS_AUTH_REFUSED = new Set([12, 33]);


export class LoginController {
  readonly server: Party = newParty();
  readonly proxy: Party = newParty();
  private _held: { head: HopHead | null; data: Buffer[]; outcome: HopOutcome | null } | null = null;
  private _attempts = 0;

  constructor(private readonly _ctx: AuthChallengeContext) {}

  /** How many hops this controller restarted. */
  get attempts(): number {
    return this._attempts;
  }

  /** A head arrived. Returns true when it is a challenge this controller now handles. */
  onHead(head: HopHead): boolean {
    const status = head.statusCode;
    const proxyHop = this._ctx.proxy();
    const throughPlainProxy = proxyHop !== null && proxyHop.host !== undefined && this._ctx.url().protocol === 'http:';
    let isProxy: boolean;
    if (status === 401 && this._ctx.serverAuthAllowed()) isProxy = false;
    else if (status === 407 && throughPlainProxy) isProxy = true;
    else {
      this._succeeded(status, proxyHop);
      return false;
    }
    const header = isProxy ? 'proxy-authenticate' : 'www-authenticate';
    const challenge = pickChallenge(rawHeaderValues(head.rawHeaders, header));
    if (challenge === null) return false;
    this._held = { head, data: [], outcome: null };
    if (challenge instanceof Error) this._ctx.fail(challenge);
    else this._challenge(isProxy, challenge);
    return true;
  }

  holdData(chunk: Buffer): void {
    this._held?.data.push(chunk);
  }

  /** The hop finished. Returns true when the controller took care of it. */
  onDone(outcome: HopOutcome): boolean {
    if (this._held !== null) {
      this._held.outcome = outcome;
      return true;
    }
    const proxyHop = this._ctx.proxy();
    if (proxyHop?.scheme === 'socks5' && outcome.curlCode === CURLE_PROXY && SOCKS_AUTH_REFUSED.has(outcome.proxyError)) {
      this._held = { head: null, data: [], outcome };
      this._challenge(true, { scheme: 'socks5', realm: '' });
      return true;
    }
    if (outcome.connectCode === 407 && proxyHop !== null && proxyHop.host !== undefined && (outcome.flags & DoneFlag.UsedProxy)) {
      const challenge = pickChallenge(outcome.connectChallenges);
      if (challenge === null) return false;
      this._held = { head: null, data: [], outcome };
      if (challenge instanceof Error) this._ctx.fail(challenge);
      else this._challenge(true, challenge);
      return true;
    }
    return false;
  }

  /** Credentials for the server do not follow a hop to another origin. */
  onRedirect(crossOrigin: boolean): void {
    if (crossOrigin) {
      Object.assign(this.server, newParty());
    }
  }

  private _challenge(isProxy: boolean, challenge: AuthChallenge): void {
    const party = isProxy ? this.proxy : this.server;
    const proxyHop = this._ctx.proxy();
    const url = this._ctx.url();
    const info: AuthInfo = {
      isProxy,
      scheme: challenge.scheme,
      host: isProxy ? proxyHop!.host! : url.hostname,
      port: isProxy ? proxyHop!.port! : defaultPort(url),
      realm: challenge.realm,
    };
    const cache = this._ctx.session()._authCache;
    const key = { isProxy, scheme: challenge.scheme, host: info.host, port: info.port, realm: info.realm };

    if (party.offered !== null) {
      // What we offered was refused: never offer it again.
      party.rejected += 1;
      if (party.offered.entry) cache.remove(party.offered.entry);
      party.credential = null;
      party.offered = null;
    }
    if (party.rejected >= MAX_REJECTED_IDENTITIES) {
      this._giveUp();
      return;
    }
    if (!this._ctx.canReplayBody()) {
      this._ctx.fail(netError('ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED'));
      return;
    }
    const original = this._ctx.originalUrl();
    if (!isProxy && !party.triedUrlIdentity && original.username !== '' && original.origin === url.origin) {
      party.triedUrlIdentity = true;
      this._retry(party, {
        username: decodeURIComponent(original.username),
        password: decodeURIComponent(original.password),
        mask: SCHEME_MASK[challenge.scheme],
        entry: { ...key, username: decodeURIComponent(original.username), password: decodeURIComponent(original.password) },
      });
      return;
    }
    if (!party.triedCache) {
      party.triedCache = true;
      const cached = cache.find(key);
      if (cached !== undefined) {
        this._retry(party, { username: cached.username, password: cached.password, mask: SCHEME_MASK[cached.scheme], entry: cached });
        return;
      }
    }
    if (challenge.scheme === 'negotiate' && !party.triedAmbient) {
      // Like Chromium, Negotiate first tries the process's own Kerberos credentials (the ticket
      // cache) without asking: empty credentials tell libcurl to use them.
      party.triedAmbient = true;
      this._retry(party, { username: '', password: '', mask: SCHEME_MASK.negotiate });
      return;
    }
    let answered = false;
    const callback: LoginCallback = (username?: string, password?: string) => {
      if (answered) return;
      answered = true;
      if (this._ctx.isFinished() || this._held === null) return;
      if (typeof username === 'string' && typeof password === 'string') {
        this._retry(party, { username, password, mask: SCHEME_MASK[challenge.scheme], entry: { ...key, username, password } });
      } else {
        this._giveUp();
      }
    };
    if (!this._ctx.emitLogin(info, callback)) this._giveUp();
  }

  private _retry(party: Party, credential: HopCredential): void {
    party.credential = credential;
    this._held = null;
    this._attempts += 1;
    this._ctx.retry();
  }

  /** The challenge stands: a 401/407 response becomes the response; a refused tunnel fails. */
  private _giveUp(): void {
    const held = this._held;
    this._held = null;
    if (held === null) return;
    if (held.head === null) {
      // A proxy that refused us before any origin response: a CONNECT tunnel (Electron's
      // ERR_TUNNEL_CONNECTION_FAILED) or a SOCKS handshake.
      const socks = this._ctx.proxy()?.scheme === 'socks5';
      this._ctx.fail(netError(socks ? 'ERR_SOCKS_CONNECTION_FAILED' : 'ERR_TUNNEL_CONNECTION_FAILED'));
      return;
    }
    this._ctx.respond(held.head);
    for (const chunk of held.data) this._ctx.deliver(chunk);
    if (held.outcome !== null) this._ctx.complete(held.outcome);
  }

  /** A non-challenge head arrived: whatever was offered on this hop worked. */
  private _succeeded(status: number, proxyHop: ProxyHop | null): void {
    const cache = this._ctx.session()._authCache;
    const server = this.server.offered;
    if (server?.entry && status !== 401) cache.add(server.entry as AuthEntry);
    const proxy = this.proxy.offered;
    if (proxy?.entry && status !== 407 && proxyHop?.host !== undefined) cache.add(proxy.entry as AuthEntry);
  }
}
