import test from 'ava';
import { net } from '../ts/index';
import { parseRequestOptions } from '../ts/request-options';
import { fromPartition } from '../ts/session';
import { isSession } from '../ts/session';

const parse = (o: any) => parseRequestOptions(o, isSession);

test('URL assembly from parts follows Electron', (t) => {
  t.is(parse({ host: 'example.com:8080', hostname: 'ignored', port: 1, path: '/p?q=1#h' }).url.href, 'http://example.com:8080/p?q=1#h');
  t.is(parse({}).url.href, 'http://localhost/');
  t.is(parse({ hostname: 'h', port: '8080', path: '/a/../b?x=é#f' }).url.href, 'http://h:8080/b?x=%C3%A9#f');
  t.is(parse({ protocol: 'https', hostname: 'h' }).url.href, 'https://h/');
  t.is(parse({ hostname: 'h', path: 'nolead' }).url.href, 'http://h/nolead');
  t.is(parse({ hostname: 'h', port: 0 }).url.href, 'http://h/');
  t.is(parse({ url: 'http://a/x', hostname: 'ignored' }).url.href, 'http://a/x');
  t.is(parse({ href: 'http://b/y' }).url.href, 'http://b/y');
  // Electron spreads a URL object into an object with no own properties (http://localhost/);
  // curl-net requests the URL's own href (docs/api.md).
  t.is(parse(new URL('https://example.com/z') as any).url.href, 'https://example.com/z');
  t.is(parse('https://example.com/s').url.href, 'https://example.com/s');
});

test('defaults and value handling', (t) => {
  const o = parse({ url: 'http://a/', method: 'post' });
  t.is(o.method, 'POST');
  t.is(o.redirect, 'follow');
  t.is(o.referrerPolicy, 'strict-origin-when-cross-origin');
  t.is(o.priority, 'idle');
  t.true(o.priorityIncremental);
  t.is(o.cache, 'default');
  t.is(o.credentials, undefined);
  t.false(o.useSessionCookies);
  t.is(parse({ url: 'http://a/', referrerPolicy: 'UNSAFE-URL' }).referrerPolicy, 'unsafe-url');
  t.is(parse({ url: 'http://a/', referrerPolicy: 'bogus' }).referrerPolicy, 'strict-origin-when-cross-origin');
  t.is(parse({ url: 'http://a/', credentials: 'bogus' }).credentials, undefined);
  t.false(parse({ url: 'http://a/', priorityIncremental: false }).priorityIncremental);
});

test('synchronous throws carry Electron messages', (t) => {
  t.throws(() => net.request('not a url'), { instanceOf: TypeError, message: 'Invalid URL' });
  t.throws(() => net.request({ hostname: 'h', path: '/a b' }), { instanceOf: TypeError, message: 'Request path contains unescaped characters' });
  t.throws(() => net.request({ url: 'http://a/', redirect: 'nope' as any }), { message: 'redirect mode should be one of follow, error or manual' });
  t.throws(() => net.request({ url: 'http://a/', headers: 'x' as any }), { instanceOf: TypeError, message: 'headers must be an object' });
  t.throws(() => net.request({ url: 'http://a/', headers: { foo: undefined as any } }), { message: '`value` required in setHeader("foo", value)' });
  t.throws(() => net.request({ url: 'http://a/', headers: { 'bad name': 'x' } }), { message: "Invalid header name: 'bad name'" });
  t.throws(() => net.request({ url: 'http://a/', headers: { x: 'a\nb' } }), { message: "Invalid value for header 'x': 'a\nb'" });
  t.throws(() => net.request({ url: 'http://a/', session: {} as any }), { instanceOf: TypeError, message: '`session` should be an instance of the Session class' });
  t.throws(() => net.request({ url: 'http://a/', partition: 5 as any }), { instanceOf: TypeError, message: '`partition` should be a string' });
  t.throws(() => net.request({ url: '::' }), { instanceOf: TypeError, message: 'Invalid URL' });
  t.throws(() => net.request('file://bar'), { message: 'ClientRequest only supports http: and https: protocols' });
  t.throws(() => net.request({ url: 'file://bar' }), { message: 'ClientRequest only supports http: and https: protocols' });
  t.throws(() => net.request({ url: 'http://a/', credentials: 'same-origin' }), { message: 'credentials: same-origin requires origin to be set' });
  // An Origin header does not count as the origin option.
  t.throws(() => net.request({ url: 'http://a/', credentials: 'same-origin', headers: { Origin: 'http://a' } }), {
    message: 'credentials: same-origin requires origin to be set',
  });
  t.notThrows(() => net.request({ url: 'http://a/', credentials: 'same-origin', origin: 'http://a' }));
});

test('validation order: earlier checks win', (t) => {
  // redirect is checked before headers, headers before session, session before the URL.
  t.throws(() => net.request({ url: 'file://x', redirect: 'bad' as any, headers: 'x' as any }), {
    message: 'redirect mode should be one of follow, error or manual',
  });
  t.throws(() => net.request({ url: 'file://x', headers: 'x' as any, session: {} as any }), { message: 'headers must be an object' });
  t.throws(() => net.request({ url: 'file://x', session: {} as any }), { message: '`session` should be an instance of the Session class' });
  // session wins over partition, so a bad partition is ignored when a session is given.
  t.notThrows(() => net.request({ url: 'http://a/', session: fromPartition('x'), partition: 5 as any }));
  // A falsy partition means the default session.
  t.notThrows(() => net.request({ url: 'http://a/', partition: '' }));
});
