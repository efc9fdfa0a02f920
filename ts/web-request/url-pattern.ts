// Chromium's extension match patterns (extensions/common/url_pattern.cc), as Electron parses
// webRequest filters: URLPattern(SCHEME_ALL), so any scheme is accepted, `<all_urls>` matches
// everything, `*` as the scheme means http(s) and ws(s), `*.host` matches the host and its
// subdomains, a missing port means any port, and the path (with the query) is a glob where
// only `*` is special.

/** Chromium's ParseResult strings (URLPattern::GetParseResultString). */
const PARSE_ERRORS = {
  missingSchemeSeparator: 'Missing scheme separator.',
  invalidScheme: 'Invalid scheme.',
  wrongSchemeSeparator: 'Wrong scheme type.',
  emptyHost: 'Host can not be empty.',
  invalidHostWildcard: 'Invalid host wildcard.',
  emptyPath: 'Empty path.',
  invalidPort: 'Invalid port.',
  invalidHost: 'Invalid host.',
} as const;

/** Schemes GURL treats as standard ("scheme://host/path"); the rest take "scheme:path". */
const STANDARD_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file', 'filesystem']);
const WILDCARD_SCHEMES = new Set(['http', 'https', 'ws', 'wss']);
const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ws: '80', wss: '443', ftp: '21' };

export class UrlPattern {
  /** @internal use UrlPattern.parse */
  constructor(
    readonly text: string,
    private readonly _all: boolean,
    private readonly _scheme: string,
    /** '' with _subdomains: any host. */
    private readonly _host: string,
    private readonly _subdomains: boolean,
    /** '*' or a decimal port. */
    private readonly _port: string,
    private readonly _path: RegExp,
  ) {}

  /** Parses a pattern; throws Electron's TypeError for a bad one. */
  static parse(text: string): UrlPattern {
    const result = parsePattern(text);
    if (typeof result === 'string') throw new TypeError(`Invalid url pattern ${text}: ${result}`);
    return result;
  }

  matches(url: URL): boolean {
    const scheme = url.protocol.slice(0, -1);
    if (this._all) return true;
    if (this._scheme === '*' ? !WILDCARD_SCHEMES.has(scheme) : scheme !== this._scheme) return false;
    if (!STANDARD_SCHEMES.has(scheme)) return this._path.test(url.href.slice(url.protocol.length));
    if (scheme !== 'file' && !this._matchesHost(url.hostname)) return false;
    if (this._port !== '*' && this._port !== (url.port || DEFAULT_PORTS[scheme] || '')) return false;
    return this._path.test(url.pathname + url.search);
  }

  private _matchesHost(hostname: string): boolean {
    const host = hostname.toLowerCase();
    if (this._subdomains && this._host === '') return true;
    if (host === this._host) return true;
    if (!this._subdomains || isIpAddress(host)) return false;
    return host.endsWith(`.${this._host}`);
  }
}

function parsePattern(text: string): UrlPattern | string {
  if (text === '<all_urls>') return new UrlPattern(text, true, '*', '', true, '*', /^/);
  let separator = text.indexOf('://');
  const standardSeparator = separator !== -1;
  if (!standardSeparator) separator = text.indexOf(':');
  if (separator === -1) return PARSE_ERRORS.missingSchemeSeparator;
  const scheme = text.slice(0, separator).toLowerCase();
  if (scheme !== '*' && !/^[a-z][a-z0-9+.-]*$/.test(scheme)) return PARSE_ERRORS.invalidScheme;
  const standard = scheme === '*' || STANDARD_SCHEMES.has(scheme);
  if (standard !== standardSeparator) return PARSE_ERRORS.wrongSchemeSeparator;
  if (!standard) return new UrlPattern(text, false, scheme, '', true, '*', glob(text.slice(separator + 1)));

  const hostStart = separator + 3;
  let pathStart: number;
  let host = '';
  let subdomains = false;
  let port = '*';
  if (scheme === 'file') {
    pathStart = hostStart;
  } else {
    pathStart = text.indexOf('/', hostStart);
    if (pathStart === -1) return PARSE_ERRORS.emptyPath;
    let hostAndPort = text.slice(hostStart, pathStart);
    if (hostAndPort === '') return PARSE_ERRORS.emptyHost;
    // An IPv6 literal's colons are not a port separator.
    const bracketEnd = hostAndPort.startsWith('[') ? hostAndPort.indexOf(']') : -1;
    const colon = hostAndPort.indexOf(':', bracketEnd === -1 ? 0 : bracketEnd);
    if (colon !== -1) {
      port = hostAndPort.slice(colon + 1);
      hostAndPort = hostAndPort.slice(0, colon);
      if (port !== '*' && !/^\d{1,5}$/.test(port)) return PARSE_ERRORS.invalidPort;
      if (port !== '*') {
        if (Number(port) > 65535) return PARSE_ERRORS.invalidPort;
        port = String(Number(port));
      }
    }
    host = hostAndPort;
    if (host === '*') {
      host = '';
      subdomains = true;
    } else if (host.startsWith('*.')) {
      host = host.slice(2);
      subdomains = true;
    }
    if (host.includes('*')) return PARSE_ERRORS.invalidHostWildcard;
    if (host !== '') {
      const canonical = canonicalHost(host);
      if (canonical === null) return PARSE_ERRORS.invalidHost;
      host = canonical;
    } else if (!subdomains) {
      return PARSE_ERRORS.emptyHost;
    }
  }
  const path = text.slice(pathStart);
  if (path === '') return PARSE_ERRORS.emptyPath;
  return new UrlPattern(text, false, scheme, host, subdomains, port, glob(path));
}

/** The host as the URL parser writes it (lower case, punycode, IPv4 normalised), or null. */
function canonicalHost(host: string): string | null {
  try {
    const hostname = new URL(`http://${host}/`).hostname;
    return hostname === '' ? null : hostname;
  } catch {
    return null;
  }
}

function isIpAddress(host: string): boolean {
  return host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host);
}

/** A path pattern: `*` is any run of characters, everything else (`?` too) is literal. */
function glob(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`);
}
