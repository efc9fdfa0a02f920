// The admission stage by itself: what is refused before any network, and what passes.
import test from 'ava';
import { NetError } from '../../ts/errors';
import { admission } from '../../ts/stages/admission';
import { harness } from '../helpers/stage-harness';

const refused = (options: Parameters<typeof harness>[1]) => harness(admission, options).stage.start!();

test('an ordinary request passes', (t) => {
  t.is(refused({ url: 'https://example.test/', method: 'POST', headers: { 'content-type': 'text/plain' } }), null);
});

test('CONNECT and methods that are not tokens are refused with ERR_INVALID_ARGUMENT', (t) => {
  for (const method of ['CONNECT', 'GE T']) {
    const error = refused({ url: 'http://example.test/', method }) as NetError;
    t.is(error?.code, 'ERR_INVALID_ARGUMENT', method);
  }
});

test('TRACE is refused unless the fetch mode is no-cors (the default)', (t) => {
  t.is((refused({ url: 'http://example.test/', method: 'TRACE', headers: { 'Sec-Fetch-Mode': 'cors' } }) as NetError)?.code, 'ERR_INVALID_ARGUMENT');
  t.is(refused({ url: 'http://example.test/', method: 'TRACE' }), null);
});

test('restricted headers are refused when the request starts', (t) => {
  for (const [name, value] of [['Host', 'x'], ['Proxy-Foo', '1'], ['Connection', 'upgrade'], ['Transfer-Encoding', 'chunked']]) {
    t.is((refused({ url: 'http://example.test/', headers: { [name]: value } }) as NetError)?.code, 'ERR_INVALID_ARGUMENT', name);
  }
  t.is(refused({ url: 'http://example.test/', headers: { Connection: 'close' } }), null);
});

test('only-if-cached misses (there is no cache)', (t) => {
  t.is((refused({ url: 'http://example.test/', cache: 'only-if-cached' }) as NetError)?.code, 'ERR_CACHE_MISS');
});

test('a Referer the policy would not send as given is blocked', (t) => {
  const error = refused({ url: 'http://example.test/', headers: { Referer: 'not a url' } }) as NetError;
  t.is(error?.code, 'ERR_BLOCKED_BY_CLIENT');
  t.is(refused({ url: 'http://example.test/a', headers: { Referer: 'http://example.test/b' } }), null);
});

test('every hop: a restricted port or a URL over 2 MiB is refused before any network', (t) => {
  const h = harness(admission, 'http://example.test/');
  t.is(h.stage.beforeHop!(h.draft()), undefined);
  h.state.url = new URL('http://example.test:6667/');
  t.is((h.stage.beforeHop!(h.draft()) as NetError).code, 'ERR_UNSAFE_PORT');
  h.state.url = new URL(`http://example.test/${'a'.repeat(2 * 1024 * 1024)}`);
  t.is((h.stage.beforeHop!(h.draft()) as NetError).code, 'ERR_INVALID_URL');
});
