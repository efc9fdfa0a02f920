// HTTP/2 over TLS (ALPN), multiplexing, and what differs on the wire from HTTP/1.1.
import test from 'ava';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { net, versions } from '../ts/index';
import { resetCaBundle } from '../ts/ca-bundle';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { collect, delay } from './helpers/collect';

let certs: TestCerts;
let h2: http2.Http2SecureServer;
let h2Url: string;
let h1: https.Server;
let h1Url: string;
let sessions = 0;
const openSessions = new Set<http2.ServerHttp2Session>();
const seen: Array<{ path: string; headers: http2.IncomingHttpHeaders; body: Buffer }> = [];

test.before(async () => {
  certs = makeTestCerts();
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  resetCaBundle();
  h2 = http2.createSecureServer({ key: certs.valid.key, cert: certs.valid.cert, allowHTTP1: true });
  h2.on('session', (session) => {
    sessions++;
    openSessions.add(session);
    session.on('close', () => openSessions.delete(session));
  });
  h2.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    const chunks: Buffer[] = [];
    if (path === '/big') {
      stream.respond({ ':status': 200 });
      let sent = 0;
      const pump = () => {
        while (sent < BIG) {
          const chunk = Buffer.alloc(256 * 1024);
          for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE(sent + i, i);
          sent += chunk.length;
          if (!stream.write(chunk)) return void stream.once('drain', pump);
        }
        stream.end();
      };
      pump();
      return;
    }
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen.push({ path, headers, body: Buffer.concat(chunks) });
      stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-path': path });
      stream.end(`${headers[':method']} ${path} ${Buffer.concat(chunks).length}`);
    });
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  h2Url = `https://127.0.0.1:${(h2.address() as AddressInfo).port}`;
  h1 = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, (req, res) => {
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
  h1Url = `https://127.0.0.1:${(h1.address() as AddressInfo).port}`;
});

test.after.always(() => {
  for (const session of openSessions) session.destroy();
  h2?.close();
  h1?.close();
  certs?.cleanup();
});

const BIG = 32 * 1024 * 1024;
const lastTo = (path: string) => seen.filter((s) => s.path === path).pop()!;

test('HTTP/2 is negotiated over TLS and reported as 2.0', async (t) => {
  const req = net.request(`${h2Url}/version`);
  req.end();
  const { response, body } = await collect(req);
  t.is(response.httpVersion, '2.0');
  t.is(response.httpVersionMajor, 2);
  t.is(response.httpVersionMinor, 0);
  t.is(response.statusCode, 200);
  t.is(response.statusMessage, '');
  t.is(body.toString(), 'GET /version 0');
  t.is(response.headers['x-path'], '/version');
  // h2 header names arrive in lowercase and pseudo-headers are not listed.
  t.true(response.rawHeaders.every((v, i) => i % 2 === 1 || (v === v.toLowerCase() && !v.startsWith(':'))));
});

// libcurl before 8.1 corrupts paused multiplexed streams (curl #10525), so curl-net gives
// each HTTP/2 stream its own connection there (docs/api.md).
const multiplexes = (() => {
  const [major, minor] = versions().libcurl.split('.').map(Number);
  return major > 8 || (major === 8 && minor >= 1);
})();

test('concurrent requests share one HTTP/2 connection (libcurl >= 8.1)', async (t) => {
  const before = sessions;
  // The first request opens the connection; the rest must wait for it and multiplex.
  const all = Array.from({ length: 30 }, (_, i) => {
    const req = net.request(`${h2Url}/mux?${i}`);
    req.end();
    return collect(req);
  });
  const results = await Promise.all(all);
  t.true(results.every((r) => r.response.httpVersion === '2.0'));
  if (multiplexes) t.true(sessions - before <= 1, `opened ${sessions - before} connections`);
  else t.true(sessions - before >= 2, 'one stream per connection on libcurl < 8.1');
});

