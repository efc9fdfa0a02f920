// webRequest's `ip`: the address the request was actually sent to, end to end against real
// servers on IPv4 and IPv6 loopback, across a redirect and through a proxy (whose address it is).
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { net, session } from '../ts/index';
import type { Session } from '../ts/index';
import { collect } from './helpers/collect';

let partitions = 0;
const fresh = () => session.fromPartition(`web-request-ip-${partitions++}`);

/** A server on `host` that redirects /redirect to /landed and answers everything else; with
 * `proxy`, it answers absolute-form requests as a forward proxy would (without going anywhere). */
async function listen(host: string, t: { teardown(fn: () => void): void }): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if ((req.url ?? '').endsWith('/redirect')) {
      res.writeHead(302, { Location: '/landed' });
      res.end();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

interface Seen {
  hook: string;
  url: string;
  ip: string | undefined;
}

function watch(ses: Session): Seen[] {
  const seen: Seen[] = [];
  ses.webRequest.onResponseStarted((d) => seen.push({ hook: 'onResponseStarted', url: d.url, ip: d.ip }));
  ses.webRequest.onBeforeRedirect((d) => seen.push({ hook: 'onBeforeRedirect', url: d.url, ip: d.ip }));
  ses.webRequest.onCompleted((d) => seen.push({ hook: 'onCompleted', url: d.url, ip: d.ip }));
  return seen;
}

async function get(url: string, ses: Session): Promise<string> {
  const { body } = await collect(net.request({ url, session: ses }).end() as never);
  return body.toString();
}

test('a direct request: onResponseStarted and onCompleted carry the server address', async (t) => {
  const { port } = await listen('127.0.0.1', t);
  const ses = fresh();
  const seen = watch(ses);
  const url = `http://127.0.0.1:${port}/plain`;
  t.is(await get(url, ses), 'ok');
  t.deepEqual(seen, [
    { hook: 'onResponseStarted', url, ip: '127.0.0.1' },
    { hook: 'onCompleted', url, ip: '127.0.0.1' },
  ]);
});

test('a redirect: onBeforeRedirect carries the address the redirect came from, on another loopback address than the target', async (t) => {
  const first = await listen('127.0.0.1', t);
  const second = await listen('127.0.0.3', t);
  // 127.0.0.1 redirects to a server on 127.0.0.3: each hook has its own hop's address.
  const from = `http://127.0.0.1:${first.port}/start`;
  const to = `http://127.0.0.3:${second.port}/landed`;
  const ses = fresh();
  const seen = watch(ses);
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback(details.url === from ? { statusLine: 'HTTP/1.1 302 Found', responseHeaders: { Location: [to] } } : {}),
  );
  t.is(await get(from, ses), 'ok');
  t.deepEqual(seen, [
    { hook: 'onBeforeRedirect', url: from, ip: '127.0.0.1' },
    { hook: 'onResponseStarted', url: to, ip: '127.0.0.3' },
    { hook: 'onCompleted', url: to, ip: '127.0.0.3' },
  ]);
  t.deepEqual(second.seen, ['/landed']);
});

test('a server redirect on the same connection: onBeforeRedirect has the address too', async (t) => {
  const { port } = await listen('127.0.0.1', t);
  const ses = fresh();
  const seen = watch(ses);
  const url = `http://127.0.0.1:${port}/redirect`;
  t.is(await get(url, ses), 'ok');
  t.deepEqual(seen.map((s) => `${s.hook} ${s.ip}`), ['onBeforeRedirect 127.0.0.1', 'onResponseStarted 127.0.0.1', 'onCompleted 127.0.0.1']);
});

test('an IPv6 server: the address as Chromium prints it, without brackets', async (t) => {
  const { port } = await listen('::1', t);
  const ses = fresh();
  const seen = watch(ses);
  const url = `http://[::1]:${port}/v6`;
  t.is(await get(url, ses), 'ok');
  t.deepEqual(seen.map((s) => s.ip), ['::1', '::1']);
});

test('through a proxy: the proxy\'s address, as in Chromium', async (t) => {
  const proxy = await listen('127.0.0.2', t);
  const ses = fresh();
  // The origin's name is never resolved here: only the proxy is connected to.
  await ses.setProxy({ proxyRules: `http=127.0.0.2:${proxy.port}` });
  const seen = watch(ses);
  const url = 'http://origin.curlnet.test/through';
  t.is(await get(url, ses), 'ok');
  t.deepEqual(proxy.seen, ['http://origin.curlnet.test/through'], 'the proxy got the absolute-form request');
  t.deepEqual(seen, [
    { hook: 'onResponseStarted', url, ip: '127.0.0.2' },
    { hook: 'onCompleted', url, ip: '127.0.0.2' },
  ]);
});

test('a protocol handler\'s response has no ip', async (t) => {
  const ses = fresh();
  ses.protocol.handle('app', () => new Response('local'));
  const keys: string[][] = [];
  ses.webRequest.onResponseStarted((d) => keys.push(Object.keys(d)));
  ses.webRequest.onCompleted((d) => keys.push(Object.keys(d)));
  const response = await ses.fetch('app://host/x');
  t.is(await response.text(), 'local');
  t.is(keys.length, 2);
  for (const k of keys) t.false(k.includes('ip'));
});

test('an error after the response head: onErrorOccurred has the address; before any response it has none', async (t) => {
  const server = http.createServer((req, res) => {
    // Headers and part of the promised body, then the connection goes.
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('partial');
    setTimeout(() => req.socket.destroy(), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const ses = fresh();
  const errors: Array<{ error: string; ip: string | undefined; hasIp: boolean }> = [];
  ses.webRequest.onErrorOccurred((d) => errors.push({ error: d.error, ip: d.ip, hasIp: 'ip' in d }));
  const port = (server.address() as AddressInfo).port;
  await t.throwsAsync(ses.fetch(`http://127.0.0.1:${port}/cut`).then((r) => r.text()));
  // A refused connection: no response, no address.
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const refusedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await t.throwsAsync(ses.fetch(`http://127.0.0.1:${refusedPort}/`), { message: 'net::ERR_CONNECTION_REFUSED' });
  t.is(errors.length, 2);
  t.like(errors[0], { ip: '127.0.0.1', hasIp: true });
  t.like(errors[1], { error: 'net::ERR_CONNECTION_REFUSED', hasIp: false });
});
