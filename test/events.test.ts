// Event ordering, including Electron's quirks (reference §1).
import test from 'ava';
import * as net_ from 'node:net';
import { net } from '../ts/index';
import { EventLog, settle } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
test.before(async () => {
  server = await startServer(echo);
  server.route('/slow-head', (_req, res) => setTimeout(() => res.end('late'), 300));
});
test.after.always(() => server?.close());

function closedPortUrl(): Promise<string> {
  return new Promise((resolve) => {
    const probe = net_.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net_.AddressInfo;
      probe.close(() => resolve(`http://127.0.0.1:${port}/`));
    });
  });
}

test('success: finish, close, response, data, end, close', async (t) => {
  const req = net.request(server.url);
  const log = new EventLog(req);
  req.end();
  await log.waitFor('res:close');
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:response', 'res:data', 'res:end', 'res:close']);
  await settle();
  t.is(log.events.length, 6, 'nothing follows a successful request');
});

test("'close' comes right after 'finish', before the response", async (t) => {
  const req = net.request(`${server.url}/slow-head`);
  const log = new EventLog(req);
  req.end();
  await log.waitFor('req:close');
  t.deepEqual(log.events, ['req:finish', 'req:close']);
  await log.waitFor('res:close');
});

test('buffered body: nothing is sent before end()', async (t) => {
  const req = net.request({ url: `${server.url}/body`, method: 'POST' });
  const log = new EventLog(req);
  req.write('a');
  req.write('b');
  await settle();
  t.is(server.requestsTo('/body').length, 0);
  req.end();
  await log.waitFor('res:close');
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:response', 'res:data', 'res:end', 'res:close']);
  t.is(server.lastTo('/body').body.toString(), 'ab');
});

test('network error before a response: finish, close, then error', async (t) => {
  const req = net.request(await closedPortUrl());
  const log = new EventLog(req);
  req.end();
  await log.waitFor('req:error');
  await settle();
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:error']);
});

test('an unhandled request error is thrown (uncaught), as in Electron', async (t) => {
  const url = await closedPortUrl();
  const req = net.request(url);
  const caught = new Promise<Error>((resolve) => {
    const original = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.once('uncaughtException', (error: Error) => {
      for (const l of original) process.on('uncaughtException', l);
      resolve(error);
    });
  });
  req.end();
  t.is((await caught).message, 'net::ERR_CONNECTION_REFUSED');
});

