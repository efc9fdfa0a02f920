// Under a per-host connection limit, requests waiting for a connection start highest priority
// first (FIFO within a priority), as Chromium's socket pool starts them; an aborted waiter
// does not hold the queue.
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { net, session, type ClientRequest } from '../ts/index';
import { HostQueue } from '../ts/host-queue';
import { collect } from './helpers/collect';

let server: http.Server;
let base: string;
const arrivals: string[] = [];
let releaseHold: (() => void) | null = null;
let holding!: Promise<void>;
let held!: () => void;

test.before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/hold') {
      held();
      releaseHold = () => res.end('held');
      return;
    }
    arrivals.push(req.url!.slice(1));
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

function start(path: string, ses: ReturnType<typeof session.fromPartition>, priority?: string): ClientRequest {
  const request = net.request({ url: `${base}/${path}`, session: ses, ...(priority ? { priority: priority as never } : {}) });
  request.end();
  return request;
}

test.serial('with one connection per host, queued requests start in priority order (throttled last)', async (t) => {
  const ses = session.fromPartition('connection-queue-order');
  ses.setConnectionLimits({ maxConnectionsPerHost: 1 });
  arrivals.length = 0;
  holding = new Promise((resolve) => (held = resolve));
  const first = start('hold', ses);
  await holding; // the only connection is busy
  const order = ['throttled', 'low', 'highest', 'idle', 'medium', 'lowest', 'highest', 'throttled'];
  const queued = order.map((priority, i) => start(`${priority}-${i}`, ses, priority));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(arrivals, [], 'nothing overtook the busy connection');
  releaseHold!();
  await Promise.all([collect(first), ...queued.map(collect)]);
  t.deepEqual(arrivals, ['highest-2', 'highest-6', 'medium-4', 'low-1', 'lowest-5', 'idle-3', 'throttled-0', 'throttled-7']);
});

test.serial('an aborted waiter does not hold the queue; without a limit nothing waits', async (t) => {
  const ses = session.fromPartition('connection-queue-abort');
  ses.setConnectionLimits({ maxConnectionsPerHost: 1 });
  arrivals.length = 0;
  holding = new Promise((resolve) => (held = resolve));
  const first = start('hold', ses);
  await holding;
  const aborted = start('aborted', ses, 'highest');
  aborted.on('error', () => {});
  const next = start('next', ses, 'low');
  aborted.abort();
  releaseHold!();
  await Promise.all([collect(first), collect(next)]);
  t.deepEqual(arrivals, ['next']);

  const unlimited = session.fromPartition('connection-queue-unlimited');
  arrivals.length = 0;
  holding = new Promise((resolve) => (held = resolve));
  const blocker = start('hold', unlimited);
  await holding;
  await collect(start('alongside', unlimited, 'throttled'));
  t.deepEqual(arrivals, ['alongside']);
  releaseHold!();
  await collect(blocker);
});

test('the queue by itself: priority first, then arrival; a refused grant passes the slot on', (t) => {
  const queue = new HostQueue();
  const granted: string[] = [];
  t.true(queue.tryTake('h:1', 2));
  t.true(queue.tryTake('h:1', 2));
  t.false(queue.tryTake('h:1', 2));
  queue.wait('h:1', 'idle', () => (granted.push('idle'), true));
  queue.wait('h:1', 'highest', () => false); // aborted meanwhile
  queue.wait('h:1', 'medium', () => (granted.push('medium'), true));
  queue.release('h:1', 2);
  t.deepEqual(granted, ['medium']);
  t.false(queue.tryTake('h:1', 2), 'a waiter is still queued');
  queue.release('h:1', 2);
  t.deepEqual(granted, ['medium', 'idle']);
  t.true(queue.tryTake('other:1', 1), 'hosts are counted apart');
});
