// The webRequest stages by themselves (no server), Electron's listener registration checks, and
// Chromium's match patterns.
import test from 'ava';
import { RequestBody } from '../../ts/request-body';
import { webRequest, webRequestStart } from '../../ts/stages/web-request';
import { UrlPattern } from '../../ts/web-request/url-pattern';
import { WebRequest } from '../../ts/web-request/web-request';
import { fromPartition } from '../../ts/session';
import { harness, head } from '../helpers/stage-harness';
import { HopFlag } from '../../ts/native';

let partitions = 0;
const freshSession = () => fromPartition(`web-request-unit-${partitions++}`);
const tick = () => new Promise((resolve) => setImmediate(resolve));

// ---- match patterns ---------------------------------------------------------------------------

const matches = (pattern: string, url: string) => UrlPattern.parse(pattern).matches(new URL(url));

test('<all_urls> matches everything', (t) => {
  t.true(matches('<all_urls>', 'http://a.test/'));
  t.true(matches('<all_urls>', 'https://b.test:8443/x?y'));
  t.true(matches('<all_urls>', 'myscheme://host/p'));
});

test('a * scheme means http and https; a *. host means the host and its subdomains', (t) => {
  t.true(matches('*://*.example.com/*', 'http://example.com/'));
  t.true(matches('*://*.example.com/*', 'https://a.b.example.com/x'));
  t.false(matches('*://*.example.com/*', 'http://badexample.com/'));
  t.false(matches('*://*.example.com/*', 'ftp://example.com/'));
  t.true(matches('*://*/*', 'http://127.0.0.1:9/'));
  t.false(matches('https://example.com/*', 'http://example.com/'));
});

test('ports: none means any, a number means that port (the default one when the URL has none)', (t) => {
  t.true(matches('http://127.0.0.1/*', 'http://127.0.0.1:8080/x'));
  t.true(matches('http://127.0.0.1:8080/*', 'http://127.0.0.1:8080/x'));
  t.false(matches('http://127.0.0.1:8080/*', 'http://127.0.0.1:8081/x'));
  t.true(matches('http://a.test:80/*', 'http://a.test/'));
  t.true(matches('http://a.test:*/*', 'http://a.test:1234/'));
});

test('paths are globs over path and query where only * is special', (t) => {
  t.true(matches('http://a.test/foo*', 'http://a.test/foobar?x=1'));
  t.false(matches('http://a.test/foo', 'http://a.test/foo?x=1'));
  t.true(matches('http://a.test/foo?x=*', 'http://a.test/foo?x=1'));
  t.false(matches('http://a.test/fo?', 'http://a.test/foo'), '? is literal');
  t.true(matches('http://a.test/*.js', 'http://a.test/lib/app.js'));
  t.false(matches('http://a.test/*.js', 'http://a.test/lib/app.jsx'));
  t.false(matches('http://*.a.test/*', 'http://127.0.0.1/'));
});

test('invalid patterns throw Electron\'s message with Chromium\'s reason', (t) => {
  const cases: Array<[string, string]> = [
    ['example.com', 'Missing scheme separator.'],
    ['http:example.com/', 'Wrong scheme type.'],
    ['data://x/', 'Wrong scheme type.'],
    ['1http://a/', 'Invalid scheme.'],
    ['http:///x', 'Host can not be empty.'],
    ['http://a.*.com/', 'Invalid host wildcard.'],
    ['http://*foo/', 'Invalid host wildcard.'],
    ['http://example.com', 'Empty path.'],
    ['http://example.com:port/', 'Invalid port.'],
    ['http://example.com:70000/', 'Invalid port.'],
    ['http://exa mple.com/', 'Invalid host.'],
  ];
  for (const [pattern, reason] of cases) {
    t.throws(() => UrlPattern.parse(pattern), { instanceOf: TypeError, message: `Invalid url pattern ${pattern}: ${reason}` }, pattern);
  }
  t.notThrows(() => UrlPattern.parse('file:///home/*'));
  t.notThrows(() => UrlPattern.parse('data:*'));
});

// ---- registration -----------------------------------------------------------------------------

