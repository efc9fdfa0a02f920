// CR/LF/NUL injection: every string that becomes part of a request head is refused when it
// could add a header line. A raw recorder keeps the exact bytes each request head had, so the
// tests prove what reached the wire, not what the API returned. Serial: one test changes the
// process's proxy environment.
import test, { ExecutionContext } from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { collect } from './helpers/collect';
import { okResponse, startWireRecorder, WireRecorder, WireRequest } from './helpers/wire-recorder';

let sessionCounter = 0;
const freshSession = () => session.fromPartition(`wire-injection-${sessionCounter++}`);

const INJECTED = /^x-injected/im;

/** No request head the recorder saw has an injected line (or a bare CR/LF/NUL in a line). */
function assertNothingInjected(t: ExecutionContext, recorder: WireRecorder): void {
  for (const request of recorder.requests) {
    t.false(INJECTED.test(request.head), `injected line on the wire:\n${request.head}`);
    for (const line of request.headerLines) t.false(/[\r\n\0]/.test(line), `CR/LF/NUL inside a line: ${JSON.stringify(line)}`);
  }
}

async function recorder(t: ExecutionContext, respond: (request: WireRequest) => string | null = () => okResponse()) {
  const server = await startWireRecorder(respond);
  t.teardown(() => server.close());
  return server;
}

function failure(req: ClientRequest): Promise<Error> {
  return new Promise((resolve, reject) => {
    req.on('error', resolve);
    req.on('response', (response) => reject(new Error(`unexpected response ${response.statusCode}`)));
  });
}

const DIGEST_CHALLENGE =
  'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="r", qop="auth", nonce="abc123", algorithm=MD5\r\n' +
  'Content-Length: 0\r\nConnection: close\r\n\r\n';
const digestServer = (request: WireRequest) =>
  request.headerLines.some((l) => /^authorization:/i.test(l)) ? okResponse('welcome') : DIGEST_CHALLENGE;

test.serial('setUserAgent refuses CR/LF/NUL with the setHeader message and changes nothing', async (t) => {
  const server = await recorder(t);
  const ses = freshSession();
  ses.setUserAgent('Good/1.0', 'en-US,fr');
  for (const bad of ['UA\r\nX-Injected: y', 'UA\nX-Injected: y', 'UA\rX-Injected: y', 'UA\0X']) {
    t.throws(() => ses.setUserAgent(bad), { message: `Invalid value for header 'User-Agent': '${bad}'` });
  }
  t.throws(() => ses.setUserAgent('Fine/1.0', 'en\r\nX-Injected: y'), {
    message: "Invalid value for header 'Accept-Language': 'en\r\nX-Injected: y'",
  });
  // A refused call changes neither value.
  t.is(ses.getUserAgent(), 'Good/1.0');
  const req = net.request({ url: `${server.httpUrl}/ua`, session: ses });
  req.end();
  await collect(req);
  assertNothingInjected(t, server);
  const lines = server.requests[0].headerLines;
  t.true(lines.includes('User-Agent: Good/1.0'), lines.join('\n'));
  t.true(lines.includes('Accept-Language: en-US,fr;q=0.9'), lines.join('\n'));
});

test.serial("a header value whose toString() changes after validation cannot inject: the validated string is sent", async (t) => {
  const server = await recorder(t);
  let calls = 0;
  const shifty = {
    toString() {
      calls += 1;
      return calls === 1 ? 'harmless' : 'harmless\r\nX-Injected: yes';
    },
  };
  const req = net.request({ url: `${server.httpUrl}/shifty`, session: freshSession() });
  req.setHeader('X-Shifty', shifty);
  const fromOptions = net.request({
    url: `${server.httpUrl}/shifty-options`,
    session: freshSession(),
    headers: { 'X-Shifty': { toString: () => (calls++ === 1 ? 'first' : 'later\nX-Injected: yes') } as any },
  });
  req.end();
  fromOptions.end();
  await Promise.all([collect(req), collect(fromOptions)]);
  assertNothingInjected(t, server);
  const sent = server.requests.map((r) => r.headerLines.find((l) => l.startsWith('X-Shifty:')));
  t.true(sent.includes('X-Shifty: harmless'), sent.join('\n'));
  t.true(sent.includes('X-Shifty: first'), sent.join('\n'));
});

