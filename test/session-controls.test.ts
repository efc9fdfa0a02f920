// The rest of Session's networking surface: ses.fetch, closeAllConnections() failing requests in
// flight, the (absent) HTTP cache, resolveHost, and network emulation.
import test from 'ava';
import { net, session, versions } from '../ts/index';
import { throughputCapsWork } from '../ts/stages/session-conditions';
import { echo, startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let partitions = 0;
const fresh = () => session.fromPartition(`session-controls-${partitions++}`);
const TEN_MIB = 10 * 1024 * 1024;

test.before(async () => {
  server = await startServer(echo);
  server.rawRoute('/hang', () => undefined);
  server.rawRoute('/trickle', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('first part');
    // …and nothing more: the response is in flight until something ends it.
  });
  const big = Buffer.alloc(TEN_MIB, 'x');
  server.route('/big', (_req, res) => {
    res.writeHead(200, { 'Content-Length': String(big.length) });
    res.end(big);
  });
  server.route('/sink', (_req, res, body) => res.end(String(body.length)));
});
test.after.always(() => server?.close());

test('ses.fetch uses the session: its user agent and its webRequest hooks', async (t) => {
  const ses = fresh();
  ses.setUserAgent('session-agent/1');
  ses.webRequest.onBeforeSendHeaders((details, callback) => callback({ requestHeaders: { ...details.requestHeaders, 'X-Session': 'mine' } }));
  const seen = (await (await ses.fetch(`${server.url}/who`)).json()) as { rawHeaders: string[] };
  const headers = new Map<string, string>();
  for (let i = 0; i < seen.rawHeaders.length; i += 2) headers.set(seen.rawHeaders[i].toLowerCase(), seen.rawHeaders[i + 1]);
  t.is(headers.get('user-agent'), 'session-agent/1');
  t.is(headers.get('x-session'), 'mine');
  const other = (await (await net.fetch(`${server.url}/who`)).json()) as { rawHeaders: string[] };
  t.false(other.rawHeaders.includes('session-agent/1'), 'net.fetch uses the default session');
});

test('closeAllConnections() fails requests waiting for a head and responses mid-body with net::ERR_ABORTED', async (t) => {
  const ses = fresh();
  const waiting = net.request({ url: `${server.url}/hang`, session: ses });
  const waitingError = new Promise<Error>((resolve) => waiting.on('error', resolve));
  waiting.end();
  const reading = net.request({ url: `${server.url}/trickle`, session: ses });
  reading.on('error', () => undefined);
  const readingError = new Promise<Error>((resolve) => {
    reading.on('response', (response) => {
      response.on('error', resolve);
      response.on('data', () => undefined);
    });
  });
  const firstData = new Promise<void>((resolve) => reading.on('response', (response) => response.once('data', () => resolve())));
  reading.end();
  await firstData;
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ses.closeAllConnections();
  t.is((await waitingError).message, 'net::ERR_ABORTED');
  t.is((await readingError).message, 'net::ERR_ABORTED');
  const after = await ses.fetch(`${server.url}/after`);
  t.is(after.status, 200, 'the session works afterwards');
  t.is(ses._inFlight.size, 0);
});

