// Protocol handlers (ses.protocol.handle / protocol) and file: URLs in net.fetch: custom schemes,
// http: interception with a pass-through, Electron's errors, and response bodies streamed with
// backpressure.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { net, protocol, session } from '../ts/index';
import { collect } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let partitions = 0;
const fresh = () => session.fromPartition(`protocol-${partitions++}`);

test.before(async () => {
  server = await startServer(echo);
});
test.after.always(() => server?.close());

test('a custom scheme: handle, isProtocolHandled, unhandle, with Electron\'s messages', async (t) => {
  const ses = fresh();
  t.false(ses.protocol.isProtocolHandled('app'));
  ses.protocol.handle('app', (request) => new Response(`hello ${new URL(request.url).pathname}`, { headers: { 'X-Handled': 'yes' }, statusText: 'Fine' }));
  t.true(ses.protocol.isProtocolHandled('app'));
  t.throws(() => ses.protocol.handle('app', () => new Response('')), { message: 'Failed to register protocol: app' });
  const response = await ses.fetch('app://bundle/index.html');
  t.is(response.status, 200);
  t.is(response.statusText, 'Fine');
  t.is(response.headers.get('x-handled'), 'yes');
  t.is(await response.text(), 'hello /index.html');
  t.is(response.url, 'app://bundle/index.html');
  ses.protocol.unhandle('app');
  t.false(ses.protocol.isProtocolHandled('app'));
  t.throws(() => ses.protocol.unhandle('app'), { message: 'Failed to unhandle protocol: app' });
  await t.throwsAsync(ses.fetch('app://bundle/index.html'), { message: 'net::ERR_UNKNOWN_URL_SCHEME' });
  t.false(fresh().protocol.isProtocolHandled('app'), 'handlers belong to their session');
});

test('the `protocol` export is the default session\'s', async (t) => {
  protocol.handle('default-app', () => new Response('from the default session'));
  try {
    t.true(session.defaultSession.protocol.isProtocolHandled('default-app'));
    t.is(await (await net.fetch('default-app://x/')).text(), 'from the default session');
  } finally {
    protocol.unhandle('default-app');
  }
  t.false(protocol.isProtocolHandled('default-app'));
});

test('the handler gets a Request with the method, the headers (after onBeforeSendHeaders) and the body', async (t) => {
  const ses = fresh();
  ses.webRequest.onBeforeSendHeaders((details, callback) => callback({ requestHeaders: { ...details.requestHeaders, 'X-Hook': 'seen' } }));
  let seen: { method: string; app: string | null; hook: string | null; body: string } | undefined;
  ses.protocol.handle('app', async (request) => {
    seen = { method: request.method, app: request.headers.get('x-app'), hook: request.headers.get('x-hook'), body: await request.text() };
    return new Response(null, { status: 204 });
  });
  const response = await ses.fetch('app://host/post', { method: 'POST', body: 'the body', headers: { 'X-App': 'mine' } });
  t.is(response.status, 204);
  t.deepEqual(seen, { method: 'POST', app: 'mine', hook: 'seen', body: 'the body' });
});

test('http: interception for net.request and net.fetch; the handler passes through with bypassCustomProtocolHandlers', async (t) => {
  const ses = fresh();
  ses.protocol.handle('http', async (request) => {
    if (new URL(request.url).pathname === '/local') return new Response('answered locally');
    const upstream = await ses.fetch(request, { bypassCustomProtocolHandlers: true });
    return new Response(`wrapped ${await upstream.text()}`, { status: upstream.status });
  });
  const before = server.requestsTo('/local').length;
  t.is(await (await ses.fetch(`${server.url}/local`)).text(), 'answered locally');
  t.is(server.requestsTo('/local').length, before, 'nothing reached the server');
  const passed = await (await ses.fetch(`${server.url}/through`)).text();
  t.true(passed.startsWith('wrapped {'));
  t.is(JSON.parse(passed.slice('wrapped '.length)).url, '/through');
  const { body } = await collect(net.request({ url: `${server.url}/local`, session: ses }).end() as never);
  t.is(body.toString(), 'answered locally');
  const { body: direct } = await collect(net.request({ url: `${server.url}/local`, session: ses, bypassCustomProtocolHandlers: true }).end() as never);
  t.is(JSON.parse(direct.toString()).url, '/local', 'bypassCustomProtocolHandlers goes to the network');
});

