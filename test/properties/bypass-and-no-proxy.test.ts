// Properties of the bypass grammars: Chromium's proxyBypassRules (ts/proxy/bypass-rules.ts) and
// NO_PROXY (env-proxy.ts), against small reference implementations. Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import * as net from 'node:net';
import { BypassRules, matchesImplicitBypass, wildcardMatch } from '../../ts/proxy/bypass-rules';
import { NoProxyList, parseEnvProxyValue, readEnvProxySettings } from '../../ts/proxy/env-proxy';
import { parseIp, ipInPrefix } from '../../ts/proxy/ip-address';
import { parseTargetUrl } from '../../ts/proxy/target-url';
import { domainName, grammarNoise } from './arbitraries';

const RUNS = { numRuns: 2000 };

const domain = domainName;
const ipHost = fc.oneof(fc.ipV4(), fc.ipV6().map((v6) => `[${v6}]`));
const targetUrl = fc
  .tuple(fc.constantFrom('http', 'https', 'ws', 'wss', 'ftp'), fc.oneof(domain, ipHost), fc.option(fc.integer({ min: 1, max: 65535 })))
  .map(([scheme, host, port]) => parseTargetUrl(`${scheme}://${host}${port === null ? '' : `:${port}`}/p`));

test('bypass rules and NO_PROXY never throw, whatever the rules and the URL', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(grammarNoise, fc.string()), targetUrl, (text, target) => {
        new BypassRules(text).matches(target);
        new NoProxyList(text).matches(target);
        parseEnvProxyValue(text);
        readEnvProxySettings({ http_proxy: text, HTTPS_PROXY: text, no_proxy: text });
      }),
      RUNS,
    ),
  );
});

/** Reference glob: '*' any run, '?' one character, everything else literal. */
function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

test('wildcardMatch agrees with a regular-expression glob', (t) => {
  const unit = fc.constantFrom('a', 'b', '.', '*', '?');
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 12 }), (pattern, text) =>
        wildcardMatch(text, pattern) === globToRegExp(pattern).test(text),
      ),
      RUNS,
    ),
  );
});

test('a host pattern bypasses exactly the hosts its glob matches (implicit rules aside)', (t) => {
  const pattern = fc.oneof(
    domain,
    domain.map((d) => `*.${d}`),
    domain.map((d) => `.${d}`),
    fc.tuple(domain, fc.integer({ min: 0, max: 3 })).map(([d, i]) => d.slice(0, i) + '*' + d.slice(i + 1)),
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(pattern, targetUrl, (rule, target) => {
        const glob = rule.startsWith('.') ? `*${rule}` : rule;
        const expected = globToRegExp(glob).test(target.host) || matchesImplicitBypass(target);
        return new BypassRules(rule).matches(target) === expected;
      }),
      RUNS,
    ),
  );
});

test('a CIDR rule bypasses exactly the IP literals in its block, and never a host name', (t) => {
  const block = fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })),
    fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })),
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(block, targetUrl, ([prefix, bits], target) => {
        const rule = new BypassRules(`${prefix}/${bits}`);
        const inBlock = target.ip !== null && ipInPrefix(target.ip, parseIp(prefix)!, bits);
        return rule.matches(target) === (inBlock || matchesImplicitBypass(target));
      }),
      RUNS,
    ),
  );
});

test('"<-loopback>" after the implicit rules proxies loopback again; a later rule still wins over it', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.constantFrom('127.0.0.1', '127.8.9.10', '[::1]', 'localhost', 'a.localhost', '169.254.3.4', '[fe80::1]'), (host) => {
        const target = parseTargetUrl(`http://${host}:8080/`);
        t.true(new BypassRules('').matches(target));
        t.false(new BypassRules('<-loopback>').matches(target));
        t.true(new BypassRules(`<-loopback>, ${host}`).matches(target));
        t.false(new BypassRules(`${host}, <-loopback>`).matches(target));
      }),
      { numRuns: 50 },
    ),
  );
});

test('NO_PROXY: a domain entry in any of its spellings matches that domain and its subdomains only', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(domain, fc.constantFrom('', '.', '*.', '*'), fc.boolean(), fc.oneof(domain, ipHost), (d, prefix, upper, host) => {
        const list = new NoProxyList(`${prefix}${upper ? d.toUpperCase() : d}`);
        const target = parseTargetUrl(`http://${host}/`);
        const expected = !net.isIP(host.replace(/^\[|\]$/g, '')) && (host === d || host.endsWith(`.${d}`));
        t.is(list.matches(target), expected);
        // The domain itself and a subdomain always match.
        t.true(list.matches(parseTargetUrl(`https://${d}/`)));
        t.true(list.matches(parseTargetUrl(`https://sub.${d}./`)));
      }),
      RUNS,
    ),
  );
});

test('NO_PROXY: an IP or CIDR entry matches IP literals by address, with an optional port', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
        const host = net.isIPv6(ip) ? `[${ip}]` : ip;
        const target = parseTargetUrl(`http://${host}:${port}/`);
        t.true(new NoProxyList(ip).matches(target), 'bare');
        t.true(new NoProxyList(`${host}:${port}`).matches(target), 'with its port');
        t.false(new NoProxyList(`${host}:${(port % 65535) + 1}`).matches(target), 'with another port');
        t.true(new NoProxyList(`${ip}/${net.isIPv6(ip) ? 128 : 32}`).matches(target), 'as a /32 or /128');
      }),
      RUNS,
    ),
  );
});

test('proxy environment values: scheme://user:pass@host:port keeps the decoded credentials', (t) => {
  const credential = fc.string({ minLength: 1, maxLength: 12 });
  t.notThrows(() =>
    fc.assert(
      fc.property(domain, fc.integer({ min: 1, max: 65535 }), credential, credential, (host, port, user, password) => {
        const value = `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/`;
        t.deepEqual(parseEnvProxyValue(value), { scheme: 'http', host, port, username: user, password });
      }),
      RUNS,
    ),
  );
});
