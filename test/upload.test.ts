import test from 'ava';
import * as http from 'node:http';
import { net } from '../ts/index';
import { collect, EventLog, settle } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
test.before(async () => {
  server = await startServer(echo);
});
test.after.always(() => server?.close());


test('buffered body goes out with Content-Length, however many writes', async (t) => {
  const req = net.request({ url: `${server.url}/b`, method: 'POST' });
  req.write('hello ');
  req.write(Buffer.from('world'));
  req.end('!');
  await collect(req);
  const sent = server.lastTo('/b');
  t.is(sent.body.toString(), 'hello world!');
  t.is(sent.headers['content-length'], '12');
  t.is(sent.headers['transfer-encoding'], undefined);
  t.is(sent.headers['content-type'], undefined, 'no default Content-Type');
  t.is(sent.headers.expect, undefined);
});

test('POST and PUT without a body send Content-Length: 0; GET sends none', async (t) => {
  for (const method of ['POST', 'PUT']) {
    const req = net.request({ url: `${server.url}/e-${method}`, method });
    req.end();
    await collect(req);
    t.is(server.lastTo(`/e-${method}`).method, method);
    t.is(server.lastTo(`/e-${method}`).headers['content-length'], '0', method);
  }
  const get = net.request(`${server.url}/e-get`);
  get.end();
  await collect(get);
  t.is(server.lastTo('/e-get').headers['content-length'], undefined);
});

test('GET with a body is allowed', async (t) => {
  const req = net.request({ url: `${server.url}/g`, method: 'GET' });
  req.end('payload');
  await collect(req);
  t.is(server.lastTo('/g').method, 'GET');
  t.is(server.lastTo('/g').body.toString(), 'payload');
});

test('other methods keep their name and body', async (t) => {
  for (const method of ['PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
    const req = net.request({ url: `${server.url}/m-${method}`, method: method.toLowerCase() });
    req.end('x');
    await collect(req);
    t.is(server.lastTo(`/m-${method}`).method, method);
    t.is(server.lastTo(`/m-${method}`).body.toString(), 'x');
  }
});

test("write('') counts as a write: zero-length body, headers frozen", async (t) => {
  const req = net.request({ url: `${server.url}/z`, method: 'PATCH' });
  req.write('');
  t.throws(() => req.setHeader('a', 'b'), { message: "Can't set headers after they are sent" });
  req.end();
  await collect(req);
  t.is(server.lastTo('/z').headers['content-length'], '0');
});

test('chunked: first write starts the request, Transfer-Encoding: chunked, no Content-Length', async (t) => {
  let arrived!: () => void;
  const firstChunk = new Promise<void>((resolve) => (arrived = resolve));
  const received: string[] = [];
  server.rawRoute('/chunked', (req, res) => {
    req.on('data', (c: Buffer) => {
      received.push(c.toString());
      arrived();
    });
    req.on('end', () => res.end(JSON.stringify({ te: req.headers['transfer-encoding'], cl: req.headers['content-length'] })));
  });
  const req = net.request({ url: `${server.url}/chunked`, method: 'POST' });
  req.chunkedEncoding = true;
  t.true(req.chunkedEncoding);
  req.write('part one;');
  await firstChunk;
  req.write('part two');
  const done = collect(req);
  req.end();
  const { body } = await done;
  t.deepEqual(JSON.parse(body.toString()), { te: 'chunked' });
  t.is(received.join(''), 'part one;part two');
});

test('chunkedEncoding rules', (t) => {
  const req = net.request({ url: server.url, method: 'POST' });
  t.false(req.chunkedEncoding);
  req.chunkedEncoding = false;
  t.throws(() => (req.chunkedEncoding = false), { message: 'chunkedEncoding can only be set once' });
  req.abort();
  const written = net.request({ url: server.url, method: 'POST' });
  written.write('x');
  t.throws(() => (written.chunkedEncoding = true), { message: 'chunkedEncoding can only be set before the request is started' });
  written.abort();
  const ended = net.request({ url: server.url, method: 'POST' });
  ended.end();
  t.throws(() => (ended.chunkedEncoding = true), { message: 'chunkedEncoding can only be set before the request is started' });
  ended.abort();
});

test("chunked: write callbacks run first, then the end callback, then 'finish'", async (t) => {
  const order: string[] = [];
  const req = net.request({ url: `${server.url}/cb`, method: 'POST' });
  req.chunkedEncoding = true;
  req.on('finish', () => order.push('finish'));
  const done = collect(req);
  req.write('a', () => order.push('write a'));
  req.write('b', () => order.push('write b'));
  req.end(() => order.push('end'));
  await done;
  t.deepEqual(order.slice(0, 4), ['write a', 'write b', 'end', 'finish']);
});

test('chunked upload applies backpressure: write() returns false and drains', async (t) => {
  let received = 0;
  server.rawRoute('/sink', (req, res) => {
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.end(String(received)));
  });
  const req = net.request({ url: `${server.url}/sink`, method: 'POST' });
  req.chunkedEncoding = true;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const total = 32 * 1024 * 1024;
  let sawFalse = false;
  const done = collect(req);
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!req.write(chunk)) {
      sawFalse = true;
      await new Promise((r) => req.once('drain', r));
    }
  }
  req.end();
  const { body } = await done;
  t.true(sawFalse);
  t.is(Number(body.toString()), total);
});