test('bodies over HTTP/2: buffered and chunked', async (t) => {
  const buffered = net.request({ url: `${h2Url}/post`, method: 'POST' });
  buffered.end(Buffer.alloc(100 * 1024, 1));
  t.is((await collect(buffered)).body.toString(), 'POST /post 102400');
  t.is(lastTo('/post').headers['content-length'], '102400');

  const chunked = net.request({ url: `${h2Url}/chunked`, method: 'PUT' });
  chunked.chunkedEncoding = true;
  const done = collect(chunked);
  for (let i = 0; i < 10; i++) {
    chunked.write(Buffer.alloc(10000, i));
    await delay(5);
  }
  chunked.end();
  t.is((await done).body.toString(), 'PUT /chunked 100000');
});

test('the priority header follows the request priority (RFC 9218 urgency)', async (t) => {
  const cases: Array<[any, string | undefined]> = [
    [{}, 'u=4, i'],
    [{ priority: 'idle', priorityIncremental: true }, 'u=4, i'],
    [{ priority: 'lowest', priorityIncremental: true }, 'i'],
    [{ priority: 'lowest', priorityIncremental: false }, undefined],
    [{ priority: 'highest', priorityIncremental: false }, 'u=0'],
    [{ priority: 'throttled' }, 'u=5, i'],
  ];
  for (const [options, expected] of cases) {
    const path = `/priority-${JSON.stringify(options).replace(/\W/g, '')}`;
    const req = net.request({ url: `${h2Url}${path}`, ...options });
    req.end();
    await collect(req);
    t.is(lastTo(path).headers.priority, expected, JSON.stringify(options));
  }
});

test('Sec-Fetch-* metadata on a trustworthy origin', async (t) => {
  const req = net.request(`${h2Url}/meta`);
  req.end();
  await collect(req);
  const headers = lastTo('/meta').headers;
  t.is(headers['sec-fetch-site'], 'none');
  t.is(headers['sec-fetch-mode'], 'no-cors');
  t.is(headers['sec-fetch-dest'], 'empty');
  t.is(headers['sec-fetch-user'], undefined);
});

test('secure origins advertise br and zstd too', async (t) => {
  const req = net.request(`${h1Url}/`);
  req.end();
  const { response, body } = await collect(req);
  t.is(response.httpVersion, '1.1');
  t.is(JSON.parse(body.toString())['accept-encoding'], 'gzip, deflate, br, zstd');
});

test('an unread HTTP/2 stream is paused and resumes when read', async (t) => {
  const req = net.request(`${h2Url}/big`);
  const response = await new Promise<import('../ts/index').IncomingMessage>((resolve) => {
    req.on('response', resolve);
    req.end();
  });
  await delay(500);
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  const all = Buffer.concat(chunks);
  let firstBad = -1;
  for (let i = 0; i + 4 <= all.length; i += 4) {
    if (all.readUInt32LE(i) !== i) {
      firstBad = i;
      break;
    }
  }
  t.is(firstBad, -1, `first wrong word at ${firstBad} (holds ${firstBad >= 0 ? all.readUInt32LE(firstBad) : 0})`);
  t.is(all.length, BIG);
});

test('zstd responses are decoded when libcurl has zstd', async (t) => {
  const { versions } = await import('../ts/index');
  if (!versions().features.zstd) return t.pass('libcurl without zstd');
  let encoded: Buffer;
  try {
    encoded = execFileSync('zstd', ['-c', '-q'], { input: Buffer.from('zstd payload '.repeat(100)) });
  } catch {
    return t.pass('no zstd command to encode the fixture');
  }
  const server = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'zstd' });
    res.end(encoded);
  });
  t.teardown(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const req = net.request(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  req.end();
  const { response, body } = await collect(req);
  t.is(response.headers['content-encoding'], 'zstd');
  t.is(body.toString(), 'zstd payload '.repeat(100));
});
