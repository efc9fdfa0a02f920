// Properties of the proxy list grammars: proxy URIs (ts/proxy/proxy-server.ts), PAC results
// (pac-result.ts) and proxyRules (proxy-rules.ts). Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import { parsePacEntries, parsePacResult } from '../../ts/proxy/pac-result';
import { parseProxyRules, rulesForUrl } from '../../ts/proxy/proxy-rules';
import { curlProxyUrl, formatProxyList, hostPort, parseHostPort, parseProxyUri } from '../../ts/proxy/proxy-server';
import { parseTargetUrl } from '../../ts/proxy/target-url';
import { ProxyChoice, ProxyServer } from '../../ts/proxy/types';
import { canonicalHost, grammarNoise, hostLikeText, proxyChoice, proxyServer } from './arbitraries';

const RUNS = { numRuns: 2000 };
const URI_SCHEME: Record<ProxyServer['scheme'], string> = { http: 'http', https: 'https', socks4: 'socks4', socks5: 'socks5' };

test('no parser of proxy lists throws, whatever the input', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(grammarNoise, fc.string()), (text) => {
        parseHostPort(text, 80);
        parseProxyUri(text, 'http');
        parsePacResult(text);
        const rules = parseProxyRules(text);
        rulesForUrl(rules, parseTargetUrl('http://example.test/'));
      }),
      RUNS,
    ),
  );
});

test('a PAC result formatted by resolveProxy() parses back to the same list', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(proxyChoice, { minLength: 1, maxLength: 6 }), (choices) => {
        t.deepEqual(parsePacResult(formatProxyList(choices)), choices);
      }),
      RUNS,
    ),
  );
});

test('PAC results: keywords are case-insensitive, blanks and empty entries do not matter', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(proxyChoice, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(' ', '  ', '\t', ' \t '),
        fc.boolean(),
        (choices, blank, lower) => {
          const text = formatProxyList(choices)
            .split('; ')
            .map((entry) => blank + (lower ? entry.toLowerCase() : entry).replace(' ', blank) + blank)
            .join(`;${blank};`);
          t.deepEqual(parsePacEntries(text), choices);
        },
      ),
      RUNS,
    ),
  );
});

test('a PAC result entry with credentials, a path or an unknown keyword is dropped, never half-read', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(proxyServer, fc.constantFrom('user:pw@', 'u@'), fc.constantFrom('', '/', '/x'), (server, credentials, pathPart) => {
        const bad = `PROXY ${credentials}${hostPort(server)}${pathPart}; QUIC ${hostPort(server)}; PROXY ${hostPort(server)}/p`;
        t.deepEqual(parsePacResult(bad), [{ kind: 'direct' }]);
      }),
      RUNS,
    ),
  );
});

test('proxy URIs: scheme://host:port parses to that server, and curlProxyUrl keeps host and port', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(proxyServer, fc.boolean(), (server, upper) => {
        const uri = `${URI_SCHEME[server.scheme]}://${hostPort(server)}`;
        const choice = parseProxyUri(upper ? uri.toUpperCase() : uri, 'http');
        t.deepEqual(choice, { kind: 'proxy', server });
        const curl = new URL(curlProxyUrl(choice!));
        t.is(Number(curl.port || (curl.protocol === 'https:' ? 443 : 80)), server.port);
        t.is(curl.hostname.replace(/^\[|\]$/g, ''), server.host);
      }),
      RUNS,
    ),
  );
});

/** Builds a proxyRules string from per-scheme lists, the way users write them. */
function rulesText(lists: Partial<Record<'http' | 'https' | 'ftp' | 'socks', ProxyServer[]>>): string {
  return Object.entries(lists)
    .map(([key, servers]) => `${key}=${servers!.map((s) => `${URI_SCHEME[s.scheme]}://${hostPort(s)}`).join(',')}`)
    .join(';');
}

const asChoices = (servers: ProxyServer[] | undefined): ProxyChoice[] => (servers ?? []).map((server) => ({ kind: 'proxy', server }));

test('proxyRules: per-scheme lists parse to what was written and apply to their scheme only', (t) => {
  const list = fc.array(proxyServer, { minLength: 1, maxLength: 3 });
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.record({ http: list, https: list, ftp: list, socks: list }, { requiredKeys: [] }),
        (lists) => {
          const rules = parseProxyRules(rulesText(lists));
          t.is(rules.single, null);
          t.deepEqual(rules.http, asChoices(lists.http));
          t.deepEqual(rules.https, asChoices(lists.https));
          t.deepEqual(rules.ftp, asChoices(lists.ftp));
          t.deepEqual(rules.fallback, asChoices(lists.socks));
          const forHttp = rulesForUrl(rules, parseTargetUrl('http://a.test/'));
          t.deepEqual(forHttp, lists.http ? asChoices(lists.http) : asChoices(lists.socks));
        },
      ),
      RUNS,
    ),
  );
});

test('proxyRules: one list without "=" applies to every URL; entries after it are ignored', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(proxyServer, { minLength: 1, maxLength: 4 }), grammarNoise, (servers, rest) => {
        const text = `${servers.map((s) => `${URI_SCHEME[s.scheme]}://${hostPort(s)}`).join(',')};${rest}`;
        const rules = parseProxyRules(text);
        t.deepEqual(rules.single, asChoices(servers));
        t.deepEqual(rulesForUrl(rules, parseTargetUrl('https://b.test/')), asChoices(servers));
      }),
      RUNS,
    ),
  );
});

const RFC1123_HOST = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/;

test('proxy hosts are canonicalised like URL hosts: invalid ones are dropped, numbers become IPv4 (as Chromium does)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(hostLikeText, fc.integer({ min: 1, max: 65535 }), (host, port) => {
        // Each label must be an RFC 1123 label (no leading or trailing hyphen), then the host is
        // what this runtime's URL parser makes of it (Node 24's accepts punycode Node 20's refuses).
        const lower = host.toLowerCase();
        const expected = RFC1123_HOST.test(lower) ? canonicalHost(lower) : null;
        const choice = parseProxyUri(`http://${host}:${port}`, 'http');
        if (expected === null) t.is(choice, null, host);
        else t.deepEqual(choice, { kind: 'proxy', server: { scheme: 'http', host: expected, port } }, host);
      }),
      RUNS,
    ),
  );
});

test('an invalid punycode proxy host is dropped, a numeric one is an IPv4 address (found by the property above)', (t) => {
  // Dropped where the runtime's URL parser refuses it (Node 20 and 22; Node 24 accepts it).
  const punycode = canonicalHost('xn--0.a');
  t.deepEqual(
    parseProxyUri('http://xn--0.a:3128', 'http'),
    punycode === null ? null : { kind: 'proxy', server: { scheme: 'http', host: punycode, port: 3128 } },
  );
  const numeric = { kind: 'proxy', server: { scheme: 'http', host: '0.0.0.4', port: 3128 } };
  t.deepEqual(
    parsePacResult('PROXY xn--0.a:3128; PROXY 4:3128'),
    punycode === null ? [numeric] : [{ kind: 'proxy', server: { scheme: 'http', host: punycode, port: 3128 } }, numeric],
  );
});