test('one listener per hook: the last one wins, null removes it, filters are checked', (t) => {
  const hooks = new WebRequest();
  const url = new URL('http://a.test/x');
  const first = () => undefined;
  const second = () => undefined;
  hooks.onSendHeaders(first);
  hooks.onSendHeaders(second);
  t.is(hooks._listenerFor('onSendHeaders', url, 'other'), second);
  hooks.onSendHeaders({ urls: ['http://b.test/*'] }, first);
  t.is(hooks._listenerFor('onSendHeaders', url, 'other'), undefined);
  t.is(hooks._listenerFor('onSendHeaders', new URL('http://b.test/'), 'other'), first);
  hooks.onSendHeaders({ urls: ['<all_urls>'], excludeUrls: ['*://*/x'] }, first);
  t.is(hooks._listenerFor('onSendHeaders', url, 'other'), undefined);
  t.is(hooks._listenerFor('onSendHeaders', new URL('http://a.test/y'), 'other'), first);
  hooks.onSendHeaders({ urls: [], types: ['xhr'] }, first);
  t.is(hooks._listenerFor('onSendHeaders', url, 'other'), undefined, 'net requests are "other", not xhr');
  t.is(hooks._listenerFor('onSendHeaders', url, 'xhr'), first);
  hooks.onSendHeaders(null);
  t.is(hooks._listenerFor('onSendHeaders', url, 'other'), undefined);
  t.true(hooks._idle);
  hooks.onCompleted({ urls: [] }, first);
  t.is(hooks._listenerFor('onCompleted', url, 'other'), first, 'an empty url list matches everything');
  hooks.onCompleted({ urls: ['http://b.test/*'] }, null);
  t.true(hooks._idle, 'null with a filter removes too');
});

test('bad arguments throw Electron\'s TypeErrors', (t) => {
  const hooks = new WebRequest();
  t.throws(() => (hooks.onBeforeRequest as any)(), { instanceOf: TypeError, message: 'Must pass null or a Function' });
  t.throws(() => (hooks.onBeforeRequest as any)('x'), { instanceOf: TypeError, message: 'Must pass null or a Function' });
  t.throws(() => (hooks.onBeforeRequest as any)({ urls: [] }, 1), { message: 'Must pass null or a Function' });
  t.throws(() => (hooks.onBeforeRequest as any)({}, () => undefined), { message: "Parameter 'filter' must have property 'urls'." });
  t.throws(() => (hooks.onBeforeRequest as any)({ urls: 'x' }, () => undefined), { message: "Parameter 'filter' must have property 'urls'." });
  t.throws(() => hooks.onBeforeRequest({ urls: ['nope'] }, () => undefined), { message: 'Invalid url pattern nope: Missing scheme separator.' });
  t.throws(() => (hooks.onBeforeRequest as any)({ urls: [], types: ['other'] }, () => undefined), { message: 'Invalid type other' });
  t.throws(() => hooks.onBeforeRequest({ urls: [], excludeUrls: ['http://x'] }, () => undefined), { message: 'Invalid url pattern http://x: Empty path.' });
  t.true(hooks._idle, 'nothing was registered by a failed call');
});

// ---- the stages -------------------------------------------------------------------------------

test('onBeforeRequest: details, cancel → net::ERR_BLOCKED_BY_CLIENT', async (t) => {
  const session = freshSession();
  let seen: any;
  session.webRequest.onBeforeRequest((details, callback) => {
    seen = details;
    callback({ cancel: true });
  });
  const body = new RequestBody();
  body.append(Buffer.from('abc'));
  body.seal();
  const h = harness(webRequestStart, { url: 'http://a.test/p', method: 'POST', headers: { Referer: 'http://r.test/' } }, { session, body });
  const error = await t.throwsAsync(h.prepare());
  t.is(error?.message, 'net::ERR_BLOCKED_BY_CLIENT');
  t.like(seen, { url: 'http://a.test/p', method: 'POST', resourceType: 'other', referrer: 'http://r.test/' });
  t.true(Number.isInteger(seen.id) && seen.id > 0);
  t.is(typeof seen.timestamp, 'number');
  t.deepEqual(seen.uploadData, [{ bytes: Buffer.from('abc') }]);
});

test('onBeforeRequest redirectURL answers the hop with an internal 307', async (t) => {
  const session = freshSession();
  session.webRequest.onBeforeRequest((_details, callback) => callback({ redirectURL: 'http://b.test/new' }));
  const h = harness(webRequestStart, 'http://a.test/old', { session });
  const draft = await h.prepare();
  t.truthy(draft.local);
  const events: unknown[] = [];
  draft.local!.start({
    onHead: (head) => events.push(head),
    onData: () => undefined,
    onUploadProgress: () => undefined,
    onUploadConsumed: () => undefined,
    onDone: (outcome) => events.push(outcome.curlCode),
  });
  await tick();
  t.like(events[0], { statusCode: 307, rawHeaders: ['Location', 'http://b.test/new', 'Non-Authoritative-Reason', 'WebRequest API'] });
  t.is(events[1], 0);
});

