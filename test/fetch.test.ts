// net.fetch: the WHATWG surface with Electron's choices (reference §7.1).
import test from 'ava';
import * as net_ from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { net, NetError } from '../ts/index';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
test.before(async () => {
  server = await startServer(echo);
  server.route('/redirect', (_req, res) => {
    res.writeHead(302, { Location: '/landed' });
    res.end();
  });
  server.route('/no-content', (_req, res) => {
    res.statusCode = 204;
    res.end();
  });
  server.rawRoute('/truncated', (_req, res) => {
    res.writeHead(200);
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 30);
  });
  server.rawRoute('/hang', () => undefined);
  server.route('/multi', (_req, res) => {
    res.setHeader('X-Multi', ['a', 'b']);
    res.end('ok');
  });
});
test.after.always(() => server?.close());

test('GET and POST with bodies', async (t) => {
  const get = await net.fetch(`${server.url}/hello?x=1`);
  t.is(get.status, 200);
  t.is(((await get.json()) as any).url, '/hello?x=1');
  const post = await net.fetch(`${server.url}/post`, { method: 'POST', body: 'payload', headers: { 'X-Test': 'yes' } });
  const seen = (await post.json()) as any;
  t.is(seen.method, 'POST');
  t.is(seen.body, 'payload');
  t.true((seen.rawHeaders as string[]).map((h: string) => h.toLowerCase()).includes('x-test'));
  t.is(server.lastTo('/post').headers['content-length'], '7', 'fetch bodies are buffered, sent with Content-Length');
});

test('redirects are followed; manual rejects with "Redirect was cancelled"; error rejects', async (t) => {
  const followed = await net.fetch(`${server.url}/redirect`);
  t.is(((await followed.json()) as any).url, '/landed');
  await t.throwsAsync(net.fetch(`${server.url}/redirect`, { redirect: 'manual' }), { message: 'Redirect was cancelled' });
  await t.throwsAsync(net.fetch(`${server.url}/redirect`, { redirect: 'error' }), {
    message: "Attempted to redirect, but redirect policy was 'error'",
  });
});

test('response.url is the final URL and response.redirected says whether a redirect was followed', async (t) => {
  const followed = await net.fetch(`${server.url}/redirect`);
  t.is(followed.url, `${server.url}/landed`);
  t.true(followed.redirected);
  await followed.arrayBuffer();
  const direct = await net.fetch(`${server.url}/hello#fragment`);
  t.is(direct.url, `${server.url}/hello`, 'the URL without its fragment, as fetch reports it');
  t.false(direct.redirected);
  await direct.arrayBuffer();
});

test('network errors reject with the net:: error itself', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = net_.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net_.AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const error = await t.throwsAsync(net.fetch(`http://127.0.0.1:${port}/`));
  t.is(error?.message, 'net::ERR_CONNECTION_REFUSED');
  t.true(error instanceof NetError);
});

test('a body failure rejects text() with the net:: error', async (t) => {
  const response = await net.fetch(`${server.url}/truncated`);
  const error = await t.throwsAsync(response.text());
  t.is(error?.message, 'net::ERR_INCOMPLETE_CHUNKED_ENCODING');
});

test('204 and HEAD have a null body; headers are joined', async (t) => {
  const none = await net.fetch(`${server.url}/no-content`);
  t.is(none.status, 204);
  t.is(none.body, null);
  const head = await net.fetch(`${server.url}/hello`, { method: 'HEAD' });
  t.is(head.body, null);
  const multi = await net.fetch(`${server.url}/multi`);
  t.is(multi.headers.get('x-multi'), 'a, b');
});

test('abort signals reject with the reason, before and during the request', async (t) => {
  const before = new AbortController();
  before.abort();
  const early = await net.fetch(`${server.url}/hello`, { signal: before.signal }).then(
    () => null,
    (reason: { name?: string }) => reason,
  );
  t.is(early?.name, 'AbortError');
  const during = new AbortController();
  const pending = net.fetch(`${server.url}/hang`, { signal: during.signal });
  setTimeout(() => during.abort(new Error('stop now')), 50);
  await t.throwsAsync(pending, { message: 'stop now' });
});

test('invalid input rejects like Request does', async (t) => {
  await t.throwsAsync(net.fetch('not a url'), { instanceOf: TypeError });
});

/** A route that streams `total` bytes as fast as the connection takes them, and reports how
 * many it managed to write and whether the client went away. */