test('a 1 MiB body piped from a Node response is sent buffered with Content-Length', async (t) => {
  const payload = Buffer.alloc(1024 * 1024, 3);
  server.route('/source', (_req, res) => res.end(payload));
  const source = await new Promise<http.IncomingMessage>((resolve) => http.get(`${server.url}/source`, resolve));
  const req = net.request({ url: `${server.url}/pipe-target`, method: 'POST' });
  const done = collect(req);
  source.pipe(req);
  await done;
  t.is(server.lastTo('/pipe-target').headers['content-length'], String(payload.length));
  t.true(server.lastTo('/pipe-target').body.equals(payload));
});

test('upload progress: inactive before, at least one report with current === total before the response', async (t) => {
  const req = net.request({ url: `${server.url}/progress`, method: 'POST' });
  t.deepEqual(req.getUploadProgress(), { active: false, started: false, current: 0, total: 0 });
  const reports: Array<[number, number]> = [];
  let sawResponse = false;
  let reportsBeforeResponse = 0;
  req.on('upload-progress', (position: number, total: number) => {
    reports.push([position, total]);
    t.deepEqual(req.getUploadProgress(), { active: true, started: true, current: position, total });
  });
  req.on('response', () => {
    sawResponse = true;
    reportsBeforeResponse = reports.length;
  });
  const body = Buffer.alloc(300 * 1024, 1);
  const done = collect(req);
  req.end(body);
  await done;
  t.true(sawResponse);
  t.true(reportsBeforeResponse >= 1);
  t.deepEqual(reports[reports.length - 1], [body.length, body.length]);
  const progress = req.getUploadProgress();
  t.true(progress.active, 'stays active after completion');
  t.is(progress.current, body.length);
});

test('chunked uploads never report progress', async (t) => {
  const req = net.request({ url: `${server.url}/cp`, method: 'POST' });
  req.chunkedEncoding = true;
  let reports = 0;
  req.on('upload-progress', () => reports++);
  const done = collect(req);
  req.write(Buffer.alloc(100000));
  req.end();
  await done;
  t.is(reports, 0);
  t.false(req.getUploadProgress().active);
});

test('write after end gives the usual stream error; write after abort is ignored', async (t) => {
  const req = net.request({ url: `${server.url}/wae`, method: 'POST' });
  const errors: Error[] = [];
  req.on('error', (e) => errors.push(e));
  req.end('x');
  req.write('y');
  await settle();
  t.is((errors[0] as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
  const aborted = net.request({ url: `${server.url}/wab`, method: 'POST' });
  const log = new EventLog(aborted);
  aborted.abort();
  aborted.write('late');
  await settle();
  t.deepEqual(log.events, ['req:abort', 'req:close']);
});

// The curl thread starts a limited number of hops per loop turn (native/engine.cc) and keeps
// the commands after them queued, in order: a write, an end or an abort sent right after a
// start that had to wait must still reach that hop, after its start.
test('a burst of streamed uploads larger than one curl-thread turn: every body arrives whole, aborts stay aborted', async (t) => {
  const count = 300;
  const outcomes: Array<Promise<string>> = [];
  for (let i = 0; i < count; i++) {
    const req = net.request({ url: `${server.url}/burst-${i}`, method: 'POST' });
    req.chunkedEncoding = true;
    req.write(`a${i}-`);
    req.write(`b${i}-`);
    if (i % 7 === 3) {
      outcomes.push(
        new Promise((resolve) => {
          req.on('abort', () => resolve('aborted'));
          req.on('response', () => resolve('answered after abort'));
        }),
      );
      req.abort();
      continue;
    }
    req.end(`c${i}`);
    outcomes.push(collect(req).then(({ body }) => JSON.parse(body.toString()).body as string));
  }
  const results = await Promise.all(outcomes);
  for (let i = 0; i < count; i++) {
    const expected = i % 7 === 3 ? 'aborted' : `a${i}-b${i}-c${i}`;
    if (results[i] !== expected) return t.fail(`request ${i}: ${results[i]}`);
  }
  t.pass();
});
