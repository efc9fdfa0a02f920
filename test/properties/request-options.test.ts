// Properties of URL assembly from net.request()'s parts (ts/request-options.ts): only
// Electron's documented errors are thrown, and each part lands where it belongs (the path can
// never change the host, the host never the path). Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import { parseRequestOptions } from '../../ts/request-options';
import { domainName } from './arbitraries';

const RUNS = { numRuns: 2000 };
const notASession = () => false;

/** The messages Electron throws for bad parts (docs/api.md, electron-net-behaviour §2.1). */
function isDocumentedError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError && ((error as { code?: string }).code === 'ERR_INVALID_URL' || error.message === 'Request path contains unescaped characters'))
    return true;
  return error.message === 'ClientRequest only supports http: and https: protocols';
}

const urlText = fc.string({ unit: fc.constantFrom(...'ab:/?#@[]%. \\é\t1'.split('')), maxLength: 20 });
const part = fc.option(fc.oneof(urlText, fc.string({ maxLength: 12 })), { nil: undefined });

test('assembling a URL from any protocol, host, hostname, port and path throws only Electron\'s errors', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.record({ protocol: part, host: part, hostname: part, port: fc.option(fc.oneof(part, fc.integer()), { nil: undefined }), path: part }, { requiredKeys: [] }),
        (options) => {
          try {
            parseRequestOptions(options as never, notASession);
          } catch (error) {
            if (!isDocumentedError(error)) throw error;
          }
        },
      ),
      RUNS,
    ),
  );
});

const hostname = domainName;
const pathText = fc.string({ unit: fc.constantFrom(...'ab/?#.%=&é~'.split('')), maxLength: 24 });

test('the host comes from host/hostname/port only; the path, query and fragment from path only', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.constantFrom('http:', 'https:', 'http', 'HTTPS:'),
        hostname,
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.boolean(),
        pathText,
        (protocol, name, port, viaHost, path) => {
          const options = viaHost
            ? { protocol, host: port === undefined ? name : `${name}:${port}`, hostname: 'ignored.test', port: 1, path }
            : { protocol, hostname: name, port, path };
          let reference: URL;
          try {
            reference = new URL(path || '/', 'http://localhost');
          } catch {
            // e.g. '//': Electron resolves the path against http://localhost, which fails.
            const error = t.throws(() => parseRequestOptions(options, notASession));
            t.is((error as { code?: string }).code, 'ERR_INVALID_URL');
            return;
          }
          const { url } = parseRequestOptions(options, notASession);
          const scheme = protocol.toLowerCase().replace(/:?$/, ':');
          const expectedPort = port === undefined || String(port) === (scheme === 'https:' ? '443' : '80') ? '' : String(port);
          t.is(url.protocol, scheme);
          t.is(url.hostname, name);
          t.is(url.port, expectedPort);
          t.is(url.pathname, reference.pathname);
          t.is(url.search, reference.search);
          t.is(url.hash, reference.hash);
        },
      ),
      RUNS,
    ),
  );
});

test('a url option is used as given: the parts are ignored and WHATWG parsing decides', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }), hostname, (given, other) => {
        const { url } = parseRequestOptions({ url: given, hostname: other, path: '/ignored' }, notASession);
        t.is(url.href, new URL(given).href);
      }),
      RUNS,
    ),
  );
});
