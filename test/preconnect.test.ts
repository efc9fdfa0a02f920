// ses.preconnect(): connections opened ahead of any request, counted by the server accepting
// them, and used by the requests that follow (no further accepts); a preconnected socket the
// peer closed is never used; Electron's argument errors.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { net, session } from '../ts/index';
import type { Session } from '../ts/index';
import { resetCaBundle } from '../ts/ca-bundle';
import { boundedStep } from './helpers/bounded';
import { makeTestCerts } from './helpers/certs';
import { collect } from './helpers/collect';

let partitions = 0;
const fresh = () => session.fromPartition(`preconnect-${partitions++}`);

interface CountingServer {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  accepts(): number;
  /** Connections the server has seen close (either side). */
  closed(): number;
  /** Requests that reached the server, by socket: which accepted connection carried each. */
  socketsUsed: Set<Socket>;
  onConnection?: (socket: Socket, index: number) => void;
  /** Answers held until this many requests wait at once (0: answer at once). */
  holdUntil: number;
}

async function countingServer(t: { teardown(fn: () => void): void }, host = '127.0.0.1'): Promise<CountingServer> {
  let accepted = 0;
  let closed = 0;
  const held: http.ServerResponse[] = [];
  const state: CountingServer = {
    url: '',
    port: 0,
    accepts: () => accepted,
    closed: () => closed,
    socketsUsed: new Set(),
    holdUntil: 0,
  };
  const server = http.createServer((req, res) => {
    state.socketsUsed.add(req.socket);
    held.push(res);
    if (held.length >= state.holdUntil) for (const r of held.splice(0)) r.end(`ok ${r.req.url}`);
  });
  server.on('connection', (socket: Socket) => {
    accepted += 1;
    socket.on('close', () => (closed += 1));
    state.onConnection?.(socket, accepted);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://${host.includes(':') ? `[${host}]` : host}:${state.port}`;
  return state;
}

/** Polls `condition` until true; fails the test after `ms` (a bound on a hang, not a timing). */
async function until(t: Parameters<typeof boundedStep>[0], what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  await boundedStep(
    t,
    what,
    ms,
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
  );
}

async function get(url: string, ses: Session): Promise<string> {
  const { body } = await collect(net.request({ url, session: ses }).end() as never);
  return body.toString();
}

test('numSockets connections are accepted before any request, and that many concurrent requests open no other', async (t) => {
  const server = await countingServer(t);
  const ses = fresh();
  ses.preconnect({ url: `${server.url}/anything`, numSockets: 3 });
  await until(t, 'three preconnected connections', () => server.accepts() === 3);
  t.is(server.socketsUsed.size, 0, 'no request yet');
  // All three answers wait until the three requests are at the server: three connections at once.
  server.holdUntil = 3;
  const bodies = await Promise.all([1, 2, 3].map((i) => get(`${server.url}/r${i}`, ses)));
  t.deepEqual(bodies, ['ok /r1', 'ok /r2', 'ok /r3']);
  t.is(server.socketsUsed.size, 3);
  t.is(server.accepts(), 3, 'the requests used the preconnected connections');
});

test('numSockets defaults to 1; preconnecting again does not open more than asked for', async (t) => {
  const server = await countingServer(t);
  const ses = fresh();
  ses.preconnect({ url: server.url });
  await until(t, 'one preconnected connection', () => server.accepts() === 1);
  // As Chromium's pools count a preconnect: one is already there, so two means one more.
  ses.preconnect({ url: server.url, numSockets: 2 });
  await until(t, 'a second connection', () => server.accepts() === 2);
  t.is(await get(`${server.url}/one`, ses), 'ok /one');
  t.is(await get(`${server.url}/two`, ses), 'ok /two');
  t.is(server.accepts(), 2);
});

test('a preconnected socket the server closed is not used: the request connects again and succeeds', async (t) => {
  const server = await countingServer(t);
  server.onConnection = (socket, index) => {
    if (index === 1) socket.destroy();
  };
  const ses = fresh();
  ses.preconnect({ url: server.url });
  await until(t, 'the preconnected connection, closed by the server', () => server.accepts() === 1 && server.closed() === 1);
  t.is(await get(`${server.url}/after-close`, ses), 'ok /after-close');
  t.is(server.accepts(), 2, 'a fresh connection');
});

test('a preconnected socket the server wrote to first is not used', async (t) => {
  const server = await countingServer(t);
  server.onConnection = (socket, index) => {
    // Bytes before any request (a server that speaks first is closing: a 408 or an alert).
    if (index === 1) socket.write('HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n');
  };
  const ses = fresh();
  ses.preconnect({ url: server.url });
  await until(t, 'the preconnected connection', () => server.accepts() === 1);
  // Whether the pool saw the bytes already or sees them when the request asks, it drops them.
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(await get(`${server.url}/after-write`, ses), 'ok /after-write');
  t.is(server.accepts(), 2);
});

test('an IPv6 origin', async (t) => {
  const server = await countingServer(t, '::1');
  const ses = fresh();
  ses.preconnect({ url: `${server.url}/`, numSockets: 2 });
  await until(t, 'two preconnected connections', () => server.accepts() === 2);
  t.is(await get(`${server.url}/v6`, ses), 'ok /v6');
  t.is(server.accepts(), 2);
});

test('through a proxy: the connections go to the proxy, and the request through it uses one', async (t) => {
  const proxy = await countingServer(t, '127.0.0.2');
  const ses = fresh();
  await ses.setProxy({ proxyRules: `http=127.0.0.2:${proxy.port}` });
  ses.preconnect({ url: 'http://origin.curlnet.test/', numSockets: 1 });
  await until(t, 'the connection to the proxy', () => proxy.accepts() === 1);
  t.is(await get('http://origin.curlnet.test/page', ses), 'ok http://origin.curlnet.test/page');
  t.is(proxy.accepts(), 1);
});

test('closeAllConnections closes unused preconnected connections', async (t) => {
  const server = await countingServer(t);
  const ses = fresh();
  ses.preconnect({ url: server.url, numSockets: 2 });
  await until(t, 'two preconnected connections', () => server.accepts() === 2);
  await ses.closeAllConnections();
  await until(t, 'the server seeing both close', () => server.closed() === 2);
  t.is(await get(`${server.url}/later`, ses), 'ok /later');
  t.is(server.accepts(), 3);
});

test('an unused preconnected connection is closed after Chromium\'s 10 s unused-idle timeout', async (t) => {
  const server = await countingServer(t);
  const ses = fresh();
  ses.preconnect({ url: server.url });
  await until(t, 'the preconnected connection', () => server.accepts() === 1);
  await until(t, 'the idle connection closing', () => server.closed() === 1, 30_000);
  t.pass();
});

test('nothing is opened for a restricted port, a non-http URL, or an offline session', async (t) => {
  const server = await countingServer(t);
  const ses = fresh();
  ses.preconnect({ url: 'http://127.0.0.1:6667/' });
  ses.preconnect({ url: `ftp://127.0.0.1:${server.port}/` });
  ses.enableNetworkEmulation({ offline: true });
  ses.preconnect({ url: server.url });
  ses.disableNetworkEmulation();
  // Then one that does connect: everything before it was decided already.
  ses.preconnect({ url: server.url });
  await until(t, 'the last preconnect', () => server.accepts() === 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(server.accepts(), 1);
});

test('bad input throws Electron\'s messages', (t) => {
  const ses = fresh();
  const call = (options: unknown) => () => ses.preconnect(options as never);
  t.throws(call(undefined), { instanceOf: TypeError, message: 'Error processing argument at index 0, conversion failure from undefined' });
  t.throws(call(null), { instanceOf: TypeError, message: 'Error processing argument at index 0, conversion failure from null' });
  for (const url of [undefined, '', 'not a url', 42, {}]) {
    t.throws(call({ url }), { instanceOf: TypeError, message: 'Must pass non-empty valid url to session.preconnect.' });
  }
  for (const numSockets of [0, 7, -1, 100]) {
    t.throws(call({ url: 'http://127.0.0.1:9/', numSockets }), { instanceOf: TypeError, message: 'numSocketsToPreconnect is outside range [1,6]' });
  }
  // What gin cannot read as an int32 is not there: the default, 1.
  for (const numSockets of ['3', 2.5, null, 2 ** 40]) t.notThrows(call({ url: 'http://127.0.0.1:9/', numSockets }));
});

function runChild(mode: string, url: string): Promise<{ code: number | null; signal: string | null; lines: string[]; stderr: string }> {
  const script = path.join(__dirname, 'fixtures', 'preconnect-child.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, mode, url], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A bound on a hang (a preconnected socket keeping the process alive), not a timing.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: stdout.trim().split('\n').filter(Boolean), stderr });
    });
  });
}

