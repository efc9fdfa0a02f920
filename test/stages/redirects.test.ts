// The redirect stage by itself: Chromium's rules for the next hop, and the one place where a
// redirect strips request headers.
import test from 'ava';
import { RequestBody } from '../../ts/request-body';
import { redirects } from '../../ts/stages/redirects';
import { harness, head } from '../helpers/stage-harness';

const to = (status: number, location: string) => head(status, ['Location', location]);

test('a 302 to a relative URL restarts at the resolved target, with the fragment kept', (t) => {
  const h = harness(redirects, 'http://example.test/a#frag');
  t.is(h.stage.onHead!(to(302, '/b')), 'handled');
  t.is(h.state.url.href, 'http://example.test/b#frag');
  t.like(h.log[0], { restart: { kind: 'redirect', crossOrigin: false } });
});

test('non-redirect statuses and redirects without Location are not handled', (t) => {
  const h = harness(redirects, 'http://example.test/');
  t.is(h.stage.onHead!(head(200)), undefined);
  t.is(h.stage.onHead!(head(301)), undefined);
  t.is(h.stage.onHead!(head(304, ['Location', '/x'])), undefined);
});

test('303 turns POST into GET, drops the body and the body headers', (t) => {
  const body = new RequestBody();
  body.append(Buffer.from('x'));
  body.seal();
  const h = harness(redirects, { url: 'http://example.test/', method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Keep': '1' } }, { body });
  h.stage.onHead!(to(303, '/done'));
  t.is(h.state.method, 'GET');
  t.is(body.buffer, null);
  t.false(h.state.headers.has('content-type'));
  t.true(h.state.headers.has('x-keep'));
});

test('307 keeps the method and body', (t) => {
  const body = new RequestBody();
  body.append(Buffer.from('x'));
  body.seal();
  const h = harness(redirects, { url: 'http://example.test/', method: 'PUT' }, { body });
  h.stage.onHead!(to(307, '/again'));
  t.is(h.state.method, 'PUT');
  t.deepEqual(body.buffer, Buffer.from('x'));
});

test('a cross-origin redirect strips credentials and makes Origin null, without touching the application map', (t) => {
  const h = harness(redirects, { url: 'http://example.test/', headers: { Authorization: 'Basic x', Cookie: 'a=b', Origin: 'http://app.test' } });
  const original = h.state.headers;
  h.stage.onHead!(to(302, 'http://other.test/'));
  t.false(h.state.headers.has('authorization'));
  t.false(h.state.headers.has('cookie'));
  t.is(h.state.headers.get('origin')?.value, 'null');
  t.true(original.has('authorization'), 'the application map is copied, not changed');
});

test('https → http drops Sec-Fetch-* and client hints', (t) => {
  const h = harness(redirects, { url: 'https://example.test/', headers: { 'Sec-Fetch-Dest': 'image', 'Sec-CH-UA': 'x' } });
  h.stage.onHead!(to(302, 'http://example.test/'));
  t.false(h.state.headers.has('sec-fetch-dest'));
  t.false(h.state.headers.has('sec-ch-ua'));
});

test('the 21st redirect fails with ERR_TOO_MANY_REDIRECTS', (t) => {
  const h = harness(redirects, 'http://example.test/0');
  for (let i = 1; i <= 20; i++) t.is(h.stage.onHead!(to(302, `/${i}`)), 'handled');
  h.stage.onHead!(to(302, '/21'));
  t.is((h.log.at(-1) as { fail: Error & { code?: string } }).fail.code, 'ERR_TOO_MANY_REDIRECTS');
});

test("redirect: 'error' fails; 'manual' fails unless followRedirect() is called from the event", (t) => {
  const error = harness(redirects, { url: 'http://example.test/', redirect: 'error' });
  error.stage.onHead!(to(302, '/x'));
  t.regex((error.log[0] as { fail: Error }).fail.message, /redirect policy was 'error'/);

  const cancelled = harness(redirects, { url: 'http://example.test/', redirect: 'manual' });
  cancelled.listeners.set('redirect', () => undefined);
  cancelled.stage.onHead!(to(302, '/x'));
  t.is((cancelled.log.at(-1) as { fail: Error }).fail.message, 'Redirect was cancelled');

  const followed = harness(redirects, { url: 'http://example.test/', redirect: 'manual' });
  followed.listeners.set('redirect', (status, method, url) => {
    t.deepEqual([status, method, url], [302, 'GET', 'http://example.test/x']);
    followed.control.pendingRedirect!();
  });
  t.is(followed.stage.onHead!(to(302, '/x')), 'handled');
  t.like(followed.log.at(-1), { restart: { kind: 'redirect' } });
  t.is(followed.control.pendingRedirect, null, 'only while the event runs');
});

test('unsafe and unknown schemes are refused', (t) => {
  const unsafe = harness(redirects, 'http://example.test/');
  unsafe.stage.onHead!(to(302, 'file:///etc/passwd'));
  t.is((unsafe.log.at(-1) as { fail: Error & { code?: string } }).fail.code, 'ERR_UNSAFE_REDIRECT');
  const unknown = harness(redirects, 'http://example.test/');
  unknown.stage.onHead!(to(302, 'gopher://x/'));
  t.is((unknown.log.at(-1) as { fail: Error & { code?: string } }).fail.code, 'ERR_UNKNOWN_URL_SCHEME');
});

test('a streamed body that was not kept cannot follow a 307', (t) => {
  const body = new RequestBody();
  body.startStreaming();
  const h = harness(redirects, { url: 'http://example.test/', method: 'POST' }, { body });
  h.stage.onHead!(to(307, '/x'));
  t.is((h.log.at(-1) as { fail: Error & { code?: string } }).fail.code, 'ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED');
});
