// Connection pool and socket bookkeeping on the curl thread: keep-alive reuse, idle connections
// the server closes, and fd numbers that come back for new sockets after libcurl closed a socket
// without telling us (its threaded resolver's wake-up pair).
import test from 'ava';
import * as dns from 'node:dns/promises';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo, Socket } from 'node:net';
import { net, session } from '../ts/index';
import { collect } from './helpers/collect';

interface PortServer {
  server: http.Server;
  url: string;
  /** The client port of every request, in order. */
  clientPorts: number[];
  close(): Promise<void>;
}

/** `idleCloseMs`: the server closes each connection that long after answering on it. */
async function startPortServer(host: string, urlHost = host, idleCloseMs = 0): Promise<PortServer> {
  const clientPorts: number[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    clientPorts.push(req.socket.remotePort ?? 0);
    if (idleCloseMs) res.on('finish', () => setTimeout(() => req.socket.destroy(), idleCloseMs));
    res.end('ok');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}/`,
    clientPorts,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

let partitions = 0;
const freshSession = () => session.fromPartition(`connections-${process.pid}-${++partitions}`);

/** One GET, failing the test instead of hanging it when the request never completes. */
async function get(url: string, options: { session?: ReturnType<typeof freshSession>; close?: boolean } = {}) {
  const request = net.request({ url, session: options.session });
  if (options.close) request.setHeader('Connection', 'close');
  const done = collect(request);
  request.end();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      request.abort();
      reject(new Error(`no answer from ${url} within 5 s`));
    }, 5_000);
  });
  try {
    const { response, body } = await Promise.race([done, timeout]);
    return { status: response.statusCode, body: body.toString() };
  } finally {
    clearTimeout(timer);
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('sequential keep-alive requests share one connection', async (t) => {
  const server = await startPortServer('127.0.0.1');
  t.teardown(() => server.close());
  const ses = freshSession();
  for (let i = 0; i < 20; i++) t.deepEqual(await get(server.url, { session: ses }), { status: 200, body: 'ok' });
  t.is(new Set(server.clientPorts).size, 1);
});

test('a pooled connection the server closed while idle is replaced, not reused', async (t) => {
  const server = await startPortServer('127.0.0.1', '127.0.0.1', 30);
  t.teardown(() => server.close());
  const ses = freshSession();
  for (let i = 0; i < 5; i++) {
    t.deepEqual(await get(server.url, { session: ses }), { status: 200, body: 'ok' });
    await delay(150); // the server closes the idle connection meanwhile
  }
  t.is(new Set(server.clientPorts).size, 5);
});

test('a pooled connection closed while idle does not disturb the connections still in use', async (t) => {
  const idle = await startPortServer('127.0.0.1', '127.0.0.1', 30);
  const busy = await startPortServer('127.0.0.1');
  t.teardown(() => Promise.all([idle.close(), busy.close()]));
  const ses = freshSession();
  await get(idle.url, { session: ses });
  const results = [];
  for (let i = 0; i < 30; i++) {
    results.push(await get(busy.url, { session: ses }));
    await delay(5);
  }
  t.true(results.every((r) => r.status === 200));
  t.is(new Set(busy.clientPorts).size, 1);
});

// A name other than "localhost" (which libcurl answers itself) that /etc/hosts maps to loopback,
// so libcurl resolves it on its resolver thread.
async function resolvedLoopbackName(): Promise<{ name: string; address: string } | null> {
  for (const name of ['ip6-localhost', 'ip6-loopback', os.hostname()]) {
    try {
      const { address } = await dns.lookup(name);
      if (address === '::1' || address.startsWith('127.')) return { name, address };
    } catch {}
  }
  return null;
}

test('fd numbers of sockets libcurl closed on its own are safe to come back as new connections', async (t) => {
  const loopback = await resolvedLoopbackName();
  if (!loopback) {
    t.fail('needs a host name other than localhost that /etc/hosts maps to a loopback address (Debian has ip6-localhost)');
    return;
  }
  const named = await startPortServer(loopback.address, loopback.name);
  const plain = await startPortServer('127.0.0.1');
  t.teardown(() => Promise.all([named.close(), plain.close()]));
  for (let i = 0; i < 25; i++) {
    // A new session has an empty DNS cache: the name goes through the resolver thread, whose
    // socket pair libcurl closes itself. The next new socket gets one of those fd numbers.
    const ses = freshSession();
    t.is((await get(named.url, { session: ses })).status, 200);
    t.is((await get(plain.url, { session: ses, close: true })).status, 200);
    t.is((await get(plain.url, { session: ses, close: true })).status, 200);
  }
  t.is(named.clientPorts.length, 25);
  t.is(plain.clientPorts.length, 50);
});