test('a redirect from a handler is followed', async (t) => {
  const ses = fresh();
  ses.protocol.handle('app', (request) =>
    new URL(request.url).pathname === '/old' ? new Response(null, { status: 302, headers: { Location: '/new' } }) : new Response('new place'),
  );
  const response = await ses.fetch('app://host/old');
  t.is(await response.text(), 'new place');
  t.true(response.redirected);
  t.is(response.url, 'app://host/new');
});

test('handler failures: a throw or a non-Response is net::ERR_UNEXPECTED, Response.error() is net::ERR_FAILED, a failing body stream is net::ERR_FAILED', async (t) => {
  const ses = fresh();
  ses.protocol.handle('app', (request) => {
    const what = new URL(request.url).pathname;
    if (what === '/throw') throw new Error('handler bug');
    if (what === '/reject') return Promise.reject(new Error('async bug'));
    if (what === '/nothing') return undefined as never;
    if (what === '/error') return Response.error();
    let sent = false;
    return new Response(
      new ReadableStream({
        pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(new TextEncoder().encode('partial'));
          } else controller.error(new Error('disk gone'));
        },
      }),
    );
  });
  await t.throwsAsync(ses.fetch('app://h/throw'), { message: 'net::ERR_UNEXPECTED' });
  await t.throwsAsync(ses.fetch('app://h/reject'), { message: 'net::ERR_UNEXPECTED' });
  await t.throwsAsync(ses.fetch('app://h/nothing'), { message: 'net::ERR_UNEXPECTED' });
  await t.throwsAsync(ses.fetch('app://h/error'), { message: 'net::ERR_FAILED' });
  const broken = await ses.fetch('app://h/stream');
  await t.throwsAsync(broken.text(), { message: 'net::ERR_FAILED' });
});

test('a streamed handler body is pulled only as fast as the response is read', async (t) => {
  const ses = fresh();
  const chunk = 64 * 1024;
  const total = 64; // 4 MiB
  let pulled = 0;
  let cancelled = false;
  ses.protocol.handle('http', () =>
    new Response(
      new ReadableStream(
        {
          pull(controller) {
            if (pulled === total) return controller.close();
            pulled += 1;
            controller.enqueue(new Uint8Array(chunk).fill(pulled));
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      ),
    ),
  );
  // An intercepted http: URL, so net.request (http(s) only) can hold its response paused.
  const request = net.request({ url: `${server.url}/big`, session: ses });
  const response = await new Promise<import('../ts/index').IncomingMessage>((resolve) => request.on('response', resolve).end());
  response.pause();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const window = 256 * 1024;
  t.true(pulled * chunk <= window + 4 * chunk, `pulled ${pulled} chunks while nobody read`);
  t.true(pulled < total);
  const chunks: Buffer[] = [];
  response.on('data', (c: Buffer) => chunks.push(c));
  response.resume();
  await new Promise((resolve) => response.on('end', resolve));
  const body = Buffer.concat(chunks);
  t.is(body.length, chunk * total);
  for (let i = 0; i < total; i++) t.is(body[i * chunk], (i + 1) & 0xff);
  t.false(cancelled);
});

test('aborting a request cancels the handler\'s body stream', async (t) => {
  const ses = fresh();
  let cancelled!: () => void;
  const cancel = new Promise<void>((resolve) => (cancelled = resolve));
  ses.protocol.handle('http', () =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(1024));
          return new Promise((resolve) => setTimeout(resolve, 10));
        },
        cancel: () => cancelled(),
      }),
    ),
  );
  const request = net.request({ url: `${server.url}/endless`, session: ses });
  request.on('response', () => setTimeout(() => request.abort(), 30));
  request.end();
  await cancel;
  t.pass();
});

test('file: URLs in net.fetch: the bytes, net::ERR_FILE_NOT_FOUND for a missing file or a directory', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-file-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'page.html');
  const content = Buffer.alloc(300 * 1024, 'z');
  fs.writeFileSync(file, content);
  const response = await net.fetch(pathToFileURL(file).href);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/html');
  t.is(response.headers.get('content-length'), String(content.length));
  t.true(Buffer.from(await response.arrayBuffer()).equals(content));
  await t.throwsAsync(net.fetch(pathToFileURL(path.join(dir, 'missing.txt')).href), { message: 'net::ERR_FILE_NOT_FOUND' });
  await t.throwsAsync(net.fetch(pathToFileURL(dir).href), { message: 'net::ERR_FILE_NOT_FOUND' });
  t.throws(() => net.request(pathToFileURL(file).href), { message: 'ClientRequest only supports http: and https: protocols' });
});
