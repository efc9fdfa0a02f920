// ses.webRequest end to end, against a real server: what the hooks change is what goes on the
// wire and what the application sees, in Chromium's order around redirects and login.
import test from 'ava';
import * as net_ from 'node:net';
import { net, session } from '../ts/index';
import { AuthRecord, basicRoute } from './helpers/auth-routes';
import { collect } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let partitions = 0;
const fresh = () => session.fromPartition(`web-request-e2e-${partitions++}`);
const records: AuthRecord[] = [];

test.before(async () => {
  server = await startServer(echo);
  server.route('/redirect', (_req, res) => {
    res.writeHead(302, { Location: '/landed' });
    res.end();
  });
  server.route('/plain', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Origin': 'server' });
    res.end('plain body');
  });
  server.route('/login', basicRoute('realm', 'user', 'pass', records));
});
test.after.always(() => server?.close());

test('a header added in onBeforeSendHeaders is on the wire; a removed one is not', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeSendHeaders((details, callback) => {
    const headers = { ...details.requestHeaders, 'X-Hooked': 'yes' };
    delete (headers as Record<string, string>)['X-Remove'];
    callback({ requestHeaders: headers });
  });
  const { body } = await collect(net.request({ url: `${server.url}/wire`, session: ses, headers: { 'X-Remove': '1' } }).end() as never);
  const seen = JSON.parse(body.toString());
  const names = (seen.rawHeaders as string[]).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  t.true(names.includes('x-hooked'));
  t.false(names.includes('x-remove'));
  t.is(server.lastTo('/wire').headers['x-hooked'], 'yes');
});

test('onBeforeRequest cancel fails net.request and net.fetch with net::ERR_BLOCKED_BY_CLIENT, before any network', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeRequest({ urls: ['*://127.0.0.1/blocked*'] }, (_d, callback) => callback({ cancel: true }));
  const before = server.requestsTo('/blocked').length;
  const request = net.request({ url: `${server.url}/blocked`, session: ses });
  const error = await new Promise<Error>((resolve) => request.on('error', resolve).end());
  t.is(error.message, 'net::ERR_BLOCKED_BY_CLIENT');
  await t.throwsAsync(ses.fetch(`${server.url}/blocked-too`), { message: 'net::ERR_BLOCKED_BY_CLIENT' });
  t.is(server.requestsTo('/blocked').length, before);
  const allowed = await ses.fetch(`${server.url}/allowed`);
  t.is(allowed.status, 200, 'the filter leaves other URLs alone');
});

test('onBeforeRequest redirectURL: an internal 307 the redirect event and onBeforeRedirect see', async (t) => {
  const ses = fresh();
  const seen: string[] = [];
  ses.webRequest.onBeforeRequest((details, callback) => {
    seen.push(`before ${new URL(details.url).pathname}`);
    callback(details.url.endsWith('/from') ? { redirectURL: `${server.url}/to` } : {});
  });
  ses.webRequest.onBeforeRedirect((details) => seen.push(`redirect ${details.statusCode} ${details.statusLine} → ${new URL(details.redirectURL).pathname}`));
  const request = net.request({ url: `${server.url}/from`, session: ses, method: 'POST' });
  request.on('redirect', (status, method) => seen.push(`event ${status} ${method}`));
  request.end('data');
  const { body } = await collect(request);
  const echoed = JSON.parse(body.toString());
  t.is(echoed.url, '/to');
  t.is(echoed.method, 'POST', 'a 307 keeps the method and body');
  t.is(echoed.body, 'data');
  // As in Chromium's network service: onBeforeRedirect before the client sees the redirect.
  t.deepEqual(seen, ['before /from', 'redirect 307 HTTP/1.1 307 Internal Redirect → /to', 'event 307 POST', 'before /to']);
  t.is(server.requestsTo('/from').length, 0, 'the original URL was never asked for');
});

test('onBeforeRequest can redirect a request away from a restricted port before it is refused', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeRequest((details, callback) => callback(details.url.includes(':6667') ? { redirectURL: `${server.url}/safe` } : {}));
  const response = await ses.fetch('http://127.0.0.1:6667/irc');
  t.is(((await response.json()) as any).url, '/safe');
  await t.throwsAsync(fresh().fetch('http://127.0.0.1:6667/irc'), { message: 'net::ERR_UNSAFE_PORT' });
});

test('onHeadersReceived rewrites the status line and headers the application sees', async (t) => {
  const ses = fresh();
  ses.webRequest.onHeadersReceived((details, callback) => {
    setTimeout(() => callback({ statusLine: 'HTTP/1.1 203 Rewritten', responseHeaders: { ...details.responseHeaders, 'X-Added': ['1'] } }), 10);
  });
  const { response, body } = await collect(net.request({ url: `${server.url}/plain`, session: ses }).end() as never);
  t.is(response.statusCode, 203);
  t.is(response.statusMessage, 'Rewritten');
  t.is(response.headers['x-added'], '1');
  t.is(response.headers['x-origin'], 'server');
  t.is(body.toString(), 'plain body', 'the body held while the listener decided is all there');
  const fetched = await ses.fetch(`${server.url}/plain`);
  t.is(fetched.status, 203);
  t.is(fetched.headers.get('x-added'), '1');
});

