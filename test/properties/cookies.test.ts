// Properties of the cookie store against hostile Set-Cookie values (ts/cookies/cookie-store.ts).
// A server decides what is stored, and what is stored goes back on the wire of later requests:
// nothing it sends may throw, or put CR, LF or NUL into a Cookie header (which would fail every
// later request to that site). Runs: 1,000 per property.
import test from 'ava';
import fc from 'fast-check';
import { CookieStore } from '../../ts/cookies/cookie-store';

const RUNS = { numRuns: 1000 };

/** Set-Cookie-ish text: attribute syntax, separators, control characters, non-ASCII. */
const piece = fc.oneof(
  fc.constantFrom('a', 'b', '=', ';', ' ', '\t', '\r', '\n', '\0', '\x7f', 'é', '"', ',', '__Host-', '__Secure-'),
  fc.constantFrom('; Domain=example.test', '; Domain=.test', '; Domain=com', '; Path=/', '; Path=', '; Secure', '; HttpOnly'),
  fc.constantFrom('; SameSite=None', '; SameSite=Lax', '; SameSite=Strict', '; SameSite=', '; Max-Age=0', '; Max-Age=-1'),
  fc.constantFrom('; Max-Age=99999999999999999999', '; Expires=Thu, 01 Jan 1970 00:00:00 GMT', '; Expires=garbage'),
  fc.string({ maxLength: 4 }),
);
const setCookie = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const url = fc.constantFrom('http://a.example.test/', 'https://a.example.test/x/y', 'http://127.0.0.1:8080/', 'https://sub.a.example.test/');
const context = fc.constantFrom('strict' as const, 'lax' as const, 'none' as const);

test('storing any Set-Cookie never throws, and no Cookie header ever carries CR, LF or NUL', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(setCookie, url, context), { maxLength: 8 }), url, context, (sets, target, ctx) => {
      const store = new CookieStore();
      for (const [line, from, c] of sets) store.storeFromResponse(line, new URL(from), c);
      const header = store.cookieHeader(new URL(target), ctx);
      return !/[\r\n\0]/.test(header) && store.size <= sets.length;
    }),
    RUNS,
  );
  t.pass();
});

test('a plain cookie comes back on the URL that set it, as name=value', (t) => {
  const name = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
  const value = fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/);
  fc.assert(
    fc.property(name, value, url, (n, v, u) => {
      const store = new CookieStore();
      store.storeFromResponse(`${n}=${v}`, new URL(u), 'strict');
      return store.cookieHeader(new URL(u), 'strict') === `${n}=${v}`;
    }),
    RUNS,
  );
  t.pass();
});
