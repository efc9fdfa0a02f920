// Properties of the one validator for strings that reach the wire (ts/wire-validation.ts) and
// of the header lines a request actually assembles from what it validated.
import test from 'ava';
import fc from 'fast-check';
import { net, session, versions, type ClientRequest } from '../ts/index';
import { validateHeader } from '../ts/headers';
import { headerValueForWire, isFieldValue, isToken, wireProblem } from '../ts/wire-validation';
import { okResponse, startWireRecorder } from './helpers/wire-recorder';

/** Runs per property; the report quotes them. */
const RUNS = 5000;

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('');
const token = fc.array(fc.constantFrom(...TCHARS), { minLength: 1, maxLength: 40 }).map((a) => a.join(''));
/** RFC 7230 field-value: field-content is VCHAR / obs-text with SP and HTAB between. */
const fieldChar = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }),
  fc.integer({ min: 0x80, max: 0xff }),
  fc.constantFrom(0x20, 0x09),
).map((c) => String.fromCharCode(c));
const fieldValue = fc.array(fieldChar, { maxLength: 80 }).map((a) => a.join(''));
const framing = fc.constantFrom('\r', '\n', '\0');
/** Any string with at least one CR, LF or NUL somewhere in it. */
const withFraming = fc.tuple(fc.string({ unit: 'binary' }), framing, fc.string({ unit: 'binary' })).map(([a, c, b]) => a + c + b);

/** A value the linked libcurl takes for blank: before 8.14.1 (the bundled one) it trims \v and \f too. */
function blankToLibcurl(): RegExp {
  const [major, minor, patch] = versions().libcurl.split('.').map(Number);
  return major * 0x10000 + minor * 0x100 + patch < 0x080e01 ? /^[ \t\v\f]*$/ : /^[ \t]*$/;
}

/** Ends the request and reads its whole response. */
function sendAndRead(req: ClientRequest): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (response) => {
      response.resume();
      response.on('end', resolve);
    });
    req.end();
  });
}

const hop = (overrides: Partial<Parameters<typeof wireProblem>[0]>) =>
  wireProblem({ method: 'GET', url: 'http://127.0.0.1/', headerLines: [], credentials: [], ...overrides });

