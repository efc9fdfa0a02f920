// --ignore-connections-limit against a real server that holds every response until the test lets
// it go and counts the connections it accepted: requests for a listed host (or a subdomain of
// one) hold as many connections at once as they need under a per-host limit of 1 (and under a
// total limit of 1), past both the connection queue and libcurl's own limits; requests for
// other hosts still get one connection at a time. Switches are process-wide: serial tests.
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { commandLine, net, session, type ClientRequest } from '../ts/index';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { domainIs, ignoresConnectionsLimit } from '../ts/switches/ignore-connections-limit';
import { boundedStep } from './helpers/bounded';
import { collect } from './helpers/collect';

const N = 4;

interface HoldingServer {
  port: number;
  /** Connections open right now, and the most ever open at once. */
  open: number;
  maxOpen: number;
  accepted: number;
  held: http.ServerResponse[];
  /** Resolves when `count` requests are held. */
  heldAtLeast(count: number): Promise<void>;
  close(): Promise<void>;
}

async function holdingServer(): Promise<HoldingServer> {
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  const state: HoldingServer = {
    port: 0,
    open: 0,
    maxOpen: 0,
    accepted: 0,
    held: [],
    heldAtLeast: (count) =>
      state.held.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const redirect = /^\/redirect-to\/(.+)$/.exec(req.url!);
    if (redirect) {
      res.writeHead(302, { location: decodeURIComponent(redirect[1]!) });
      return res.end();
    }
    state.held.push(res);
    for (const waiter of waiters.filter((w) => state.held.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    state.accepted += 1;
    state.open += 1;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    socket.on('close', () => {
      sockets.delete(socket);
      state.open -= 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

function start(url: string, ses: ReturnType<typeof session.fromPartition>): ClientRequest {
  const request = net.request({ url, session: ses });
  request.end();
  return request;
}

let partitions = 0;
function limitedSession(limits: { maxConnectionsPerHost?: number; maxConnections?: number }) {
  const ses = session.fromPartition(`ignore-connections-limit-${process.pid}-${++partitions}`);
  ses.setConnectionLimits(limits);
  return ses;
}

test.afterEach.always(() => resetSwitchesForTesting());

test('the host match is Chromium\'s url::DomainIs', (t) => {
  t.true(domainIs('listed.test', 'listed.test'));
  t.true(domainIs('api.listed.test', 'listed.test'), 'a subdomain');
  t.true(domainIs('listed.test.', 'listed.test'), 'a trailing dot on the host is ignored');
  t.false(domainIs('notlisted.test', 'listed.test'), 'only at a label boundary');
  t.false(domainIs('listed.test', 'api.listed.test'));
  t.true(domainIs('x.listed.test', '.listed.test'), 'a leading dot on the domain');
  t.false(domainIs('', 'listed.test'));
  t.false(domainIs('listed.test', ''));
  t.true(domainIs('127.0.0.1', '127.0.0.1'));
  t.true(domainIs('[::1]', '[::1]'), 'IPv6 hosts are compared with their brackets, as GURL keeps them');
});

test.serial('a listed host ignores a per-host limit of 1: N requests hold N connections at once; another host gets one', async (t) => {
  commandLine.appendSwitch('ignore-connections-limit', 'elsewhere.test, listed.test');
  commandLine.appendSwitch('host-rules', 'MAP *.test 127.0.0.1');
  t.true(ignoresConnectionsLimit(new URL('http://API.Listed.test/')));

  const server = await holdingServer();
  t.teardown(() => server.close());
  const ses = limitedSession({ maxConnectionsPerHost: 1 });

  const listed = Array.from({ length: N }, (_, i) => start(`http://api.listed.test:${server.port}/listed-${i}`, ses));
  const listedDone = Promise.all(listed.map(collect));
  await boundedStep(t, `${N} requests for the listed host held at once`, 20_000, server.heldAtLeast(N));
  t.is(server.open, N, 'one connection each, all open together');
  for (const res of server.held.splice(0)) res.end('listed');
  for (const outcome of await listedDone) t.is(outcome.body.toString(), 'listed');

  // The same session, a host not on the list: the limit of 1 holds.
  const acceptedBefore = server.accepted;
  server.maxOpen = server.open;
  const others = Array.from({ length: N }, (_, i) => start(`http://other.test:${server.port}/other-${i}`, ses));
  const othersDone = Promise.all(others.map(collect));
  for (let released = 0; released < N; released++) {
    await boundedStep(t, `request ${released + 1} for the other host`, 20_000, server.heldAtLeast(1));
    // Give the others every chance to overtake the limit before looking.
    await new Promise((resolve) => setTimeout(resolve, 150));
    t.is(server.held.length, 1, 'one request at a time');
    server.held.shift()!.end('other');
  }
  for (const outcome of await othersDone) t.is(outcome.body.toString(), 'other');
  t.is(server.accepted - acceptedBefore, 1, 'the other host shared one keep-alive connection');
});

test.serial('a listed host ignores the total limit too (LOAD_IGNORE_LIMITS); without the switch it waits', async (t) => {
  const server = await holdingServer();
  t.teardown(() => server.close());
  commandLine.appendSwitch('host-rules', 'MAP *.test 127.0.0.1');

  // Without the switch, a total limit of 1 lets one request through at a time.
  const ses = limitedSession({ maxConnections: 1 });
  const plain = Array.from({ length: 2 }, (_, i) => start(`http://listed.test:${server.port}/plain-${i}`, ses));
  const plainDone = Promise.all(plain.map(collect));
  await boundedStep(t, 'the first request', 20_000, server.heldAtLeast(1));
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.is(server.held.length, 1, 'the second request waits for the only connection');
  server.held.shift()!.end('plain');
  await boundedStep(t, 'the second request', 20_000, server.heldAtLeast(1));
  server.held.shift()!.end('plain');
  await plainDone;

  commandLine.appendSwitch('ignore-connections-limit', 'listed.test');
  const listed = Array.from({ length: N }, (_, i) => start(`http://listed.test:${server.port}/listed-${i}`, ses));
  const listedDone = Promise.all(listed.map(collect));
  await boundedStep(t, `${N} requests held at once`, 20_000, server.heldAtLeast(N));
  for (const res of server.held.splice(0)) res.end('listed');
  t.is((await listedDone).length, N);
});

test.serial('the exemption is decided on the URL the request was made with and holds for its redirects', async (t) => {
  commandLine.appendSwitch('ignore-connections-limit', 'listed.test');
  commandLine.appendSwitch('host-rules', 'MAP *.test 127.0.0.1');
  const server = await holdingServer();
  t.teardown(() => server.close());
  const ses = limitedSession({ maxConnectionsPerHost: 1 });
  // Made for the listed host, redirected to one off the list: still exempt (Electron sets
  // LOAD_IGNORE_LIMITS on the request, and a redirect keeps its load flags).
  const requests = Array.from({ length: N }, (_, i) =>
    start(`http://listed.test:${server.port}/redirect-to/${encodeURIComponent(`http://other.test:${server.port}/moved-${i}`)}`, ses),
  );
  const done = Promise.all(requests.map(collect));
  await boundedStep(t, `${N} redirected requests held at once`, 20_000, server.heldAtLeast(N));
  for (const res of server.held.splice(0)) res.end('moved');
  for (const outcome of await done) t.is(outcome.body.toString(), 'moved');
});
