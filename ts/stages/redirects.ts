// Redirects with Chromium's rules: the 'redirect' event (and followRedirect() in manual mode),
// the redirect limit, unsafe targets, method changes, and — in this one place — which request
// headers a redirect strips.
import { netError } from '../errors';
import { isPotentiallyTrustworthy } from '../fetch-metadata';
import { rawHeaderValue, redirectHeaders, StoredHeader } from '../headers';
import type { HopHead } from '../native';
import { headersToStrip, isRedirectStatus, MAX_REDIRECTS, redirectMethod, redirectSafety, redirectTarget } from '../redirect';
import type { HopControl, Stage, Verdict } from './stage';

class Redirects implements Stage {
  private count = 0;

  constructor(private readonly control: HopControl) {}

  onHead(head: HopHead): Verdict {
    if (!isRedirectStatus(head.statusCode)) return undefined;
    const location = rawHeaderValue(head.rawHeaders, 'location');
    if (location === undefined) return undefined;
    const control = this.control;
    const state = control.state;
    const from = state.url;
    const target = redirectTarget(location, from);
    if (target === null) return this.fail(netError('ERR_INVALID_REDIRECT'));
    if (this.count >= MAX_REDIRECTS) return this.fail(netError('ERR_TOO_MANY_REDIRECTS'));
    const policy = state.options.redirect;
    if (policy === 'error') return this.fail(new Error("Attempted to redirect, but redirect policy was 'error'"));
    const newMethod = redirectMethod(head.statusCode, state.method);
    let follow = policy === 'follow';
    control.pendingRedirect = policy === 'manual' ? () => (follow = true) : () => undefined;
    try {
      control.emit('redirect', head.statusCode, newMethod, target.href, redirectHeaders(head.rawHeaders));
    } finally {
      control.pendingRedirect = null;
    }
    if (control.finished) return 'handled';
    if (!follow) return this.fail(new Error('Redirect was cancelled'));
    let safety = redirectSafety(target);
    // A scheme the session's protocol handlers answer is a known one.
    if (safety === 'unknown-scheme' && state.session._protocolIfCreated?.isProtocolHandled(target.protocol.slice(0, -1))) safety = 'ok';
    if (safety !== 'ok') return this.fail(netError(safety === 'unsafe' ? 'ERR_UNSAFE_REDIRECT' : 'ERR_UNKNOWN_URL_SCHEME'));
    const toGet = newMethod === 'GET' && state.method !== 'GET';
    if (toGet) state.body.drop();
    else if (!state.body.canReplay()) return this.fail(netError('ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED'));
    const crossOrigin = target.origin !== from.origin;
    state.headers = strippedHeaders(state.headers, toGet, crossOrigin, from, target);
    this.count += 1;
    state.url = target;
    state.method = newMethod;
    control.restart({ kind: 'redirect', from, to: target, crossOrigin });
    return 'handled';
  }

  private fail(error: Error): Verdict {
    this.control.fail(error);
    return 'handled';
  }
}

export function redirects(control: HopControl): Stage {
  return new Redirects(control);
}

/** The application's headers for the hop after a redirect: body headers go when the method
 * becomes GET, credentials when the origin changes (and Origin becomes "null"), Sec-Fetch-* and
 * client hints when the target is less trustworthy. The map is copied, never changed in place:
 * it may be the application's own. */
function strippedHeaders(
  headers: Map<string, StoredHeader>,
  toGet: boolean,
  crossOrigin: boolean,
  from: URL,
  to: URL,
): Map<string, StoredHeader> {
  const strip = headersToStrip(toGet, crossOrigin);
  const downgrade = !isPotentiallyTrustworthy(to) && isPotentiallyTrustworthy(from);
  if (strip.length === 0 && !crossOrigin && !downgrade) return headers;
  const next = new Map(headers);
  for (const name of strip) next.delete(name);
  const origin = next.get('origin');
  if (crossOrigin && origin !== undefined) next.set('origin', { name: origin.name, value: 'null', wire: 'null' });
  if (downgrade) {
    for (const key of next.keys()) if (key.startsWith('sec-fetch-') || key.startsWith('sec-ch-')) next.delete(key);
  }
  return next;
}
