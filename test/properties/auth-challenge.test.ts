// Properties of the WWW-Authenticate / Proxy-Authenticate parser (ts/auth-challenge.ts).
// Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import { chooseChallenge, parseChallenges } from '../../ts/auth-challenge';
import type { AuthScheme } from '../../ts/auth-cache';

const RUNS = { numRuns: 2000 };

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}$/);
/** Any text a server might put in a quoted-string (quotes and backslashes escaped when written). */
const quotable = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', ',', ' ', '=', 'a', 'é'), fc.string({ minLength: 1, maxLength: 1 })), maxLength: 16 })
  .filter((s) => !/[\r\n\0]/.test(s));

const challenge = fc.record({
  scheme: token,
  params: fc.dictionary(token.map((k) => k.toLowerCase()), quotable, { maxKeys: 4 }),
});

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function format(c: { scheme: string; params: Record<string, string> }, separator: string): string {
  const params = Object.entries(c.params).map(([k, v]) => `${k}=${quote(v)}`);
  return params.length ? `${c.scheme} ${params.join(separator)}` : c.scheme;
}

test('parseChallenges never throws, whatever the header values', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('a', '=', '"', '\\', ',', ' ', 'Basic', 'realm') }))), (values) => {
        parseChallenges(values);
        chooseChallenge(values, new Set<AuthScheme>(['basic', 'digest', 'ntlm', 'negotiate']));
      }),
      RUNS,
    ),
  );
});

test('challenges written per RFC 7235 (one per header or comma-separated) parse back to the same schemes and parameters', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom(',', ', ', ' ,  '), (challenges, oneHeader, separator) => {
        const written = challenges.map((c) => format(c, separator));
        const values = oneHeader ? [written.join(separator)] : written;
        t.deepEqual(
          parseChallenges(values),
          challenges.map((c) => ({ scheme: c.scheme.toLowerCase(), params: { ...c.params } })),
        );
      }),
      RUNS,
    ),
  );
});

test('the strongest supported scheme is chosen, with its realm, wherever it is offered', (t) => {
  const scheme = fc.constantFrom('Basic', 'Digest', 'NTLM', 'Negotiate', 'Bearer', 'Mutual');
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(fc.tuple(scheme, quotable), { minLength: 1, maxLength: 5 }), fc.subarray(['basic', 'digest', 'ntlm', 'negotiate'] as AuthScheme[]), (offered, supported) => {
        const values = offered.map(([s, realm]) => `${s} realm=${quote(realm)}`);
        const chosen = chooseChallenge(values, new Set(supported));
        const best = (['negotiate', 'ntlm', 'digest', 'basic'] as AuthScheme[]).find(
          (s) => supported.includes(s) && offered.some(([o]) => o.toLowerCase() === s),
        );
        if (best === undefined) return chosen === null;
        const realm = offered.find(([o]) => o.toLowerCase() === best)![1];
        return chosen !== null && chosen.scheme === best && chosen.realm === realm;
      }),
      RUNS,
    ),
  );
});

test('parameters are kept as own data whatever their name, __proto__ included (found by the property above)', (t) => {
  const [challenge] = parseChallenges(['Basic __proto__="x", constructor="y", realm="r"']);
  t.is(Object.getPrototypeOf(challenge!.params), Object.prototype);
  t.deepEqual(Object.entries(challenge!.params), [['__proto__', 'x'], ['constructor', 'y'], ['realm', 'r']]);
  t.is(chooseChallenge(['Basic __proto__="x"'], new Set<AuthScheme>(['basic']))?.realm, '');
});
