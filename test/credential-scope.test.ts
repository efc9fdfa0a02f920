// Credentials are scoped like Chromium's HttpAuthCache: by scheme, host and port (and realm
// and auth scheme for answering a challenge). One recorder port speaks both plain HTTP and
// TLS, so https://127.0.0.1:P and http://127.0.0.1:P differ only in scheme, and the recorded
// heads show whether a password would have crossed the network in the clear.
import test from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { AuthCache } from '../ts/auth-cache';
import { resetCaBundle } from '../ts/ca-bundle';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { collect } from './helpers/collect';
import { okResponse, startWireRecorder, WireRecorder, WireRequest } from './helpers/wire-recorder';

let certs: TestCerts;
let server: WireRecorder;
const EXPECTED = `Basic ${Buffer.from('user:secret').toString('base64')}`;

function authorization(request: WireRequest): string | undefined {
  return request.headerLines.find((l) => /^authorization:/i.test(l))?.replace(/^authorization:\s*/i, '');
}

test.before(async () => {
  certs = makeTestCerts();
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  resetCaBundle();
  server = await startWireRecorder(
    (request) => {
      const path = request.requestLine.split(' ')[1];
      if (path.startsWith('/to-http')) {
        const target = `http://127.0.0.1:${server.port}/landed`;
        return `HTTP/1.1 302 Found\r\nLocation: ${target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
      }
      if (authorization(request) === EXPECTED) return okResponse(`${request.scheme} welcome`);
      return 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="same realm"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';
    },
    { tls: certs.valid },
  );
});
test.after.always(async () => {
  await server?.close();
  certs?.cleanup();
});

let sessionCounter = 0;
const freshSession = () => session.fromPartition(`credential-scope-${sessionCounter++}`);

function answerLogin(req: ClientRequest, prompts: string[]): void {
  req.on('login', (info, callback) => {
    prompts.push(`${info.host}:${info.port}`);
    callback('user', 'secret');
  });
}

/** Logs in on https://127.0.0.1:P/path, so the session's cache holds the credentials. */
async function loginOverHttps(ses: ReturnType<typeof freshSession>, path: string): Promise<void> {
  const req = net.request({ url: `${server.httpsUrl}${path}`, session: ses });
  answerLogin(req, []);
  req.end();
  const { body } = await collect(req);
  if (body.toString() !== 'https welcome') throw new Error(`login over https failed: ${body.toString()}`);
}

const requestsTo = (path: string) => server.requests.filter((r) => r.requestLine.split(' ')[1] === path);

test('credentials learned on https://host:P are not sent up front to http://host:P', async (t) => {
  const ses = freshSession();
  await loginOverHttps(ses, '/secure-a');
  const req = net.request({ url: `${server.httpUrl}/plain-a`, session: ses });
  const prompts: string[] = [];
  answerLogin(req, prompts);
  req.end();
  const { body } = await collect(req);
  const plain = requestsTo('/plain-a');
  t.true(plain.length >= 1);
  t.is(plain[0].scheme, 'http');
  t.is(authorization(plain[0]), undefined, 'the first plain-HTTP request carried the https credentials');
  // The http origin is a different protection space: its own challenge, its own prompt.
  t.deepEqual(prompts, [`127.0.0.1:${server.port}`]);
  t.is(body.toString(), 'http welcome');
});

test('after an https → http redirect the https credentials are not sent', async (t) => {
  const ses = freshSession();
  await loginOverHttps(ses, '/secure-b');
  const req = net.request({ url: `${server.httpsUrl}/to-http-b`, session: ses });
  req.on('login', (_info, callback) => callback());
  req.end();
  const { response } = await collect(req);
  t.is(response.statusCode, 401);
  const landed = requestsTo('/landed').filter((r) => r.scheme === 'http');
  t.true(landed.length >= 1);
  for (const request of landed) t.is(authorization(request), undefined, 'credentials crossed to http after the redirect');
  // The https hop itself did offer them (same origin as the login): the cache still works.
  t.is(authorization(requestsTo('/to-http-b')[0]), EXPECTED);
});

test('credentials learned on http://host:P are not offered to https://host:P either (different origin)', async (t) => {
  const ses = freshSession();
  const first = net.request({ url: `${server.httpUrl}/plain-c`, session: ses });
  answerLogin(first, []);
  first.end();
  await collect(first);
  const req = net.request({ url: `${server.httpsUrl}/secure-c`, session: ses });
  const prompts: string[] = [];
  answerLogin(req, prompts);
  req.end();
  await collect(req);
  t.is(authorization(requestsTo('/secure-c')[0]), undefined);
  t.is(prompts.length, 1);
});

test('proxy credentials are keyed by the proxy’s scheme, host and port', (t) => {
  const cache = new AuthCache();
  const entry = { isProxy: true, protocol: 'http', scheme: 'basic' as const, host: '127.0.0.1', port: 3128, realm: 'r', username: 'u', password: 'p' };
  cache.add(entry);
  t.is(cache.latestFor(true, 'http', '127.0.0.1', 3128)?.username, 'u');
  // The same host and port spoken to over TLS (an HTTPS proxy) or as SOCKS is another proxy.
  t.is(cache.latestFor(true, 'https', '127.0.0.1', 3128), undefined);
  t.is(cache.latestFor(true, 'socks5', '127.0.0.1', 3128), undefined);
  t.is(cache.latestFor(false, 'http', '127.0.0.1', 3128), undefined, 'never offered to a server');
  t.is(cache.find({ ...entry, protocol: 'https' }), undefined);
  t.truthy(cache.find(entry));
});
