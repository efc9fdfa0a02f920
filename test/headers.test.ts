import test from 'ava';
import * as netServer from 'node:net';
import * as zlib from 'node:zlib';
import { net } from '../ts/index';
import { collect, EventLog } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
test.before(async () => {
  server = await startServer(echo);
});
test.after.always(() => server?.close());

test('setHeader/getHeader/removeHeader semantics and messages', (t) => {
  const req = net.request(server.url);
  req.setHeader('X-Number', 900 as any);
  t.is(req.getHeader('x-number'), 900);
  req.setHeader('x-number', '1');
  t.is(req.getHeader('X-NUMBER'), '1');
  t.is(req.getHeader('missing'), undefined);
  req.removeHeader('missing');
  t.throws(() => req.setHeader(5 as any, 'x'), { instanceOf: TypeError, message: '`name` should be a string in setHeader(name, value)' });
  t.throws(() => req.setHeader('foo', null as any), { message: '`value` required in setHeader("foo", value)' });
  t.throws(() => req.setHeader('a b', 'x'), { message: "Invalid header name: 'a b'" });
  t.throws(() => req.setHeader('x', 'a\rb'), { message: "Invalid value for header 'x': 'a\rb'" });
  t.throws(() => req.getHeader(undefined as any), { message: '`name` is required for getHeader(name)' });
  t.throws(() => req.removeHeader(null as any), { message: '`name` is required for removeHeader(name)' });
  // Restricted headers are accepted here and refused when the request starts.
  t.notThrows(() => req.setHeader('Host', 'example.com'));
  t.is(req.getHeader('host'), 'example.com');
  req.write('x');
  t.throws(() => req.setHeader('a', 'b'), { message: "Can't set headers after they are sent" });
  t.throws(() => req.removeHeader('a'), { message: "Can't remove headers after they are sent" });
  t.is(req.getHeader('x-number'), '1');
  req.abort();
});

test('header names keep their case and order on the wire; values are stringified', async (t) => {
  const req = net.request({ url: `${server.url}/echo`, headers: { 'X-First': 'a' } });
  req.setHeader('X-Header-Name', 'v');
  req.setHeader('x-list', ['a', 'b']);
  req.setHeader('X-Num', 42 as any);
  req.setHeader('X-FIRST', 'replaced');
  req.setHeader('X-Empty', '');
  const { body } = await collect((req.end(), req));
  const raw: string[] = JSON.parse(body.toString()).rawHeaders;
  const names = raw.filter((_, i) => i % 2 === 0);
  t.true(names.includes('X-Header-Name'));
  const custom = names.filter((n) => /^x-/i.test(n));
  t.deepEqual(custom, ['X-FIRST', 'X-Header-Name', 'x-list', 'X-Num', 'X-Empty']);
  const value = (n: string) => raw[raw.indexOf(n) + 1];
  t.is(value('X-FIRST'), 'replaced');
  t.is(value('x-list'), 'a,b');
  t.is(value('X-Num'), '42');
  t.is(value('X-Empty'), '');
  // Chromium sends no Expect, no default Accept and no Content-Type of its own.
  t.false(names.some((n) => /^(expect|accept|content-type)$/i.test(n)));
});

for (const [name, value] of [
  ['Host', 'example.com'],
  ['Content-Length', '5'],
  ['Transfer-Encoding', 'chunked'],
  ['Connection', 'upgrade'],
  ['Keep-Alive', 'timeout=5'],
  ['Upgrade', 'websocket'],
  ['Proxy-Authorization', 'Basic eDp5'],
  ['Trailer', 'x'],
  ['TE', 'trailers'],
  ['Cookie2', 'x'],
  ['Set-Cookie', 'a=b'],
  ['X-HTTP-Method-Override', 'TRACE'],
] as const) {
  test(`restricted header ${name}: net::ERR_INVALID_ARGUMENT after start, nothing sent`, async (t) => {
    const path = `/restricted-${name}`;
    const req = net.request(`${server.url}${path}`);
    req.setHeader(name, value);
    const log = new EventLog(req);
    const error = await new Promise<Error>((resolve) => {
      req.on('error', resolve);
      req.end();
    });
    t.is(error.message, 'net::ERR_INVALID_ARGUMENT');
    t.deepEqual(log.events, ['req:finish', 'req:close', 'req:error']);
    t.is(server.requestsTo(path).length, 0);
  });
}

test('Connection: close and keep-alive are allowed', async (t) => {
  const req = net.request(`${server.url}/echo`);
  req.setHeader('Connection', 'close');
  const { response } = await collect((req.end(), req));
  t.is(response.statusCode, 200);
});

test('an invalid method fails with net::ERR_INVALID_ARGUMENT', async (t) => {
  for (const method of ['BAD METHOD', 'CONNECT']) {
    const req = net.request({ url: server.url, method });
    const error = await new Promise<Error>((resolve) => {
      req.on('error', resolve);
      req.end();
    });
    t.is(error.message, 'net::ERR_INVALID_ARGUMENT', method);
  }
});

