// What may appear in logs by default: no credentials, no cookies. Chromium's NetLog default
// capture mode strips the same things (Authorization, Proxy-Authorization, Cookie, Set-Cookie
// values; user info in URLs).

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'set-cookie2']);

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** A URL without its user info (the password and the user name). */
export function redactUrl(url: string): string {
  if (!url.includes('@')) return url;
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** "Name: value" lines with secret values replaced by Chromium's "[N bytes were stripped]". */
export function redactHeaderLine(line: string): string {
  const colon = line.indexOf(':');
  if (colon === -1 || !isSecretHeader(line.slice(0, colon).trim())) return line;
  const value = line.slice(colon + 1).trim();
  // Keep the scheme word of an authorization value, as Chromium does ("Basic [21 bytes were stripped]").
  const scheme = /^(basic|digest|ntlm|negotiate|bearer)\s/i.exec(value);
  const rest = scheme ? value.slice(scheme[0].length) : value;
  return `${line.slice(0, colon)}: ${scheme ? scheme[0] : ''}[${Buffer.byteLength(rest)} bytes were stripped]`;
}