test('finished requests leave the in-flight set; another session\'s requests are not touched', async (t) => {
  const ses = fresh();
  const other = fresh();
  await (await ses.fetch(`${server.url}/done`)).text();
  t.is(ses._inFlight.size, 0);
  const pending = other.fetch(`${server.url}/hang`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ses.closeAllConnections();
  t.is(other._inFlight.size, 1);
  await other.closeAllConnections();
  await t.throwsAsync(pending, { message: 'net::ERR_ABORTED' });
});

test('clearCache() resolves and getCacheSize() is 0: there is no HTTP cache', async (t) => {
  const ses = fresh();
  t.is(await ses.clearCache(), undefined);
  t.is(await ses.getCacheSize(), 0);
});

test('shared dictionary methods: nothing is stored, and options are checked with Electron\'s messages', async (t) => {
  const ses = fresh();
  const key = { frameOrigin: 'https://app.example', topFrameSite: 'https://example' };
  t.is(await ses.clearSharedDictionaryCache(), undefined);
  t.is(await ses.clearSharedDictionaryCacheForIsolationKey(key), undefined);
  t.deepEqual(await ses.getSharedDictionaryInfo(key), []);
  t.deepEqual(await ses.getSharedDictionaryUsageInfo(), []);
  t.is(ses.flushStorageData(), undefined);
  await t.throwsAsync(ses.clearSharedDictionaryCacheForIsolationKey({ frameOrigin: 'https://a.example' } as never), {
    message: 'Must provide frameOrigin and topFrameSite strings to `clearSharedDictionaryCacheForIsolationKey`',
  });
  await t.throwsAsync(ses.getSharedDictionaryInfo({ frameOrigin: 1, topFrameSite: 'https://b' } as never), {
    message: 'Must provide frameOrigin and topFrameSite strings',
  });
  await t.throwsAsync(ses.getSharedDictionaryInfo({ frameOrigin: 'not a url', topFrameSite: 'https://b' }), {
    message: 'Invalid URLs provided for frameOrigin or topFrameSite',
  });
  await t.throwsAsync(ses.clearSharedDictionaryCacheForIsolationKey(undefined as never), { instanceOf: TypeError });
});

test('ses.resolveHost resolves like net.resolveHost', async (t) => {
  const result = await fresh().resolveHost('localhost');
  t.true(result.endpoints.length > 0);
  t.true(result.endpoints.every((e) => e.address === '127.0.0.1' || e.address === '::1'));
  await t.throwsAsync(fresh().resolveHost('no-such-host.invalid'), { message: /^net::ERR_NAME_/ });
});

test('offline emulation fails with net::ERR_INTERNET_DISCONNECTED, before any network; disabling it restores the session', async (t) => {
  const ses = fresh();
  ses.enableNetworkEmulation({ offline: true });
  const before = server.requestsTo('/offline').length;
  await t.throwsAsync(ses.fetch(`${server.url}/offline`), { message: 'net::ERR_INTERNET_DISCONNECTED' });
  const request = net.request({ url: `${server.url}/offline`, session: ses });
  const error = await new Promise<Error>((resolve) => request.on('error', resolve).end());
  t.is(error.message, 'net::ERR_INTERNET_DISCONNECTED');
  t.is(server.requestsTo('/offline').length, before);
  ses.protocol.handle('app', () => new Response('local'));
  t.is(await (await ses.fetch('app://x/')).text(), 'local', 'a protocol handler is not the network');
  ses.disableNetworkEmulation();
  t.is((await ses.fetch(`${server.url}/offline`)).status, 200);
});

test('latency delays each request by at least the latency', async (t) => {
  const ses = fresh();
  ses.enableNetworkEmulation({ latency: 300 });
  const started = performance.now();
  await (await ses.fetch(`${server.url}/slow`)).text();
  t.true(performance.now() - started >= 295);
});

test('downloadThroughput caps a 10 MiB download; uploadThroughput caps a 10 MiB upload', async (t) => {
  const ses = fresh();
  const cap = 8 * 1024 * 1024;
  ses.enableNetworkEmulation({ downloadThroughput: cap, uploadThroughput: cap });
  let started = performance.now();
  const body = await (await ses.fetch(`${server.url}/big`)).arrayBuffer();
  const downSeconds = (performance.now() - started) / 1000;
  t.is(body.byteLength, TEN_MIB);
  started = performance.now();
  const sent = await (await ses.fetch(`${server.url}/sink`, { method: 'POST', body: Buffer.alloc(TEN_MIB, 'y') })).text();
  const upSeconds = (performance.now() - started) / 1000;
  t.is(sent, String(TEN_MIB));
  const down = TEN_MIB / downSeconds;
  const up = TEN_MIB / upSeconds;
  t.log(`download ${(down / 1048576).toFixed(2)} MiB/s, upload ${(up / 1048576).toFixed(2)} MiB/s, cap ${(cap / 1048576).toFixed(2)} MiB/s`);
  if (!throughputCapsWork()) {
    // libcurl 7 is not given the caps (its rate limit can stall a transfer): both completed.
    t.log(`libcurl ${versions().libcurl}: throughput caps are not applied (docs/api.md)`);
    return;
  }
  // Only the bound the cap promises is asserted (never faster than the cap, with 10% slack).
  t.true(down <= cap * 1.1, `download at ${down} B/s`);
  t.true(up <= cap * 1.1, `upload at ${up} B/s`);
});
