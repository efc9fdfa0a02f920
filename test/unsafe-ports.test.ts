// Chromium's restricted ports: a request to one fails with net::ERR_UNSAFE_PORT before any
// connection, on the first hop and on every redirect. Servers listen on those ports for real
// (binding ports below 1024 would need root; these are all above), and count connections.
import test, { ExecutionContext } from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { isPortAllowed, restrictedPorts } from '../ts/restricted-ports';
import { collect } from './helpers/collect';
import { okResponse, startWireRecorder, WireRecorder } from './helpers/wire-recorder';

let sessionCounter = 0;
const freshSession = () => session.fromPartition(`unsafe-ports-${sessionCounter++}`);

/** A recorder on a restricted port; the test is skipped (with a log) if the port is taken. */
async function listenOn(t: ExecutionContext, port: number, respond = () => okResponse('reached')): Promise<WireRecorder | null> {
  try {
    const server = await startWireRecorder(respond, { port });
    t.teardown(() => server.close());
    return server;
  } catch (error) {
    t.log(`port ${port} is not free here: ${(error as Error).message}`);
    return null;
  }
}

function outcome(req: ClientRequest): Promise<{ error?: Error; status?: number; redirects: string[] }> {
  const redirects: string[] = [];
  req.on('redirect', (_s, _m, url) => redirects.push(url));
  return new Promise((resolve) => {
    req.on('error', (error) => resolve({ error, redirects }));
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, redirects }));
    });
    req.end();
  });
}

test('the list is Chromium’s kRestrictedPorts', (t) => {
  const ports = restrictedPorts();
  for (const port of [0, 1, 7, 9, 21, 22, 25, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 5060, 2049, 989, 990]) {
    t.true(ports.includes(port), String(port));
  }
  t.is(ports.length, 81);
  t.true(isPortAllowed(new URL('http://h/')));
  t.true(isPortAllowed(new URL('https://h/')));
  t.true(isPortAllowed(new URL('http://h:8080/')));
  t.false(isPortAllowed(new URL('https://h:6697/')));
});

for (const port of [6666, 6667, 10080, 6000, 5060]) {
  test(`http://127.0.0.1:${port}/ fails with net::ERR_UNSAFE_PORT and the server sees no connection`, async (t) => {
    const server = await listenOn(t, port);
    if (server === null) return t.pass();
    const result = await outcome(net.request({ url: `http://127.0.0.1:${port}/`, method: 'POST', session: freshSession() }));
    t.is(result.error?.message, 'net::ERR_UNSAFE_PORT');
    t.is(server.connections, 0);
  });
}

test('https on a restricted port fails the same way (6697)', async (t) => {
  const server = await listenOn(t, 6697);
  if (server === null) return t.pass();
  const result = await outcome(net.request({ url: 'https://127.0.0.1:6697/', session: freshSession() }));
  t.is(result.error?.message, 'net::ERR_UNSAFE_PORT');
  t.is(server.connections, 0);
});

test('a redirect to a restricted port fails with net::ERR_UNSAFE_PORT after the redirect event; the target sees nothing', async (t) => {
  const target = await listenOn(t, 6668);
  if (target === null) return t.pass();
  const redirector = await startWireRecorder(
    () => 'HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:6668/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
  );
  t.teardown(() => redirector.close());
  const req = net.request({ url: `${redirector.httpUrl}/start`, method: 'POST', session: freshSession() });
  req.write('body that must not reach port 6668');
  const result = await outcome(req);
  t.deepEqual(result.redirects, ['http://127.0.0.1:6668/stolen']);
  t.is(result.error?.message, 'net::ERR_UNSAFE_PORT');
  t.is(target.connections, 0);
});

test('through a proxy the origin’s port is still checked; the proxy sees nothing', async (t) => {
  const proxy = await startWireRecorder(() => okResponse('via proxy'));
  t.teardown(() => proxy.close());
  const ses = freshSession();
  await ses.setProxy({ proxyRules: `http://127.0.0.1:${proxy.port}` });
  const result = await outcome(net.request({ url: 'http://origin.invalid:6667/', session: ses }));
  t.is(result.error?.message, 'net::ERR_UNSAFE_PORT');
  t.is(proxy.connections, 0);
});

test('a proxy on a restricted port is used (Chromium does not restrict proxy ports)', async (t) => {
  const proxy = await listenOn(t, 6669, () => okResponse('via proxy'));
  if (proxy === null) return t.pass();
  const ses = freshSession();
  await ses.setProxy({ proxyRules: 'http://127.0.0.1:6669' });
  const req = net.request({ url: 'http://origin.invalid:8080/', session: ses });
  req.end();
  const { body } = await collect(req);
  t.is(body.toString(), 'via proxy');
  t.is(proxy.requests[0].requestLine, 'GET http://origin.invalid:8080/ HTTP/1.1');
});
