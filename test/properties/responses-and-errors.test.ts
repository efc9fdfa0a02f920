// Properties of what the TS layer makes of a hostile server's answer: response header folding
// (ts/headers.ts), the net error mapping (net-error-codes.ts), redirect targets (redirect.ts)
// and the URL a PAC script sees (proxy/target-url.ts). Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { foldResponseHeaders, redirectHeaders } from '../../ts/headers';
import { packageRoot } from '../../ts/load-binding';
import { isNetErrorName, netErrorName } from '../../ts/net-error-codes';
import { redirectMethod, redirectTarget } from '../../ts/redirect';
import { parseTargetUrl, sanitizedPacUrl } from '../../ts/proxy/target-url';

const RUNS = { numRuns: 2000 };

const headerName = fc.oneof(
  fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Set-Cookie', 'set-cookie', 'Location', 'Content-Type'),
);
const rawHeaders = fc.array(fc.tuple(headerName, fc.string({ maxLength: 10 })), { maxLength: 12 });

test('response headers: every name a server sends is an own key with its values, whatever the name', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(rawHeaders, (pairs) => {
        const raw = pairs.flat();
        const folded = foldResponseHeaders(raw);
        const grouped = redirectHeaders(raw);
        t.is(Object.getPrototypeOf(folded), Object.prototype);
        t.is(Object.getPrototypeOf(grouped), Object.prototype);
        const names = [...new Set(pairs.map(([n]) => n.toLowerCase()))].sort();
        // (Sorted here: JavaScript lists integer-like keys such as "5" first whatever the order.)
        t.deepEqual(Object.keys(folded).sort(), names);
        t.deepEqual(Object.keys(grouped).sort(), names);
        for (const name of names) {
          const values = pairs.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
          t.deepEqual(grouped[name], values);
          if (name === 'set-cookie') t.deepEqual(folded[name], values);
          else t.true(typeof folded[name] === 'string' && (folded[name] as string).startsWith(values[0]!));
        }
      }),
      RUNS,
    ),
  );
});

const documented = fs.readFileSync(path.join(packageRoot, 'docs', 'errors.md'), 'utf8');

test('whatever libcurl reports for a hop, the error is null or a known, documented net::ERR_*', (t) => {
  const int = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer());
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.record({
          curlCode: fc.integer({ min: 0, max: 110 }),
          osErrno: fc.integer({ min: 0, max: 140 }),
          connectCode: fc.oneof(fc.constant(0), fc.integer({ min: 100, max: 599 })),
          proxyError: fc.integer({ min: 0, max: 40 }),
          sslVerifyResult: int,
          proxySslVerifyResult: int,
          originTlsVerdict: fc.oneof(fc.constant(0), int),
          proxyTlsVerdict: fc.oneof(fc.constant(0), int),
          responseCode: fc.oneof(fc.constant(0), fc.integer({ min: 100, max: 599 })),
          flags: fc.integer({ min: 0, max: 255 }),
          httpAuthAvail: int,
          proxyAuthAvail: int,
          bodyBytes: fc.nat(),
          message: fc.oneof(fc.string(), fc.constantFrom('Unsupported HTTP/1 subversion in response', 'Received HTTP/0.9 when not allowed', 'SSL certificate problem: certificate has expired', 'Could not resolve host: x', 'Operation timed out')),
          connectChallenges: fc.array(fc.string(), { maxLength: 2 }),
          peerChain: fc.constant(''),
        }),
        fc.record({ aborted: fc.boolean() }, { requiredKeys: [] }),
        (outcome, context) => {
          const name = netErrorName(outcome, context);
          if (name === null) return (outcome.flags & 1) !== 0 && outcome.curlCode === 0 && !context.aborted;
          // docs/errors.md names them with or without the ERR_ prefix.
          return isNetErrorName(name) && (documented.includes(name) || documented.includes(`\`${name.slice(4)}\``));
        },
      ),
      RUNS,
    ),
  );
});

const baseUrl = fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }).map((u) => new URL(u));

test('redirect targets: any Location value gives null or the URL WHATWG resolves, never a throw', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withFragments: true }), fc.webPath()), baseUrl, (location, current) => {
        const target = redirectTarget(location, current);
        let expected: URL | null = null;
        try {
          expected = new URL(location, current);
        } catch {
          return target === null;
        }
        if (target === null) return false;
        target.hash = '';
        expected.hash = '';
        return target.href === expected.href;
      }),
      RUNS,
    ),
  );
});

test('redirect methods: only 301/302 POST and 303 non-HEAD become GET; everything else is kept', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'post'), (status, method) => {
        const next = redirectMethod(status, method);
        const becomesGet = (status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST');
        return next === (becomesGet ? 'GET' : method);
      }),
      RUNS,
    ),
  );
});

test('the URL a PAC script sees never has credentials or a fragment, nor a path or query for https', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.webUrl({ validSchemes: ['http', 'https', 'ws', 'wss'], withQueryParameters: true, withFragments: true }),
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.string({ maxLength: 8 }),
        (text, user, password) => {
          const url = new URL(text);
          url.username = user;
          url.password = password;
          const seen = new URL(sanitizedPacUrl(parseTargetUrl(url)));
          t.is(seen.username, '');
          t.is(seen.password, '');
          t.is(seen.hash, '');
          t.is(seen.host, url.host);
          if (url.protocol === 'https:' || url.protocol === 'wss:') {
            t.is(seen.pathname, '/');
            t.is(seen.search, '');
          } else {
            t.is(seen.pathname + seen.search, url.pathname + url.search);
          }
        },
      ),
      RUNS,
    ),
  );
});

test('a server header named __proto__ is a header, not the prototype of the headers object (found by the property above)', (t) => {
  const raw = ['__proto__', 'x', 'Location', '/next'];
  t.deepEqual(Object.entries(redirectHeaders(raw)), [['__proto__', ['x']], ['location', ['/next']]]);
  t.is(Object.getPrototypeOf(redirectHeaders(raw)), Object.prototype);
  t.deepEqual(Object.entries(foldResponseHeaders(raw)), [['__proto__', 'x'], ['location', '/next']]);
});