test('onBeforeRequest runs once per URL: not again for a login or proxy failover hop, again after a redirect', async (t) => {
  const session = freshSession();
  let calls = 0;
  session.webRequest.onBeforeRequest((_d, callback) => {
    calls += 1;
    callback({});
  });
  const top = harness(webRequestStart, 'http://a.test/', { session });
  const bottom = webRequest(top.control)!; // the session has webRequest: never null
  await top.prepare();
  bottom.onRestart!({ kind: 'login' });
  await top.prepare();
  bottom.onRestart!({ kind: 'proxy-failover' });
  await top.prepare();
  t.is(calls, 1);
  bottom.onRestart!({ kind: 'redirect', from: new URL('http://a.test/'), to: new URL('http://b.test/'), crossOrigin: true });
  await top.prepare();
  t.is(calls, 2);
});

test('onBeforeSendHeaders sees the draft\'s headers and replaces them; onSendHeaders sees the result', async (t) => {
  const session = freshSession();
  let before: any;
  let sent: any;
  session.webRequest.onBeforeSendHeaders((details, callback) => {
    before = details.requestHeaders;
    callback({ requestHeaders: { ...details.requestHeaders, 'X-Added': ['a', 'b'], 'User-Agent': undefined as never } });
  });
  session.webRequest.onSendHeaders((details) => (sent = details.requestHeaders));
  const h = harness(webRequest, 'http://a.test/', { session });
  const draft = h.draft();
  draft.lines.push('User-Agent: agent', 'X-App: 1');
  await (h.stage.beforeHop!(draft) as Promise<unknown>);
  t.deepEqual(before, { 'User-Agent': 'agent', 'X-App': '1' });
  t.deepEqual(draft.lines, ['X-App: 1', 'X-Added: a, b']);
  t.deepEqual(sent, { 'X-App': '1', 'X-Added': 'a, b' });
  // A proxy failover repeats the hop: the listener is not asked again, its headers stay.
  h.stage.onRestart!({ kind: 'proxy-failover' });
  const again = h.draft();
  again.lines.push('User-Agent: agent', 'X-App: 1');
  t.is(h.stage.beforeHop!(again), undefined);
  t.deepEqual(again.lines, ['X-App: 1', 'X-Added: a, b']);
});