test('never accepts a string containing CR, LF or NUL — in any position a string reaches the wire', (t) => {
  const ses = session.fromPartition('wire-validation-property');
  fc.assert(
    fc.property(withFraming, token, (bad, name) => {
      if (isFieldValue(bad)) return false;
      if (isToken(bad)) return false;
      try {
        validateHeader(name, bad);
        return false;
      } catch {}
      try {
        ses.setUserAgent(bad);
        return false;
      } catch {}
      try {
        ses.setUserAgent('ok', bad);
        return false;
      } catch {}
      return (
        hop({ headerLines: [`${name}: ${bad}`] }) !== null &&
        hop({ headerLines: [`${bad}: v`] }) !== null &&
        hop({ method: bad }) !== null &&
        hop({ url: `http://127.0.0.1/${bad}` }) !== null &&
        hop({ credentials: [{ what: 'user name', value: bad }] }) !== null &&
        hop({ credentials: [{ what: 'proxy password', value: bad }] }) !== null
      );
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('accepts every RFC 7230 token as a name/method and every field-value as a value', (t) => {
  fc.assert(
    fc.property(token, fieldValue, (name, value) => {
      return (
        isToken(name) &&
        isFieldValue(value) &&
        validateHeader(name, value) === value &&
        hop({ method: name, headerLines: [`${name}: ${value}`], credentials: [{ what: 'user name', value }] }) === null
      );
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

/** Each run of this property is a real request; fewer runs than the pure properties. */
const WIRE_RUNS = 300;

test('the string validated is the string sent: the line on the wire is built from the first toString() only', async (t) => {
  const server = await startWireRecorder(() => okResponse());
  t.teardown(() => server.close());
  const ses = session.fromPartition('wire-validation-sent');
  const results = fc.array(fc.oneof(fieldValue, fc.string({ unit: 'binary' }), withFraming), { minLength: 1, maxLength: 4 });
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(token, results, async (suffix, strings) => {
      const name = `X-${suffix}`;
      let call = 0;
      const value = { toString: () => strings[Math.min(call++, strings.length - 1)] };
      const req = net.request({ url: `${server.httpUrl}/p${sent}`, session: ses });
      let validated: string;
      try {
        validated = headerValueForWire(name, strings[0]);
      } catch {
        // The first string is refused: so is the header, whatever toString() says later.
        call = 0;
        try {
          req.setHeader(name, value);
          return false;
        } catch {
          return true;
        } finally {
          req.abort();
        }
      }
      call = 0;
      req.setHeader(name, value);
      const path = `/p${sent++}`;
      await sendAndRead(req);
      const recorded = server.requests.find((r) => r.requestLine.startsWith(`GET ${path} `));
      const expected = Buffer.from(`${name}: ${validated}`, 'utf8').toString('latin1');
      const line = recorded?.headerLines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
      // An empty (or all-blank, which HTTP reads as empty) value goes out as 'Name:'.
      // Every line of the head is one the request meant to send: none without a name.
      const wellFormed = recorded!.headerLines.every((l) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:/.test(l));
      return (line === expected || (blankToLibcurl().test(validated) && line === `${name}:`)) && wellFormed;
    }),
    { numRuns: WIRE_RUNS },
  );
  t.log(`${sent} of ${WIRE_RUNS} runs sent a request`);
  t.true(sent > WIRE_RUNS / 2);
});


test('a value of only whitespace controls (\\v, \\f) still puts its header on the wire', async (t) => {
  const server = await startWireRecorder(() => okResponse());
  t.teardown(() => server.close());
  const ses = session.fromPartition('wire-validation-controls');
  const values = ['\u000b', '\u000c', ' \u000b\t', '\u000c\u000c', 'a\u000b', '\u000ba', '', ' \t'];
  for (const [i, value] of values.entries()) {
    const req = net.request({ url: `${server.httpUrl}/c${i}`, session: ses });
    req.setHeader('X-V', value);
    await sendAndRead(req);
    const recorded = server.requests.find((r) => r.requestLine.startsWith(`GET /c${i} `));
    const lines = recorded!.headerLines.filter((l) => l.toLowerCase().startsWith('x-v:'));
    // A value libcurl would take for blank goes out empty: the header is kept, its blank bytes are not.
    const expected = blankToLibcurl().test(value) ? 'X-V:' : `X-V: ${value}`;
    t.deepEqual(lines, [expected], `value ${JSON.stringify(value)}`);
  }
});

// The addon copies each string argument of a hop through a 1 KB buffer first, and Node-API stops
// short of a character that does not fit: a header block ending in multi-byte characters near
// that size must still arrive whole, not cut at the character.
test('header blocks around 1 KB arrive whole when multi-byte characters straddle the addon\'s copy buffer', async (t) => {
  const server = await startWireRecorder(() => okResponse());
  t.teardown(() => server.close());
  const ses = session.fromPartition('wire-validation-long');
  const tails = ['é', '€', '😀', '€😀é'];
  let checked = 0;
  for (let pad = 880; pad <= 1060; pad++) {
    const tail = tails[pad % tails.length];
    const value = `${'v'.repeat(pad)}${tail}`;
    const req = net.request({ url: `${server.httpUrl}/l${pad}`, session: ses });
    req.setHeader('X-Long', value);
    await sendAndRead(req);
    const recorded = server.requests.find((r) => r.requestLine.startsWith(`GET /l${pad} `));
    const line = recorded!.headerLines.find((l) => l.toLowerCase().startsWith('x-long:'));
    if (line !== Buffer.from(`X-Long: ${value}`, 'utf8').toString('latin1')) return t.fail(`padding ${pad}: ${line?.length} bytes arrived`);
    checked += 1;
  }
  t.is(checked, 181);
});