test('a process with preconnected sockets exits by itself, and its exit closes them', async (t) => {
  const server = await countingServer(t);
  const result = await runChild('exit', server.url);
  t.deepEqual(result.lines, ['preconnected'], result.stderr);
  t.is(result.code, 0, result.stderr);
  t.is(server.accepts(), 3);
  await until(t, 'the server seeing them close', () => server.closed() === 3);
});

test('a worker terminated with preconnected sockets: they close, the main thread keeps working', async (t) => {
  const server = await countingServer(t);
  const result = await runChild('worker', server.url);
  t.deepEqual(result.lines, ['worker terminated 1', 'status after 200'], result.stderr);
  t.is(result.code, 0, result.stderr);
  await until(t, 'the worker\'s two connections closing', () => server.closed() >= 2);
});

test('https: the connections are TCP only, the TLS handshake comes with the first request on each', async (t) => {
  const certs = makeTestCerts();
  t.teardown(() => certs.cleanup());
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  resetCaBundle();
  let accepts = 0;
  let handshakes = 0;
  const server = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, (req, res) => res.end(`tls ${req.url}`));
  server.on('connection', () => (accepts += 1));
  server.on('secureConnection', () => (handshakes += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ses = fresh();
  ses.preconnect({ url, numSockets: 2 });
  await until(t, 'two preconnected connections', () => accepts === 2);
  t.is(handshakes, 0, 'no TLS yet (Chromium would have done the handshakes)');
  t.is(await get(`${url}/secure`, ses), 'tls /secure');
  t.is(handshakes, 1);
  t.is(accepts, 2, 'the request used a preconnected connection');
});
