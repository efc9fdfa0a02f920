// Redirects are decided per hop in TS (reference §1 "Redirects").
import test from 'ava';
import { net } from '../ts/index';
import { collect, EventLog, settle } from './helpers/collect';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let other: TestServer; // another origin (different port)
test.before(async () => {
  server = await startServer(echo);
  other = await startServer(echo);
  const redirect = (status: number, location: string) => (_req: any, res: any) => {
    res.writeHead(status, { Location: location, 'X-Cookie': 'c=1' });
    res.end('redirect body');
  };
  for (const status of [301, 302, 303, 307, 308]) server.route(`/r${status}`, redirect(status, '/target'));
  server.route('/r303-head', redirect(303, '/target-head'));
  server.route('/cross', redirect(302, `${other.url}/landed`));
  server.route('/cross307', redirect(307, `${other.url}/landed307`));
  server.route('/same-origin-307', redirect(307, '/target-auth'));
  server.route('/fragment', redirect(302, '/target'));
  server.route('/fragment-own', redirect(302, '/target#new'));
  server.route('/r300', redirect(300, '/target'));
  server.route('/r304', redirect(304, '/target'));
  server.rawRoute('/no-location', (_req, res) => {
    res.writeHead(302);
    res.end('no location');
  });
  server.route('/bad-location', redirect(302, 'http://[bad'));
  for (const scheme of ['file:///etc/passwd', 'data:text/plain,hi', 'about:blank', 'blob:http://x/y', 'filesystem:http://x/y']) {
    server.route(`/unsafe-${scheme.split(':')[0]}`, redirect(302, scheme));
  }
  server.route('/unknown-scheme', redirect(302, 'ftp://127.0.0.1/x'));
  // /chain/N redirects to /chain/N-1 … /chain/0 answers.
  server.route('/chain', (req, res) => res.end('end of chain'));
  for (let i = 1; i <= 25; i++) server.route(`/chain/${i}`, redirect(302, i === 1 ? '/chain' : `/chain/${i - 1}`));
});
test.after.always(async () => {
  // Both, whichever of them started: a failed start must not leave the other listening.
  await Promise.all([server?.close(), other?.close()]);
});

test("follow: 'redirect' with (status, method, url, headers), then the final response", async (t) => {
  const req = net.request(`${server.url}/r302`);
  const log = new EventLog(req);
  const args: unknown[][] = [];
  req.on('redirect', (...a: unknown[]) => args.push(a));
  req.end();
  const { response, body } = await collect(req);
  await log.waitFor('res:close');
  t.deepEqual(log.events, ['req:finish', 'req:close', 'req:redirect', 'req:response', 'res:data', 'res:end', 'res:close']);
  t.is(args.length, 1);
  const [status, method, url, headers] = args[0] as [number, string, string, Record<string, string[]>];
  t.is(status, 302);
  t.is(method, 'GET');
  t.is(url, `${server.url}/target`);
  t.deepEqual(headers['x-cookie'], ['c=1']);
  t.deepEqual(headers.location, ['/target']);
  t.deepEqual(Object.keys(headers), [...Object.keys(headers)].sort());
  t.true(Object.values(headers).every((v) => Array.isArray(v)));
  t.is(response.statusCode, 200);
  t.is(JSON.parse(body.toString()).url, '/target');
  t.is(server.requestsTo('/target').length >= 1, true);
});

test('follow: followRedirect() inside the handler is allowed and does nothing extra', async (t) => {
  const req = net.request(`${server.url}/r301`);
  req.on('redirect', () => req.followRedirect());
  req.end();
  const { response } = await collect(req);
  t.is(response.statusCode, 200);
});

test('manual: followRedirect() called synchronously follows', async (t) => {
  const req = net.request({ url: `${server.url}/r307`, redirect: 'manual' });
  req.on('redirect', () => req.followRedirect());
  req.end();
  const { body } = await collect(req);
  t.is(JSON.parse(body.toString()).url, '/target');
});

test("manual: no followRedirect() → 'Redirect was cancelled'; calling it later throws", async (t) => {
  const req = net.request({ url: `${server.url}/r302`, redirect: 'manual' });
  let later: Error | undefined;
  req.on('redirect', () =>
    setTimeout(() => {
      try {
        req.followRedirect();
      } catch (e) {
        later = e as Error;
      }
    }, 10),
  );
  const error = await new Promise<Error>((resolve) => {
    req.on('error', resolve);
    req.end();
  });
  t.is(error.message, 'Redirect was cancelled');
  await settle();
  t.is(later?.message, 'followRedirect() called, but was not waiting for a redirect');
});

