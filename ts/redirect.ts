// Chromium's redirect rules, applied per hop by ClientRequest.

export const MAX_REDIRECTS = 20;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const UNSAFE_SCHEMES = new Set(['about:', 'file:', 'filesystem:', 'blob:', 'data:', 'javascript:', 'chrome:']);
/** Request headers Chromium drops when a redirect turns the method into GET. */
const BODY_HEADERS = ['origin', 'content-length', 'content-type', 'content-encoding', 'content-language', 'content-location'];
/** Request headers that never follow a hop to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** Method after the redirect: 303 → GET (HEAD stays HEAD); 301/302 turn only POST into GET. */
export function redirectMethod(status: number, method: string): string {
  if (status === 303 && method !== 'HEAD') return 'GET';
  if ((status === 301 || status === 302) && method === 'POST') return 'GET';
  return method;
}

/** Absolute target of a Location value; the old fragment is kept when the new URL has none.
 * Returns null when the value cannot be parsed. */
export function redirectTarget(location: string, current: URL): URL | null {
  let target: URL;
  try {
    target = new URL(location, current);
  } catch {
    return null;
  }
  if (target.hash === '' && current.hash !== '' && !location.includes('#')) target.hash = current.hash;
  return target;
}

export type RedirectSafety = 'ok' | 'unsafe' | 'unknown-scheme';

export function redirectSafety(target: URL): RedirectSafety {
  if (target.protocol === 'http:' || target.protocol === 'https:') return 'ok';
  return UNSAFE_SCHEMES.has(target.protocol) ? 'unsafe' : 'unknown-scheme';
}

/** Lowercase names of request headers to remove for this hop. */
export function headersToStrip(methodChangedToGet: boolean, crossOrigin: boolean): string[] {
  const names: string[] = [];
  if (methodChangedToGet) names.push(...BODY_HEADERS);
  if (crossOrigin) names.push(...CREDENTIAL_HEADERS);
  return names;
}