test('onHeadersReceived turning a 200 into a 302 makes a redirect that is followed', async (t) => {
  const ses = fresh();
  ses.webRequest.onHeadersReceived({ urls: ['*://*/turn'] }, (_details, callback) =>
    callback({ statusLine: 'HTTP/1.1 302 Found', responseHeaders: { Location: ['/turned'] } }),
  );
  const response = await ses.fetch(`${server.url}/turn`);
  t.true(response.redirected);
  t.is(response.url, `${server.url}/turned`);
  t.is(((await response.json()) as any).url, '/turned');
});

test('onHeadersReceived cancel fails the request with net::ERR_BLOCKED_BY_CLIENT', async (t) => {
  const ses = fresh();
  ses.webRequest.onHeadersReceived((_d, callback) => callback({ cancel: true }));
  await t.throwsAsync(ses.fetch(`${server.url}/plain`), { message: 'net::ERR_BLOCKED_BY_CLIENT' });
});

test('every hook, in Chromium\'s order, across a redirect', async (t) => {
  const ses = fresh();
  const order: string[] = [];
  const path = (url: string) => new URL(url).pathname;
  ses.webRequest.onBeforeRequest((d, cb) => (order.push(`beforeRequest ${path(d.url)}`), cb({})));
  ses.webRequest.onBeforeSendHeaders((d, cb) => (order.push(`beforeSendHeaders ${path(d.url)}`), cb({})));
  ses.webRequest.onSendHeaders((d) => order.push(`sendHeaders ${path(d.url)}`));
  ses.webRequest.onHeadersReceived((d, cb) => (order.push(`headersReceived ${d.statusCode}`), cb({})));
  ses.webRequest.onBeforeRedirect((d) => order.push(`beforeRedirect ${path(d.url)} → ${path(d.redirectURL)}`));
  ses.webRequest.onResponseStarted((d) => order.push(`responseStarted ${d.statusCode}`));
  ses.webRequest.onCompleted((d) => order.push(`completed ${d.statusCode} ${d.error}`));
  ses.webRequest.onErrorOccurred((d) => order.push(`errorOccurred ${d.error}`));
  const response = await ses.fetch(`${server.url}/redirect`);
  await response.text();
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, [
    'beforeRequest /redirect',
    'beforeSendHeaders /redirect',
    'sendHeaders /redirect',
    'headersReceived 302',
    'beforeRedirect /redirect → /landed',
    'beforeRequest /landed',
    'beforeSendHeaders /landed',
    'sendHeaders /landed',
    'headersReceived 200',
    'responseStarted 200',
    'completed 200 net::OK',
  ]);
});

test('onBeforeRedirect comes before the \'redirect\' event, which may still refuse the redirect', async (t) => {
  const ses = fresh();
  const order: string[] = [];
  ses.webRequest.onBeforeRedirect((d) => order.push(`beforeRedirect ${d.statusCode}`));
  ses.webRequest.onErrorOccurred((d) => order.push(`errorOccurred ${d.error}`));
  const request = net.request({ url: `${server.url}/redirect`, session: ses, redirect: 'manual' });
  request.on('redirect', () => order.push('redirect event'));
  const error = await new Promise<Error>((resolve) => request.on('error', resolve).end());
  t.is(error.message, 'Redirect was cancelled');
  t.deepEqual(order, ['beforeRedirect 302', 'redirect event', 'errorOccurred net::ERR_ABORTED']);
});

test('login: onHeadersReceived sees the 401 first; the retry sends headers again without a new onBeforeRequest', async (t) => {
  const ses = fresh();
  const order: string[] = [];
  ses.webRequest.onBeforeRequest((_d, cb) => (order.push('beforeRequest'), cb({})));
  ses.webRequest.onSendHeaders(() => order.push('sendHeaders'));
  ses.webRequest.onHeadersReceived((d, cb) => (order.push(`headersReceived ${d.statusCode}`), cb({})));
  const request = net.request({ url: `${server.url}/login`, session: ses });
  request.on('login', (_info, callback) => {
    order.push('login');
    callback('user', 'pass');
  });
  const { response } = await collect(request.end() as never);
  t.is(response.statusCode, 200);
  t.deepEqual(order, ['beforeRequest', 'sendHeaders', 'headersReceived 401', 'login', 'sendHeaders', 'headersReceived 200']);
});

test('onErrorOccurred reports a network error and an abort', async (t) => {
  const ses = fresh();
  const errors: string[] = [];
  ses.webRequest.onErrorOccurred((d) => errors.push(d.error));
  const port = await new Promise<number>((resolve) => {
    const probe = net_.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net_.AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  await t.throwsAsync(ses.fetch(`http://127.0.0.1:${port}/`));
  const request = net.request({ url: `${server.url}/plain`, session: ses });
  ses.webRequest.onBeforeSendHeaders(() => {
    request.abort();
  });
  request.end();
  await new Promise((resolve) => request.on('close', resolve));
  t.deepEqual(errors, ['net::ERR_CONNECTION_REFUSED', 'net::ERR_ABORTED']);
});

test('a listener that never calls back holds only its own request', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeSendHeaders({ urls: ['*://*/stuck*'] }, () => undefined);
  const stuck = net.request({ url: `${server.url}/stuck`, session: ses });
  stuck.on('error', () => undefined);
  stuck.end();
  const other = await ses.fetch(`${server.url}/free`);
  t.is(other.status, 200);
  t.is(server.requestsTo('/stuck').length, 0);
  stuck.abort();
});

test('hooks belong to their session: net.fetch on the default session is untouched', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeRequest((_d, cb) => cb({ cancel: true }));
  const response = await net.fetch(`${server.url}/default-session`);
  t.is(response.status, 200);
});
