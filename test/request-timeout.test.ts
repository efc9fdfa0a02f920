// The opt-in request timeout (curl-net extension): none by default, as in Electron; when set,
// on the request or its session, a server that accepts and never answers (or stalls a body)
// fails the request with net::ERR_TIMED_OUT. Bounds here are hang bounds, not speed checks.
import test from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { collect, delay } from './helpers/collect';
import { startRawServer } from './helpers/raw-server';
import { startServer } from './helpers/http-server';

let sessionCounter = 0;
const freshSession = () => session.fromPartition(`request-timeout-${sessionCounter++}`);

function firstError(req: ClientRequest): Promise<Error> {
  return new Promise((resolve) => {
    req.on('error', resolve);
    req.on('response', (response) => response.on('error', resolve).resume());
  });
}

test('without a timeout a silent server keeps the request pending (the default is none)', async (t) => {
  const server = await startRawServer('never-answer');
  t.teardown(() => server.close());
  const ses = freshSession();
  t.is(ses.getRequestTimeout(), 0);
  const req = net.request({ url: server.url, session: ses });
  let settled = false;
  req.on('error', () => (settled = true));
  req.on('response', () => (settled = true));
  req.end();
  await delay(700);
  t.false(settled);
  req.abort();
});

test('timeout on the request: a server that accepts and never answers fails with net::ERR_TIMED_OUT', async (t) => {
  const server = await startRawServer('never-answer');
  t.teardown(() => server.close());
  const req = net.request({ url: server.url, session: freshSession(), timeout: 300 });
  req.end();
  const error = await firstError(req);
  t.is(error.message, 'net::ERR_TIMED_OUT');
  t.is(server.connections, 1);
});

test('the session default applies; a request’s own timeout: 0 turns it off', async (t) => {
  const server = await startRawServer('never-answer');
  t.teardown(() => server.close());
  const ses = freshSession();
  ses.setRequestTimeout(300);
  t.is(ses.getRequestTimeout(), 300);
  const limited = net.request({ url: server.url, session: ses });
  limited.end();
  t.is((await firstError(limited)).message, 'net::ERR_TIMED_OUT');
  const unlimited = net.request({ url: server.url, session: ses, timeout: 0 });
  let settled = false;
  unlimited.on('error', () => (settled = true));
  unlimited.end();
  await delay(700);
  t.false(settled);
  unlimited.abort();
});

test('a body that stalls past the deadline fails the response with net::ERR_TIMED_OUT', async (t) => {
  const server = await startRawServer('slow-body', { slowBodyIntervalMs: 200, slowBodyLength: 50 });
  t.teardown(() => server.close());
  const req = net.request({ url: server.url, session: freshSession(), timeout: 600 });
  const responded = new Promise<void>((resolve) => req.on('response', () => resolve()));
  req.end();
  const error = await firstError(req);
  await responded;
  t.is(error.message, 'net::ERR_TIMED_OUT');
});

test('a request that completes in time is not affected, and its timer does not fire later', async (t) => {
  const server = await startServer((_req, res) => res.end('quick'));
  t.teardown(() => server.close());
  const req = net.request({ url: server.url, session: freshSession(), timeout: 400 });
  let errors = 0;
  req.on('error', () => errors++);
  req.end();
  const { body } = await collect(req);
  t.is(body.toString(), 'quick');
  await delay(600);
  t.is(errors, 0);
});

test('invalid timeouts throw synchronously', (t) => {
  const message = '`timeout` should be a non-negative number of milliseconds';
  for (const bad of [-1, NaN, Infinity, '100']) {
    t.throws(() => net.request({ url: 'http://127.0.0.1:8/', timeout: bad as any }), { instanceOf: TypeError, message });
    t.throws(() => freshSession().setRequestTimeout(bad as any), { instanceOf: TypeError, message });
  }
});