test('response headers: first-value-wins names, set-cookie array, others joined; rawHeaders as received', async (t) => {
  server.route('/multi', (_req, res) => {
    res.writeHead(200, 'Fine Thanks', [
      ['Content-Type', 'text/plain'],
      ['content-type', 'text/html'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
      ['X-Multi', 'one'],
      ['x-multi', 'two'],
      ['Cookie', 'c=1'],
      ['Cookie', 'd=2'],
      ['Server', 'first'],
      ['Server', 'second'],
    ] as any);
    res.end('body');
  });
  const single = net.request(`${server.url}/multi`);
  const { response } = await collect((single.end(), single));
  t.is(response.statusCode, 200);
  t.is(response.statusMessage, 'Fine Thanks');
  const h = response.headers;
  t.is(h['content-type'], 'text/plain');
  t.deepEqual(h['set-cookie'], ['a=1', 'b=2']);
  t.is(h['x-multi'], 'one, two');
  t.is(h.cookie, 'c=1, d=2');
  t.is(h.server, 'first');
  t.deepEqual(Object.keys(h), [...Object.keys(h)].sort());
  const raw = response.rawHeaders;
  t.deepEqual(raw.slice(0, 4), ['Content-Type', 'text/plain', 'content-type', 'text/html']);
  t.is(raw.filter((v) => v === 'Set-Cookie').length, 2);
  t.is(response.httpVersion, '1.1');
  t.is(response.httpVersionMajor, 1);
  t.is(response.httpVersionMinor, 1);
  t.throws(() => response.trailers, { message: 'HTTP trailers are not supported' });
  t.throws(() => response.rawTrailers, { message: 'HTTP trailers are not supported' });
  // A single set-cookie is still an array.
  server.route('/one-cookie', (_req, res) => {
    res.setHeader('Set-Cookie', 'only=1');
    res.end();
  });
  const one = net.request(`${server.url}/one-cookie`);
  const second = await collect((one.end(), one));
  t.deepEqual(second.response.headers['set-cookie'], ['only=1']);
});

test('non-2xx responses are ordinary responses with readable bodies', async (t) => {
  server.route('/nowhere', (_req, res) => {
    res.statusCode = 404;
    res.end('not found');
  });
  const req = net.request(`${server.url}/nowhere`);
  req.end();
  const { response, body } = await collect(req);
  t.is(response.statusCode, 404);
  t.is(body.toString(), 'not found');
});

for (const encoding of ['gzip', 'deflate', 'br'] as const) {
  test(`${encoding} responses are decoded; content-encoding stays in the headers`, async (t) => {
    const payload = Buffer.from('decoded '.repeat(2000));
    server.route(`/${encoding}`, (_req, res) => {
      const encoded =
        encoding === 'gzip' ? zlib.gzipSync(payload) : encoding === 'deflate' ? zlib.deflateSync(payload) : zlib.brotliCompressSync(payload);
      res.writeHead(200, { 'Content-Encoding': encoding, 'Content-Length': encoded.length });
      res.end(encoded);
    });
    const req = net.request(`${server.url}/${encoding}`);
    req.end();
    const { response, body } = await collect(req);
    t.is(response.headers['content-encoding'], encoding);
    t.true(body.equals(payload));
  });
}

test('plain http advertises gzip and deflate', async (t) => {
  const req = net.request(`${server.url}/echo`);
  req.end();
  const { body } = await collect(req);
  const raw: string[] = JSON.parse(body.toString()).rawHeaders;
  t.is(raw[raw.findIndex((n) => /^accept-encoding$/i.test(n)) + 1], 'gzip, deflate');
});

test('an origin option adds Origin to non-GET/HEAD requests only; an explicit Origin is sent as is', async (t) => {
  const post = net.request({ url: `${server.url}/origin-post`, method: 'POST', origin: 'http://app.example:8080' });
  post.end('x');
  await collect(post);
  t.is(server.lastTo('/origin-post').headers.origin, 'http://app.example:8080');
  const get = net.request({ url: `${server.url}/origin-get`, origin: 'http://app.example:8080' });
  get.end();
  await collect(get);
  t.is(server.lastTo('/origin-get').headers.origin, undefined);
  const own = net.request({ url: `${server.url}/origin-own`, method: 'PUT', headers: { Origin: 'http://mine' } });
  own.end();
  await collect(own);
  t.is(server.lastTo('/origin-own').headers.origin, 'http://mine');
});

test('response headers: an obsolete folded line continues the previous value; odd fields are kept', async (t) => {
  const raw = netServer.createServer((socket) => {
    socket.once('data', () => {
      socket.end('HTTP/1.1 200 Fine Thanks\r\nX-Folded: one\r\n   two\r\n\tthree\r\nX-Empty:\r\n'
        + 'X-Spaced   :  padded value  \r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.teardown(() => raw.close());
  const req = net.request(`http://127.0.0.1:${(raw.address() as import('node:net').AddressInfo).port}/`);
  const done = collect(req);
  req.end();
  const { response, body } = await done;
  t.is(response.statusMessage, 'Fine Thanks');
  t.deepEqual(response.rawHeaders, ['X-Folded', 'one two three', 'X-Empty', '', 'X-Spaced', 'padded value',
    'Content-Length', '2', 'Connection', 'close']);
  t.is(response.headers['x-folded'], 'one two three');
  t.is(body.toString(), 'ok');
});
