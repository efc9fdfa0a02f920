// 'login' for server authentication (401); proxy authentication is covered with real proxies
// in proxy-requests.test.ts.
import test from 'ava';
import { net, session } from '../ts/index';
import type { AuthInfo, ClientRequest } from '../ts/index';
import { AuthRecord, basicRoute, digestRoute } from './helpers/auth-routes';
import { collect } from './helpers/collect';
import { startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let port: number;
test.before(async () => {
  server = await startServer();
  port = server.port;
});
test.after.always(() => server?.close());

let routeCounter = 0;
function authRoute(kind: 'basic' | 'digest'): { path: string; records: AuthRecord[] } {
  const path = `/${kind}-${routeCounter++}`;
  const records: AuthRecord[] = [];
  server.route(path, (kind === 'basic' ? basicRoute : digestRoute)('the realm', 'user', 'pass', records));
  return { path, records };
}

let sessionCounter = 0;
const freshSession = () => session.fromPartition(`login-${sessionCounter++}`);

function loginOnce(req: ClientRequest, answer: (info: AuthInfo, callback: (u?: string, p?: string) => void) => void) {
  const infos: AuthInfo[] = [];
  req.on('login', (info, callback) => {
    infos.push(info);
    answer(info, callback);
  });
  return infos;
}

for (const kind of ['basic', 'digest'] as const) {
  test(`${kind}: 'login' reports the challenge; credentials given later retry with the body`, async (t) => {
    const { path, records } = authRoute(kind);
    const req = net.request({ url: `${server.url}${path}`, method: 'POST', session: freshSession() });
    const infos = loginOnce(req, (_info, callback) => setTimeout(() => callback('user', 'pass'), 50));
    req.end('payload');
    const { response, body } = await collect(req);
    t.deepEqual(infos, [{ isProxy: false, scheme: kind, host: '127.0.0.1', port, realm: 'the realm' }]);
    t.is(response.statusCode, 200);
    t.is(body.toString(), 'welcome user: payload');
    const final = records[records.length - 1];
    t.true(final.authorized);
    t.is(final.bodyLength, 7);
  });

  test(`${kind}: credentials that worked are used up front next time (no prompt, body once)`, async (t) => {
    const ses = freshSession();
    const { path, records } = authRoute(kind);
    const first = net.request({ url: `${server.url}${path}`, session: ses });
    loginOnce(first, (_i, cb) => cb('user', 'pass'));
    first.end();
    await collect(first);
    const before = records.length;
    const second = net.request({ url: `${server.url}${path}`, method: 'POST', session: ses });
    const prompts = loginOnce(second, (_i, cb) => cb('user', 'pass'));
    second.end('second body');
    const { body } = await collect(second);
    t.is(body.toString(), 'welcome user: second body');
    t.is(prompts.length, 0);
    const later = records.slice(before);
    t.is(later.filter((r) => r.bodyLength > 0).length, 1, 'the body went out once');
    t.true(later[later.length - 1].authorized);
    // clearAuthCache() brings the prompt back.
    await ses.clearAuthCache();
    const third = net.request({ url: `${server.url}${path}`, session: ses });
    const again = loginOnce(third, (_i, cb) => cb('user', 'pass'));
    third.end();
    await collect(third);
    t.is(again.length, 1);
  });
}

test('cancelling (callback()) delivers the 401 as the response, body readable', async (t) => {
  const { path } = authRoute('basic');
  const req = net.request({ url: `${server.url}${path}`, session: freshSession() });
  loginOnce(req, (_i, cb) => setTimeout(() => cb(), 20));
  req.end();
  const { response, body } = await collect(req);
  t.is(response.statusCode, 401);
  t.is(body.toString(), 'denied');
  t.is(response.headers['www-authenticate'], 'Basic realm="the realm"');
});

test('a username without a password, or non-strings, count as cancel', async (t) => {
  for (const args of [['user'], [5, 6]] as unknown[][]) {
    const { path } = authRoute('basic');
    const req = net.request({ url: `${server.url}${path}`, session: freshSession() });
    loginOnce(req, (_i, cb) => (cb as (...a: unknown[]) => void)(...args));
    req.end();
    t.is((await collect(req)).response.statusCode, 401);
  }
});

test("without a 'login' listener the 401 is the response", async (t) => {
  const { path } = authRoute('digest');
  const req = net.request({ url: `${server.url}${path}`, session: freshSession() });
  req.end();
  t.is((await collect(req)).response.statusCode, 401);
});

test('wrong credentials prompt again; a listener repeating them is not looped forever', async (t) => {
  const { path, records } = authRoute('basic');
  const req = net.request({ url: `${server.url}${path}`, session: freshSession() });
  const prompts = loginOnce(req, (_i, cb) => cb('user', 'wrong'));
  req.end();
  const { response } = await collect(req);
  t.is(response.statusCode, 401);
  t.is(prompts.length, 3, 'asked three times, then the 401 stands');
  t.is(records.length, 4);

  const { path: path2 } = authRoute('basic');
  const second = net.request({ url: `${server.url}${path2}`, session: freshSession() });
  let n = 0;
  second.on('login', (_i, cb) => (++n === 1 ? cb('user', 'wrong') : cb('user', 'pass')));
  second.end();
  t.is((await collect(second)).response.statusCode, 200);
  t.is(n, 2);
});

test("credentials: 'omit' suppresses server login", async (t) => {
  const { path } = authRoute('basic');
  const req = net.request({ url: `${server.url}${path}`, credentials: 'omit', session: freshSession() });
  let prompted = false;
  req.on('login', () => (prompted = true));
  req.end();
  const { response } = await collect(req);
  t.false(prompted);
  t.is(response.statusCode, 401);
});

test('user info in the URL authenticates without a prompt', async (t) => {
  for (const kind of ['basic', 'digest'] as const) {
    const { path, records } = authRoute(kind);
    const req = net.request({ url: `http://user:pass@127.0.0.1:${port}${path}`, session: freshSession() });
    let prompted = false;
    req.on('login', () => (prompted = true));
    req.end();
    const { response } = await collect(req);
    t.false(prompted, kind);
    t.is(response.statusCode, 200, kind);
    t.false(records[0].authorized, 'not sent before the challenge');
  }
});

test('aborting while the login callback is pending ends quietly', async (t) => {
  const { path } = authRoute('basic');
  const req = net.request({ url: `${server.url}${path}`, session: freshSession() });
  let late: (u?: string, p?: string) => void = () => undefined;
  const events: string[] = [];
  req.on('abort', () => events.push('abort'));
  req.on('error', () => events.push('error'));
  req.on('response', () => events.push('response'));
  await new Promise<void>((resolve) => {
    req.on('login', (_i, cb) => {
      late = cb;
      resolve();
    });
    req.end();
  });
  req.abort();
  late('user', 'pass');
  await new Promise((r) => setTimeout(r, 100));
  t.deepEqual(events, ['abort']);
});
