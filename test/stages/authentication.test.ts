// The authentication stage by itself: credentials offered up front, challenges turned into
// 'login', retries with the answer, giving up, and what the auth cache learns.
import test from 'ava';
import { CurlAuth, DoneFlag } from '../../ts/native';
import { authentication } from '../../ts/stages/authentication';
import { harness, head, outcome } from '../helpers/stage-harness';

const basic401 = head(401, ['WWW-Authenticate', 'Basic realm="r"']);

test('nothing is offered up front to a server nobody has logged in to', async (t) => {
  const draft = await harness(authentication, 'http://example.test/').prepare();
  t.deepEqual(draft.extras, {});
});

test('a 401 becomes a held login; the answer retries the hop with those credentials', async (t) => {
  const h = harness(authentication, 'http://example.test:8080/x');
  await h.prepare();
  let answer: ((u?: string, p?: string) => void) | undefined;
  h.listeners.set('login', (info, callback) => {
    t.deepEqual(info, { isProxy: false, scheme: 'basic', host: 'example.test', port: 8080, realm: 'r' });
    answer = callback as typeof answer;
  });
  t.is(h.stage.onHead!(basic401), 'hold');
  answer!('user', 'secret');
  t.deepEqual(h.log.at(-1), { restart: { kind: 'login' } });
  h.stage.onRestart!({ kind: 'login' });
  const draft = await h.prepare();
  t.is(draft.extras.username, 'user');
  t.is(draft.extras.password, 'secret');
  t.is(draft.extras.httpAuth, CurlAuth.Basic);
  // Success: the session remembers it for the next request to this server.
  t.is(h.stage.onHead!(head(200)), undefined);
  const next = await harness(authentication, 'http://example.test:8080/other', { session: h.session }).prepare();
  t.is(next.extras.username, 'user');
});

test('without a login listener the 401 is released as the response', async (t) => {
  const h = harness(authentication, 'http://example.test/');
  await h.prepare();
  t.is(h.stage.onHead!(basic401), 'handled');
  t.deepEqual(h.log, [{ release: true }]);
});

test('cancelling the login releases the 401', async (t) => {
  const h = harness(authentication, 'http://example.test/');
  await h.prepare();
  h.listeners.set('login', (_info, callback) => (callback as () => void)());
  h.stage.onHead!(basic401);
  t.deepEqual(h.log.at(-1), { release: true });
});

test('user info in the URL is tried before asking, and only for the same origin', async (t) => {
  const h = harness(authentication, 'http://me:pw@example.test/');
  await h.prepare();
  t.is(h.stage.onHead!(basic401), 'handled');
  t.deepEqual(h.log, [{ restart: { kind: 'login' } }]);
  h.stage.onRestart!({ kind: 'login' });
  const draft = await h.prepare();
  t.is(draft.extras.username, 'me');
});

test('a rejected identity is never offered again, and the challenge is given up after three', async (t) => {
  const h = harness(authentication, 'http://example.test/');
  await h.prepare();
  h.listeners.set('login', (_info, callback) => (callback as (u: string, p: string) => void)('u', 'wrong'));
  for (let i = 0; i < 3; i++) {
    h.stage.onHead!(basic401);
    h.stage.onRestart!({ kind: 'login' });
    await h.prepare();
  }
  t.is(h.stage.onHead!(basic401), 'handled');
  t.deepEqual(h.log.at(-1), { release: true });
  t.is(h.log.filter((e) => 'restart' in e).length, 3);
});

test("credentials: 'omit' never offers nor asks for server credentials", async (t) => {
  const h = harness(authentication, { url: 'http://example.test/', credentials: 'omit' });
  h.listeners.set('login', () => t.fail('asked'));
  await h.prepare();
  t.is(h.stage.onHead!(basic401), undefined);
});

test('server credentials do not follow a redirect to another origin', async (t) => {
  const h = harness(authentication, 'http://example.test/');
  await h.prepare();
  h.listeners.set('login', (_i, callback) => (callback as (u: string, p: string) => void)('u', 'p'));
  h.stage.onHead!(basic401);
  h.stage.onRestart!({ kind: 'login' });
  t.is((await h.prepare()).extras.username, 'u');
  h.state.url = new URL('http://other.test/');
  h.stage.onRestart!({ kind: 'redirect', from: new URL('http://example.test/'), to: h.state.url, crossOrigin: true });
  t.is((await h.prepare()).extras.username, undefined);
});

test('a refused CONNECT with no one to ask fails with ERR_TUNNEL_CONNECTION_FAILED', async (t) => {
  const session = (await import('../../ts/session')).fromPartition('auth-stage-connect');
  await session.setProxy({ proxyRules: '127.0.0.1:3128' });
  const h = harness(authentication, 'https://example.test/', { session });
  h.state.proxy = { url: 'http://127.0.0.1:3128', host: '127.0.0.1', port: 3128, scheme: 'http' };
  await h.prepare();
  const verdict = h.stage.onDone!(
    outcome({ curlCode: 56, connectCode: 407, flags: DoneFlag.UsedProxy, connectChallenges: ['Basic realm="proxy"'] }),
  );
  t.is(verdict, 'handled');
  const failure = h.log.at(-1) as { fail: Error & { code?: string } };
  t.is(failure.fail.code, 'ERR_TUNNEL_CONNECTION_FAILED');
});

test('a redirect proves the credentials its hop offered (they are cached before the next hop)', async (t) => {
  const h = harness(authentication, 'http://example.test/');
  await h.prepare();
  h.listeners.set('login', (_i, callback) => (callback as (u: string, p: string) => void)('u', 'p'));
  h.stage.onHead!(basic401);
  h.stage.onRestart!({ kind: 'login' });
  await h.prepare();
  t.is(h.stage.onHead!(head(302, ['Location', 'http://other.test/'])), undefined, 'the redirect stage decides');
  t.is((await harness(authentication, 'http://example.test/x', { session: h.session }).prepare()).extras.username, 'u');
  t.is((await harness(authentication, 'https://example.test/x', { session: h.session }).prepare()).extras.username, undefined,
    'never offered to https://example.test (another origin)');
});