test("manual without a 'redirect' listener is cancelled too", async (t) => {
  const req = net.request({ url: `${server.url}/r302`, redirect: 'manual' });
  const error = await new Promise<Error>((resolve) => {
    req.on('error', resolve);
    req.end();
  });
  t.is(error.message, 'Redirect was cancelled');
});

test("error mode fails with Electron's message and emits no 'redirect'", async (t) => {
  const req = net.request({ url: `${server.url}/r302`, redirect: 'error' });
  const log = new EventLog(req);
  const error = await new Promise<Error>((resolve) => {
    req.on('error', resolve);
    req.end();
  });
  t.is(error.message, "Attempted to redirect, but redirect policy was 'error'");
  t.false(log.events.includes('req:redirect'));
});

test('followRedirect() outside a redirect throws', (t) => {
  const req = net.request(server.url);
  t.throws(() => req.followRedirect(), { message: 'followRedirect() called, but was not waiting for a redirect' });
  req.abort();
});

test('301/302 turn POST into GET, drop the body and its headers', async (t) => {
  for (const status of [301, 302]) {
    const req = net.request({ url: `${server.url}/r${status}`, method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Keep': 'yes' } });
    let method = '';
    req.on('redirect', (_s, m) => (method = m));
    req.end('the body');
    const { body } = await collect(req);
    const seen = JSON.parse(body.toString());
    t.is(method, 'GET');
    t.is(seen.method, 'GET');
    t.is(seen.body, '');
    const names = (seen.rawHeaders as string[]).map((n) => n.toLowerCase());
    t.false(names.includes('content-type'));
    t.false(names.includes('content-length'));
    t.true(names.includes('x-keep'));
  }
});

test('301/302 keep PUT (and its body); 303 makes GET but keeps HEAD', async (t) => {
  const put = net.request({ url: `${server.url}/r302`, method: 'PUT' });
  put.end('put body');
  const seen = JSON.parse((await collect(put)).body.toString());
  t.is(seen.method, 'PUT');
  t.is(seen.body, 'put body');

  const post303 = net.request({ url: `${server.url}/r303`, method: 'POST' });
  post303.end('x');
  t.is(JSON.parse((await collect(post303)).body.toString()).method, 'GET');

  const head303 = net.request({ url: `${server.url}/r303-head`, method: 'HEAD' });
  let method = '';
  head303.on('redirect', (_s, m) => (method = m));
  head303.end();
  await collect(head303);
  t.is(method, 'HEAD');
  t.is(server.lastTo('/target-head').method, 'HEAD');
});

test('307 and 308 keep the method and send the buffered body again', async (t) => {
  for (const status of [307, 308]) {
    const req = net.request({ url: `${server.url}/r${status}`, method: 'POST', headers: { 'Content-Type': 'text/plain' } });
    req.end(`body for ${status}`);
    const seen = JSON.parse((await collect(req)).body.toString());
    t.is(seen.method, 'POST');
    t.is(seen.body, `body for ${status}`);
    t.true((seen.rawHeaders as string[]).includes('Content-Type'));
  }
});

test('a small chunked body is sent again on 307; one that cannot be replayed fails', async (t) => {
  const small = net.request({ url: `${server.url}/r307`, method: 'POST' });
  small.chunkedEncoding = true;
  small.write('chunk one ');
  small.end('chunk two');
  t.is(JSON.parse((await collect(small)).body.toString()).body, 'chunk one chunk two');

  const big = net.request({ url: `${server.url}/r307`, method: 'POST' });
  big.chunkedEncoding = true;
  const done = new Promise<Error>((resolve) => big.on('error', resolve));
  const chunk = Buffer.alloc(256 * 1024, 1);
  for (let i = 0; i < 8; i++) big.write(chunk);
  big.end();
  t.is((await done).message, 'net::ERR_UPLOAD_STREAM_REWIND_NOT_SUPPORTED');
});

test('Authorization and Cookie do not follow a cross-origin hop, but do follow a same-origin one', async (t) => {
  const headers = { Authorization: 'Bearer secret', Cookie: 'a=b', 'X-Other': 'kept', Origin: server.url };
  const cross = net.request({ url: `${server.url}/cross`, headers });
  cross.end();
  const seen = JSON.parse((await collect(cross)).body.toString());
  const raw = seen.rawHeaders as string[];
  const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  t.is(seen.url, '/landed');
  t.false(names.includes('authorization'));
  t.false(names.includes('cookie'));
  t.true(names.includes('x-other'));
  t.is(raw[raw.findIndex((n) => n.toLowerCase() === 'origin') + 1], 'null', 'Origin becomes null across origins');

  const same = net.request({ url: `${server.url}/same-origin-307`, headers });
  same.end();
  const sameSeen = JSON.parse((await collect(same)).body.toString());
  const sameNames = (sameSeen.rawHeaders as string[]).map((n) => n.toLowerCase());
  t.true(sameNames.includes('authorization'));
  t.true(sameNames.includes('cookie'));
});

test('the fragment is carried over unless Location has its own', async (t) => {
  const urls: string[] = [];
  for (const path of ['/fragment', '/fragment-own']) {
    const req = net.request(`${server.url}${path}#old`);
    req.on('redirect', (_s, _m, url) => urls.push(url));
    req.end();
    await collect(req);
  }
  t.deepEqual(urls, [`${server.url}/target#old`, `${server.url}/target#new`]);
});

test('300, 304 and a 302 without Location are ordinary responses', async (t) => {
  for (const path of ['/r300', '/r304', '/no-location']) {
    const req = net.request(`${server.url}${path}`);
    let redirected = false;
    req.on('redirect', () => (redirected = true));
    req.end();
    const { response } = await collect(req);
    t.false(redirected, path);
    t.is(response.statusCode, path === '/r300' ? 300 : path === '/r304' ? 304 : 302);
  }
});

for (const scheme of ['file', 'data', 'about', 'blob', 'filesystem']) {
  test(`a redirect to ${scheme}: emits 'redirect' then fails with net::ERR_UNSAFE_REDIRECT`, async (t) => {
    const req = net.request(`${server.url}/unsafe-${scheme}`);
    const log = new EventLog(req);
    const error = await new Promise<Error>((resolve) => {
      req.on('error', resolve);
      req.end();
    });
    t.is(error.message, 'net::ERR_UNSAFE_REDIRECT');
    t.deepEqual(log.events, ['req:finish', 'req:close', 'req:redirect', 'req:error']);
  });
}

test('manual mode checks the target after followRedirect()', async (t) => {
  const req = net.request({ url: `${server.url}/unsafe-file`, redirect: 'manual' });
  req.on('redirect', () => req.followRedirect());
  const error = await new Promise<Error>((resolve) => {
    req.on('error', resolve);
    req.end();
  });
  t.is(error.message, 'net::ERR_UNSAFE_REDIRECT');
});

test('an unknown scheme fails with net::ERR_UNKNOWN_URL_SCHEME; an unparsable Location with ERR_INVALID_REDIRECT', async (t) => {
  for (const [path, expected] of [
    ['/unknown-scheme', 'net::ERR_UNKNOWN_URL_SCHEME'],
    ['/bad-location', 'net::ERR_INVALID_REDIRECT'],
  ]) {
    const req = net.request(`${server.url}${path}`);
    const error = await new Promise<Error>((resolve) => {
      req.on('error', resolve);
      req.end();
    });
    t.is(error.message, expected);
  }
});

test('20 redirects are followed; the 21st fails with net::ERR_TOO_MANY_REDIRECTS', async (t) => {
  const ok = net.request(`${server.url}/chain/20`);
  let hops = 0;
  ok.on('redirect', () => hops++);
  ok.end();
  const { body } = await collect(ok);
  t.is(hops, 20);
  t.is(body.toString(), 'end of chain');

  const tooMany = net.request(`${server.url}/chain/21`);
  let hops21 = 0;
  tooMany.on('redirect', () => hops21++);
  const error = await new Promise<Error>((resolve) => {
    tooMany.on('error', resolve);
    tooMany.end();
  });
  t.is(error.message, 'net::ERR_TOO_MANY_REDIRECTS');
  t.is(hops21, 20);
});

test('a redirect to another server is followed there', async (t) => {
  const req = net.request({ url: `${server.url}/cross307`, method: 'POST' });
  req.end('carried');
  const seen = JSON.parse((await collect(req)).body.toString());
  t.is(seen.url, '/landed307');
  t.is(seen.body, 'carried');
  t.is(other.requestsTo('/landed307').length, 1);
});