test.serial('a user name with %0d%0a in the URL does not inject into a Digest Authorization header', async (t) => {
  const server = await recorder(t, digestServer);
  const req = net.request({ url: `http://a%0d%0aX-Injected:%20y:pw@127.0.0.1:${server.port}/digest`, session: freshSession() });
  req.end();
  const error = await failure(req);
  t.is(error.message, 'net::ERR_INVALID_ARGUMENT');
  t.regex(String((error.cause as Error)?.message), /user name contains CR, LF or NUL/);
  assertNothingInjected(t, server);
  // The challenge was seen (one request without credentials), the answer never sent.
  t.is(server.requests.length, 1);
});

test.serial("a user name with CR/LF from the 'login' callback does not inject into a Digest Authorization header", async (t) => {
  const server = await recorder(t, digestServer);
  for (const bad of [['u\r\nX-Injected: y', 'pw'], ['user', 'p\r\nX-Injected: y'], ['u\0ser', 'pw']]) {
    const req = net.request({ url: `${server.httpUrl}/digest-login`, session: freshSession() });
    req.on('login', (_info, callback) => callback(bad[0], bad[1]));
    req.end();
    const error = await failure(req);
    t.is(error.message, 'net::ERR_INVALID_ARGUMENT');
  }
  assertNothingInjected(t, server);
  t.is(server.requests.length, 3, 'only the unauthenticated first requests went out');
});

test.serial('proxy credentials with CR/LF (from the environment) never reach the proxy', async (t) => {
  const proxyChallenge =
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm="p", qop="auth", nonce="n1", algorithm=MD5\r\n' +
    'Content-Length: 0\r\nConnection: close\r\n\r\n';
  const proxy = await recorder(t, (r) => (r.headerLines.some((l) => /^proxy-authorization:/i.test(l)) ? okResponse() : proxyChallenge));
  const saved = process.env.HTTP_PROXY;
  process.env.HTTP_PROXY = `http://u%0d%0aX-Injected:%20y:pw@127.0.0.1:${proxy.port}`;
  t.teardown(() => {
    if (saved === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = saved;
  });
  const ses = freshSession();
  await ses.setProxy({ mode: 'system' });
  const req = net.request({ url: 'http://origin.invalid/', session: ses });
  req.end();
  const error = await failure(req);
  t.is(error.message, 'net::ERR_INVALID_ARGUMENT');
  assertNothingInjected(t, proxy);
});

test.serial('header names and values set with CR/LF/NUL throw Electron’s messages, from setHeader and the constructor', (t) => {
  const req = net.request({ url: 'http://127.0.0.1:9/', session: freshSession() });
  t.throws(() => req.setHeader('X', 'a\r\nX-Injected: y'), { message: "Invalid value for header 'X': 'a\r\nX-Injected: y'" });
  t.throws(() => req.setHeader('X\r\nY', 'a'), { message: "Invalid header name: 'X\r\nY'" });
  t.throws(() => net.request({ url: 'http://127.0.0.1:9/', headers: { X: 'a\0b' } }), { message: "Invalid value for header 'X': 'a\0b'" });
  req.abort();
});

test.serial('a method with CR/LF fails with net::ERR_INVALID_ARGUMENT and sends nothing', async (t) => {
  const server = await recorder(t);
  const req = net.request({ url: `${server.httpUrl}/m`, method: 'GET / HTTP/1.1\r\nX-Injected: y\r\n\r\nGET', session: freshSession() });
  req.end();
  t.is((await failure(req)).message, 'net::ERR_INVALID_ARGUMENT');
  t.is(server.connections, 0);
});
