// Cookies on the wire against a real Node http server: Electron's credentials matrix, Set-Cookie
// from redirects and 401s, per-hop cookies across hosts (127.0.0.1 → localhost, as Electron's
// own test does), SameSite after a cross-site redirect, net.fetch's default, and the explicit
// Cookie header.
import test from 'ava';
import { net, session, Session } from '../ts/index';
import type { ClientRequestConstructorOptions } from '../ts/request-options';
import { collect } from './helpers/collect';
import { startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let base: string;
let localhost: string; // the same server under another site

test.before(async () => {
  server = await startServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(req.headers.cookie ?? 'no cookie');
  });
  base = server.url;
  localhost = `http://localhost:${server.port}`;
  server.route('/set', (req, res) => {
    const values = new URL(req.url!, base).searchParams.getAll('c');
    res.setHeader('Set-Cookie', values);
    res.end('set');
  });
  server.route('/redirect-setting', (_req, res) => {
    res.writeHead(302, { Location: '/echo', 'Set-Cookie': 'from_redirect=1' });
    res.end();
  });
  server.route('/to-localhost', (_req, res) => {
    res.writeHead(302, { Location: `${localhost}/echo` });
    res.end();
  });
  server.route('/login', (req, res) => {
    if (req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`) {
      res.end(`authorized with ${req.headers.cookie ?? 'no cookie'}`);
      return;
    }
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"', 'Set-Cookie': 'from_401=1' });
    res.end('denied');
  });
});
test.after.always(async () => {
  await server?.close();
});

let partitions = 0;
const fresh = (): Session => session.fromPartition(`cookies-wire-${partitions++}`);

async function fetchText(options: ClientRequestConstructorOptions, setup?: (req: ReturnType<typeof net.request>) => void): Promise<string> {
  const req = net.request(options);
  setup?.(req);
  req.end();
  return (await collect(req)).body.toString();
}

async function seed(ses: Session, url = base): Promise<void> {
  await ses.cookies.set({ url, name: 'stored', value: 'yes', sameSite: 'unspecified' });
}

test('default mode: stored cookies are not sent and Set-Cookie is not stored', async (t) => {
  const ses = fresh();
  await seed(ses);
  t.is(await fetchText({ url: `${base}/echo`, session: ses }), 'no cookie');
  await fetchText({ url: `${base}/set?c=new%3D1`, session: ses });
  t.deepEqual((await ses.cookies.get({})).map((c) => c.name), ['stored']);
});

test('useSessionCookies: Set-Cookie is stored exactly as Electron stores it, and sent next time', async (t) => {
  const ses = fresh();
  await fetchText({ url: `${base}/set?c=foo%3Dbar`, session: ses, useSessionCookies: true });
  t.deepEqual(await ses.cookies.get({}), [
    { name: 'foo', value: 'bar', domain: '127.0.0.1', hostOnly: true, path: '/', secure: false, httpOnly: false, session: true, sameSite: 'unspecified' },
  ]);
  t.is(await fetchText({ url: `${base}/echo`, session: ses, useSessionCookies: true }), 'foo=bar');
});

test("credentials 'include' sends and stores; 'omit' does neither", async (t) => {
  const ses = fresh();
  await seed(ses);
  t.is(await fetchText({ url: `${base}/echo`, session: ses, credentials: 'include' }), 'stored=yes');
  t.is(await fetchText({ url: `${base}/echo`, session: ses, credentials: 'omit', useSessionCookies: true }), 'no cookie');
  await fetchText({ url: `${base}/set?c=o%3D1`, session: ses, credentials: 'omit', useSessionCookies: true });
  await fetchText({ url: `${base}/set?c=i%3D1`, session: ses, credentials: 'include' });
  t.deepEqual((await ses.cookies.get({})).map((c) => c.name).sort(), ['i', 'stored']);
});

test("credentials 'same-origin': only when the URL has the origin of `origin`", async (t) => {
  const ses = fresh();
  await seed(ses);
  t.is(await fetchText({ url: `${base}/echo`, session: ses, credentials: 'same-origin', origin: base }), 'stored=yes');
  t.is(await fetchText({ url: `${base}/echo`, session: ses, credentials: 'same-origin', origin: 'http://127.0.0.1:1' }), 'no cookie');
});

test('SameSite=Lax and Strict cookies set by a response are stored and sent on the next request', async (t) => {
  const ses = fresh();
  await fetchText({ url: `${base}/set?c=l%3D1%3B%20SameSite%3DLax&c=s%3D2%3B%20SameSite%3DStrict`, session: ses, credentials: 'include' });
  t.deepEqual((await ses.cookies.get({})).map((c) => c.sameSite), ['lax', 'strict']);
  t.is(await fetchText({ url: `${base}/echo`, session: ses, credentials: 'include' }), 'l=1; s=2');
});

test('an explicit Cookie header is sent as is in default mode, even when the store has one', async (t) => {
  const ses = fresh();
  await seed(ses);
  t.is(await fetchText({ url: `${base}/echo`, session: ses }, (req) => req.setHeader('Cookie', 'mine=1')), 'mine=1');
});

test('Set-Cookie on a redirect is stored before the redirect is followed, and sent on the next hop', async (t) => {
  const ses = fresh();
  const redirects: string[] = [];
  const body = await fetchText({ url: `${base}/redirect-setting`, session: ses, credentials: 'include' }, (req) =>
    req.on('redirect', async () => redirects.push((await ses.cookies.get({})).map((c) => c.name).join())),
  );
  t.is(body, 'from_redirect=1');
  t.deepEqual(redirects, ['from_redirect']);
});

test("Set-Cookie on a 401 is stored before 'login', and the retry carries it", async (t) => {
  const ses = fresh();
  const seenAtLogin: string[] = [];
  const body = await fetchText({ url: `${base}/login`, session: ses, credentials: 'include' }, (req) =>
    req.on('login', (_info, callback) => {
      ses.cookies.get({}).then((cookies) => {
        seenAtLogin.push(cookies.map((c) => c.name).join());
        callback('u', 'p');
      });
    }),
  );
  t.deepEqual(seenAtLogin, ['from_401']);
  t.is(body, 'authorized with from_401=1');
});

test('cookies are chosen per hop: after a redirect to another host, that host’s cookies go (None only, the chain is cross-site)', async (t) => {
  const ses = fresh();
  await seed(ses);
  await ses.cookies.set({ url: localhost, name: 'lh_lax', value: '1', sameSite: 'lax' });
  await ses.cookies.set({ url: localhost, name: 'lh_none', value: '2', sameSite: 'no_restriction', secure: true });
  const body = await fetchText({ url: `${base}/to-localhost`, session: ses, credentials: 'include' });
  t.is(body, 'lh_none=2');
  // Directly, localhost is same-site with itself: both go.
  t.is(await fetchText({ url: `${localhost}/echo`, session: ses, credentials: 'include' }), 'lh_lax=1; lh_none=2');
});

test('net.fetch includes cookies by default (Request credentials same-origin, no initiator)', async (t) => {
  const ses = fresh();
  await seed(ses);
  const viaSession = await fetchWith(ses, `${base}/echo`);
  t.is(viaSession, 'stored=yes');
  t.is(await fetchWith(ses, `${base}/echo`, { credentials: 'omit' }), 'no cookie');
  await fetchWith(ses, `${base}/set?c=f%3D1`);
  t.true((await ses.cookies.get({})).some((c) => c.name === 'f'));
});

test('net.fetch on the default session stores and sends', async (t) => {
  const ses = session.defaultSession;
  await (await net.fetch(`${base}/set?c=default_session%3D1`)).text();
  t.regex(await (await net.fetch(`${base}/echo`)).text(), /default_session=1/);
  await ses.cookies.remove(base, 'default_session');
});

async function fetchWith(ses: Session, url: string, init?: RequestInit): Promise<string> {
  const { fetchWithSession } = await import('../ts/fetch');
  return (await fetchWithSession(ses, url, init)).text();
}
