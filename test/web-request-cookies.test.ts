// webRequest and cookies together, in Chromium's order: the Cookie header from the store is
// what onBeforeSendHeaders sees (and may change), and a Set-Cookie that onHeadersReceived adds
// is stored as if the server had sent it.
import test from 'ava';
import { net, session } from '../ts/index';
import { collect } from './helpers/collect';
import { startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let partitions = 0;
const fresh = () => session.fromPartition(`web-request-cookies-${partitions++}`);

test.before(async () => {
  server = await startServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(req.headers.cookie ?? 'no cookie');
  });
  server.route('/redirect', (_req, res) => {
    res.writeHead(302, { Location: '/landed' });
    res.end();
  });
});
test.after.always(() => server?.close());

const get = async (url: string, ses: ReturnType<typeof fresh>): Promise<string> => {
  const { body } = await collect(net.request({ url, session: ses, useSessionCookies: true }).end() as never);
  return body.toString();
};

test('onBeforeSendHeaders sees the Cookie header from the store, and what it writes is sent', async (t) => {
  const ses = fresh();
  await ses.cookies.set({ url: server.url, name: 'stored', value: '1' });
  const seen: Array<string | undefined> = [];
  ses.webRequest.onBeforeSendHeaders((details, callback) => {
    seen.push(details.requestHeaders.Cookie);
    callback({ requestHeaders: { ...details.requestHeaders, Cookie: `${details.requestHeaders.Cookie}; hooked=2` } });
  });
  t.is(await get(`${server.url}/echo`, ses), 'stored=1; hooked=2');
  t.deepEqual(seen, ['stored=1']);
});

test('a Set-Cookie added in onHeadersReceived is stored, on a redirect too', async (t) => {
  const ses = fresh();
  ses.webRequest.onHeadersReceived((details, callback) => {
    const name = details.statusCode === 302 ? 'from_redirect_hook' : 'from_hook';
    callback({ responseHeaders: { ...details.responseHeaders, 'Set-Cookie': [`${name}=1; Path=/`] } });
  });
  t.is(await get(`${server.url}/redirect`, ses), 'from_redirect_hook=1');
  const names = (await ses.cookies.get({})).map((cookie) => cookie.name).sort();
  t.deepEqual(names, ['from_hook', 'from_redirect_hook']);
});

test('a Set-Cookie that onHeadersReceived removes is not stored', async (t) => {
  const ses = fresh();
  server.route('/setting', (_req, res) => {
    res.setHeader('Set-Cookie', 'from_server=1');
    res.end('set');
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'set-cookie') delete headers[name];
    callback({ responseHeaders: headers });
  });
  t.is(await get(`${server.url}/setting`, ses), 'set');
  t.deepEqual(await ses.cookies.get({}), []);
});