test('error in the middle of the body: request error first, then response error and close', async (t) => {
  server.rawRoute('/truncated', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const req = net.request(`${server.url}/truncated`);
  const log = new EventLog(req);
  let reqError: Error | undefined;
  let resError: Error | undefined;
  req.on('error', (e) => (reqError = e));
  req.on('response', (res) => res.on('error', (e) => (resError = e)));
  req.end();
  await log.waitFor('res:close');
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:response', 'res:data', 'req:error', 'res:error', 'res:close']);
  t.is(reqError?.message, 'net::ERR_INCOMPLETE_CHUNKED_ENCODING');
  t.is(resError, reqError);
});

test('error while a chunked upload is in progress: error then close', async (t) => {
  const req = net.request({ url: await closedPortUrl(), method: 'POST' });
  req.chunkedEncoding = true;
  const log = new EventLog(req);
  req.write('start');
  await log.waitFor('req:close');
  t.deepEqual(log.events, ['req:error', 'req:close']);
});

test('abort before the first write: abort, close; writes are dropped silently', async (t) => {
  const req = net.request(`${server.url}/never-sent`);
  const log = new EventLog(req);
  req.abort();
  req.write('');
  req.end();
  await settle();
  t.deepEqual(log.events, ['req:abort', 'req:close']);
  t.is(server.requestsTo('/never-sent').length, 0);
});

test('abort during a chunked upload (server already hit): abort, close', async (t) => {
  let hit!: () => void;
  const serverHit = new Promise<void>((resolve) => (hit = resolve));
  server.rawRoute('/upload-hang', (req) => {
    req.once('data', () => hit());
  });
  const req = net.request({ url: `${server.url}/upload-hang`, method: 'POST' });
  req.chunkedEncoding = true;
  const log = new EventLog(req);
  req.write('first chunk');
  await serverHit;
  req.abort();
  await settle();
  t.deepEqual(log.events, ['req:abort', 'req:close']);
});

test("abort after end(), before the response: 'abort' still fires after 'close'", async (t) => {
  const req = net.request(`${server.url}/slow-head`);
  const log = new EventLog(req);
  req.end();
  await log.waitFor('req:close');
  req.abort();
  await new Promise((r) => setTimeout(r, 500));
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:abort']);
});

test('abort inside the response handler: abort then response close, no end and no error', async (t) => {
  const req = net.request(server.url);
  const log = new EventLog(req, false);
  req.on('response', () => req.abort());
  req.end();
  await log.waitFor('res:close');
  await settle();
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:response', 'req:abort', 'res:close']);
});

test('abort while reading the body', async (t) => {
  server.rawRoute('/stream', (_req, res) => {
    res.write('x'.repeat(1000));
  });
  const req = net.request(`${server.url}/stream`);
  const log = new EventLog(req);
  req.on('response', (res) => res.once('data', () => req.abort()));
  req.end();
  await log.waitFor('res:close');
  await settle();
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:response', 'res:data', 'req:abort', 'res:close']);
});

test('abort twice emits one abort', async (t) => {
  const req = net.request(server.url);
  const log = new EventLog(req);
  req.end();
  req.abort();
  req.abort();
  await settle();
  t.is(log.events.filter((e) => e === 'req:abort').length, 1);
});

test('abort inside a redirect handler: redirect then abort, no error', async (t) => {
  server.route('/to-echo', (_req, res) => {
    res.writeHead(302, { Location: '/' });
    res.end();
  });
  const req = net.request({ url: `${server.url}/to-echo`, redirect: 'manual' });
  const log = new EventLog(req);
  req.on('redirect', () => req.abort());
  req.end();
  await log.waitFor('req:abort');
  await settle();
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:redirect', 'req:abort']);
});

test('destroy() does not cancel the load', async (t) => {
  const req = net.request(server.url);
  const log = new EventLog(req);
  req.end();
  await log.waitFor('req:close');
  req.destroy();
  await log.waitFor('res:close');
  t.true(log.events.includes('req:response'));
});

test('a response that is never read stays paused and is not discarded', async (t) => {
  server.route('/unread', (_req, res) => res.end('kept'));
  const req = net.request(`${server.url}/unread`);
  const response = await new Promise<import('../ts/index').IncomingMessage>((resolve) => {
    req.on('response', resolve);
    req.end();
  });
  await settle();
  const chunks: Buffer[] = [];
  response.on('data', (c) => chunks.push(c));
  await new Promise((r) => response.on('end', r));
  t.is(Buffer.concat(chunks).toString(), 'kept');
});

test("the response never emits 'aborted'", async (t) => {
  const req = net.request(server.url);
  const log = new EventLog(req, false);
  req.on('response', () => req.abort());
  req.end();
  await log.waitFor('res:close');
  await settle();
  t.false(log.events.includes('res:aborted'));
});

test('the response callback of net.request receives the response', async (t) => {
  const response = await new Promise<import('../ts/index').IncomingMessage>((resolve) => {
    const req = net.request(server.url, resolve);
    req.end();
  });
  t.is(response.statusCode, 200);
  response.resume();
});

test("cache: 'only-if-cached' misses (there is no HTTP cache) with net::ERR_CACHE_MISS", async (t) => {
  const req = net.request({ url: `${server.url}/cached`, cache: 'only-if-cached' });
  const error = await new Promise<Error>((resolve) => {
    req.on('error', resolve);
    req.end();
  });
  t.is(error.message, 'net::ERR_CACHE_MISS');
  t.is(server.requestsTo('/cached').length, 0);
});