function streamingRoute(path: string, total: number) {
  const seen = { written: 0, closed: false, finished: false };
  server.rawRoute(path, (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    res.on('close', () => {
      seen.closed = true;
    });
    const pump = () => {
      while (seen.written < total) {
        seen.written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(() => {
        seen.finished = true;
      });
    };
    pump();
  });
  return seen;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('fetch(url) and fetch(url, {}) send what fetch(new Request(url)) sends', async (t) => {
  const names = (r: { rawHeaders: string[] }) =>
    r.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()).sort();
  const lines = (r: { rawHeaders: string[] }) => {
    const out: string[] = [];
    for (let i = 0; i < r.rawHeaders.length; i += 2) out.push(`${r.rawHeaders[i].toLowerCase()}: ${r.rawHeaders[i + 1]}`);
    return out.sort();
  };
  await (await net.fetch(`${server.url}/plain-a`)).arrayBuffer();
  await (await net.fetch(`${server.url}/plain-b`, {})).arrayBuffer();
  await (await net.fetch(new Request(`${server.url}/plain-c`))).arrayBuffer();
  await (await net.fetch(`${server.url}/plain-d`, { method: 'GET' })).arrayBuffer();
  const [a, b, c, d] = ['/plain-a', '/plain-b', '/plain-c', '/plain-d'].map((p) => server.lastTo(p));
  t.deepEqual(lines(a), lines(c));
  t.deepEqual(lines(b), lines(c));
  t.deepEqual(lines(d), lines(c));
  t.true(names(a).includes('sec-fetch-mode') === names(c).includes('sec-fetch-mode'));
});

test('a body nobody reads holds the transfer: the server cannot write it all', async (t) => {
  const total = 256 * 1024 * 1024;
  const seen = streamingRoute('/big-unread', total);
  const response = await net.fetch(`${server.url}/big-unread`);
  const reader = response.body!.getReader();
  await reader.read();
  await settle(500);
  const stalledAt = seen.written;
  await settle(300);
  t.true(seen.written < 64 * 1024 * 1024, `the server wrote ${seen.written} bytes of ${total}`);
  t.is(seen.written, stalledAt, 'nothing more was written while nobody read');
  await reader.cancel();
});

test('reading the whole body gets every byte, through the backpressure', async (t) => {
  const total = 24 * 1024 * 1024;
  streamingRoute('/big-read', total);
  const response = await net.fetch(`${server.url}/big-read`);
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes % (4 * 1024 * 1024) < chunk.byteLength) await settle(20); // a slow reader now and then
  }
  t.is(bytes, total);
});

test('cancelling the body ends the transfer', async (t) => {
  const seen = streamingRoute('/big-cancel', 256 * 1024 * 1024);
  const response = await net.fetch(`${server.url}/big-cancel`);
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel();
  for (let i = 0; i < 100 && !seen.closed; i++) await settle(20);
  t.true(seen.closed, 'the server saw the connection go away');
  t.false(seen.finished);
});

test('an abort after the response ends the body with the reason', async (t) => {
  const seen = streamingRoute('/big-abort', 256 * 1024 * 1024);
  const controller = new AbortController();
  const response = await net.fetch(`${server.url}/big-abort`, { signal: controller.signal });
  const reader = response.body!.getReader();
  await reader.read();
  controller.abort(new Error('enough'));
  const error = await t.throwsAsync(async () => {
    for (;;) if ((await reader.read()).done) return;
  });
  t.is(error?.message, 'enough');
  for (let i = 0; i < 100 && !seen.closed; i++) await settle(20);
  t.true(seen.closed, 'the transfer stopped');
});

test('clone() keeps url and redirected', async (t) => {
  const response = await net.fetch(`${server.url}/redirect`);
  const copy = response.clone();
  t.is(copy.url, `${server.url}/landed`);
  t.true(copy.redirected);
  t.true(response instanceof Response);
  t.deepEqual(await copy.json(), await response.json());
});

test('an abort still arrives after a garbage collection while the fetch waits (the Request behind the signal is kept)', async (t) => {
  v8.setFlagsFromString('--expose-gc');
  const collect = vm.runInNewContext('gc') as () => void;
  const controller = new AbortController();
  const pending = net.fetch(`${server.url}/hang`, { signal: controller.signal });
  await settle(50);
  collect();
  collect();
  controller.abort(new Error('after a collection'));
  await t.throwsAsync(pending, { message: 'after a collection' });
});
