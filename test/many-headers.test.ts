// A request with a huge number of header lines must not hold up the curl thread, which every
// other transfer shares. Building libcurl's header list was quadratic (curl_slist_append
// walks the list): 100,000 headers kept an unrelated request waiting for over ten seconds.
// The bound below is a hang bound, not a speed check.
import test from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { collect, delay } from './helpers/collect';
import { okResponse, startWireRecorder } from './helpers/wire-recorder';

const COUNT = 100_000;
/** Unique short names ('x0', 'x1', …; no restricted name starts with x) so the head stays under the size limit. */
function manyHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < COUNT; i++) headers[`x${i.toString(36)}`] = 'v';
  return headers;
}

const HANG_BOUND_MS = 8000;

test('with 100,000 request headers in flight, an unrelated request on another session still completes', async (t) => {
  const silent = await startWireRecorder(() => null);
  const answering = await startWireRecorder(() => okResponse('unrelated'));
  t.teardown(() => Promise.all([silent.close(), answering.close()]));
  const big = net.request({ url: `${silent.httpUrl}/big`, headers: manyHeaders(), session: session.fromPartition('many-headers-big') });
  let bigSettled = false;
  big.on('error', () => (bigSettled = true));
  big.on('response', () => (bigSettled = true));
  big.end();
  const small: ClientRequest = net.request({ url: `${answering.httpUrl}/small`, session: session.fromPartition('many-headers-small') });
  small.end();
  const outcome = await Promise.race([collect(small).then(({ body }) => body.toString()), delay(HANG_BOUND_MS).then(() => 'stalled')]);
  t.is(outcome, 'unrelated', `the unrelated request did not complete within ${HANG_BOUND_MS} ms`);
  t.false(bigSettled, 'the big request is still in flight');
  big.abort();
});

test('all 100,000 header lines arrive, in order', async (t) => {
  const server = await startWireRecorder(() => okResponse('all'));
  t.teardown(() => server.close());
  const headers = manyHeaders();
  const req = net.request({ url: `${server.httpUrl}/all`, headers, session: session.fromPartition('many-headers-all') });
  req.end();
  const { body } = await collect(req);
  t.is(body.toString(), 'all');
  const sent = server.requests[0].headerLines.filter((l) => /^x[0-9a-z]+: v$/.test(l));
  t.is(sent.length, COUNT);
  t.deepEqual(sent.slice(0, 3), ['x0: v', 'x1: v', 'x2: v']);
  t.is(sent[COUNT - 1], `x${(COUNT - 1).toString(36)}: v`);
});