test('onHeadersReceived holds the head, rewrites status line and headers in place, then proceeds', async (t) => {
  const session = freshSession();
  let seen: any;
  session.webRequest.onHeadersReceived((details, callback) => {
    seen = details;
    setTimeout(() => callback({ statusLine: 'HTTP/1.1 302 Found', responseHeaders: { Location: '/elsewhere', 'X-Two': ['1', '2'] } }), 5);
  });
  const h = harness(webRequest, 'http://a.test/', { session });
  const original = head(200, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
  original.statusMessage = 'OK';
  t.is(h.stage.onHead!(original), 'hold');
  t.like(seen, { statusCode: 200, statusLine: 'HTTP/1.1 200 OK', fromCache: false });
  t.deepEqual(seen.responseHeaders, { 'Content-Type': ['text/plain'], 'Set-Cookie': ['a=1', 'b=2'] });
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.deepEqual(h.log, [{ proceed: true }]);
  t.is(original.statusCode, 302);
  t.is(original.statusMessage, 'Found');
  t.deepEqual(original.rawHeaders, ['Location', '/elsewhere', 'X-Two', '1', 'X-Two', '2']);
});

test('onHeadersReceived: a status line without headers changes nothing; cancel fails the request', async (t) => {
  const session = freshSession();
  let answer: any = { statusLine: 'HTTP/1.1 404 Not Found' };
  session.webRequest.onHeadersReceived((_d, callback) => callback(answer));
  const h = harness(webRequest, 'http://a.test/', { session });
  const kept = head(200, ['A', 'b']);
  h.stage.onHead!(kept);
  await tick();
  t.is(kept.statusCode, 200);
  t.deepEqual(kept.rawHeaders, ['A', 'b']);
  answer = { cancel: true };
  h.stage.onHead!(head(200));
  await tick();
  t.like(h.log[1], { fail: { message: 'net::ERR_BLOCKED_BY_CLIENT' } });
});

test('a listener that calls back twice is heard once', async (t) => {
  const session = freshSession();
  session.webRequest.onHeadersReceived((_d, callback) => {
    callback({});
    callback({ cancel: true });
  });
  const h = harness(webRequest, 'http://a.test/', { session });
  h.stage.onHead!(head(200));
  await tick();
  t.deepEqual(h.log, [{ proceed: true }]);
});

test('onBeforeRedirect, onResponseStarted, onCompleted and onErrorOccurred carry Electron\'s fields', (t) => {
  const session = freshSession();
  const events: Array<[string, any]> = [];
  session.webRequest.onBeforeRedirect((d) => events.push(['redirect', d]));
  session.webRequest.onResponseStarted((d) => events.push(['started', d]));
  session.webRequest.onCompleted((d) => events.push(['completed', d]));
  session.webRequest.onErrorOccurred((d) => events.push(['error', d]));
  const h = harness(webRequest, 'http://a.test/', { session });
  const redirect = head(301, ['Location', 'http://b.test/']);
  redirect.statusMessage = 'Moved Permanently';
  t.is(h.stage.onHead!(redirect), undefined, 'no onHeadersReceived listener: nothing held');
  t.is(events.length, 1, 'onBeforeRedirect comes with the redirect head, before the redirect stage decides');
  h.stage.onRestart!({ kind: 'redirect', from: new URL('http://a.test/'), to: new URL('http://b.test/'), crossOrigin: true });
  t.is(events.length, 1, 'not again when the hops start over');
  h.stage.onHead!(head(200));
  h.state.url = new URL('http://b.test/');
  const final = head(200, ['X', 'y']);
  h.stage.onResponse!(final);
  h.stage.onEnd!(null);
  t.deepEqual(events.map(([name]) => name), ['redirect', 'started', 'completed']);
  t.like(events[0][1], {
    url: 'http://a.test/',
    redirectURL: 'http://b.test/',
    statusCode: 301,
    statusLine: 'HTTP/1.1 301 Moved Permanently',
    fromCache: false,
    responseHeaders: { Location: ['http://b.test/'] },
  });
  t.like(events[1][1], { url: 'http://b.test/', statusCode: 200, responseHeaders: { X: ['y'] } });
  t.like(events[2][1], { url: 'http://b.test/', statusCode: 200, error: 'net::OK' });
  t.is(events[0][1].id, events[2][1].id, 'one id for the whole request');
  const failed = harness(webRequest, 'http://c.test/', { session });
  failed.stage.onEnd!(new Error('Redirect was cancelled'));
  t.like(events[3][1], { url: 'http://c.test/', fromCache: false, error: 'net::ERR_ABORTED' });
});

test('a session nobody hooks: its requests leave both stages out', (t) => {
  const session = freshSession();
  const control = harness(webRequest, 'http://a.test/', { session }).control;
  t.is(webRequest(control), null);
  t.is(webRequestStart(control), null);
});

test('a session whose webRequest has no listeners: the stages do nothing', (t) => {
  const session = freshSession();
  session.webRequest.onBeforeRequest(null);
  const h = harness(webRequest, 'http://a.test/', { session });
  const draft = h.draft();
  t.is(h.stage.beforeHop!(draft), undefined);
  t.is(h.stage.onHead!(head(200)), undefined);
  const top = harness(webRequestStart, 'http://a.test/', { session });
  t.is(top.stage.beforeHop!(top.draft()), undefined);
});

test('the peer address is asked of libcurl only for a session with webRequest listeners, and reaches the response hooks', async (t) => {
  // A session nobody hooks leaves the stage out; one whose hooks are all removed keeps it idle.
  const quiet = freshSession();
  quiet.webRequest.onResponseStarted(null);
  const idle = harness(webRequest, 'http://a.test/', { session: quiet });
  const plain = idle.draft();
  idle.stage.beforeHop!(plain);
  t.is(plain.flags & HopFlag.PeerAddress, 0, 'no listeners: no getinfo, no extra string per head');

  const session = freshSession();
  const seen: Record<string, unknown> = {};
  session.webRequest.onResponseStarted((details) => (seen.started = details.ip));
  session.webRequest.onCompleted((details) => (seen.completed = details.ip));
  session.webRequest.onHeadersReceived((details, callback) => {
    seen.headers = 'ip' in details;
    callback({});
  });
  const h = harness(webRequest, 'http://a.test/', { session });
  const draft = h.draft();
  await h.stage.beforeHop!(draft);
  t.not(draft.flags & HopFlag.PeerAddress, 0);
  const response = head(200);
  response.ip = '::1';
  h.stage.onHead!(response);
  await tick();
  h.stage.onResponse!(response);
  h.stage.onEnd!(null);
  t.deepEqual(seen, { headers: false, started: '::1', completed: '::1' });

  // A head made in this process has no address: no `ip` key at all, as in Electron.
  const local = harness(webRequest, 'http://a.test/', { session });
  let keys: string[] = [];
  session.webRequest.onResponseStarted((details) => (keys = Object.keys(details)));
  local.stage.onResponse!(head(200));
  t.false(keys.includes('ip'));
});
