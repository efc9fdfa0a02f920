// Long URLs and big request heads: Chromium's URL limit (2 MiB → net::ERR_INVALID_URL), and
// libcurl's 1 MiB request-head buffer, which curl-net measures before the hop so a head that
// cannot be sent is refused without a connection, and one just below the limit goes out whole.
import test, { ExecutionContext } from 'ava';
import { net, session } from '../ts/index';
import type { ClientRequest } from '../ts/index';
import { MAX_HEADER_VALUE_BYTES, MAX_REQUEST_HEAD_BYTES, MAX_URL_CHARS } from '../ts/request-limits';
import { okResponse, startWireRecorder, WireRecorder } from './helpers/wire-recorder';

let sessionCounter = 0;
const freshSession = () => {
  const ses = session.fromPartition(`request-limits-${sessionCounter++}`);
  ses.setUserAgent('limits/1.0');
  return ses;
};

async function recorder(t: ExecutionContext): Promise<WireRecorder> {
  const server = await startWireRecorder(() => okResponse('whole'));
  t.teardown(() => server.close());
  return server;
}

function settle(req: ClientRequest): Promise<{ error?: Error; body?: string }> {
  return new Promise((resolve) => {
    req.on('error', (error) => resolve({ error }));
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ body: Buffer.concat(chunks).toString() }));
    });
    req.end();
  });
}

/** The measured size of a refused head, from the error's cause. */
function measured(error: Error | undefined): number {
  const match = /would be (\d+) bytes/.exec(String((error?.cause as Error)?.message));
  if (!match) throw new Error(`not refused for its size: ${error?.message}`);
  return Number(match[1]);
}

/** Header values (X-Big-0 … X-Big-7, each below libcurl's per-value limit) that make this
 * request's head exactly `bytes` long as curl-net measures it (the head includes lines the
 * request adds itself, such as Sec-Fetch-*): asks once with values that are surely too big and
 * takes the difference off the last ones. */
async function headersFor(bytes: number, url: string): Promise<Record<string, string>> {
  const lengths = Array.from({ length: 8 }, () => 290_000);
  const probe = Object.fromEntries(lengths.map((n, i) => [`X-Big-${i}`, 'v'.repeat(n)]));
  const { error } = await settle(net.request({ url, session: freshSession(), headers: probe }));
  let excess = measured(error) - bytes;
  for (let i = lengths.length - 1; i >= 0 && excess > 0; i--) {
    const cut = Math.min(excess, lengths[i] - 1);
    lengths[i] -= cut;
    excess -= cut;
  }
  return Object.fromEntries(lengths.map((n, i) => [`X-Big-${i}`, 'v'.repeat(n)]));
}

test('a head exactly at the limit is sent whole, end to end', async (t) => {
  const server = await recorder(t);
  const url = `${server.httpUrl}/at-limit`;
  const headers = await headersFor(MAX_REQUEST_HEAD_BYTES, url);
  const result = await settle(net.request({ url, session: freshSession(), headers }));
  t.is(result.body, 'whole', result.error?.message);
  for (const [name, value] of Object.entries(headers)) t.true(server.requests[0].headerLines.includes(`${name}: ${value}`), name);
});

for (const [label, size] of [
  ['one byte over the limit', MAX_REQUEST_HEAD_BYTES + 1],
  ['1 MiB', 1024 * 1024],
  ['2 MiB', 2 * 1024 * 1024],
] as const) {
  test(`a head of ${label} is refused with net::ERR_INVALID_ARGUMENT before any connection`, async (t) => {
    const server = await recorder(t);
    const url = `${server.httpUrl}/big`;
    const result = await settle(net.request({ url, session: freshSession(), headers: await headersFor(size, url) }));
    t.is(measured(result.error), size);
    t.is(result.error?.message, 'net::ERR_INVALID_ARGUMENT');
    t.regex(String((result.error?.cause as Error)?.message), /request head would be \d+ bytes; at most \d+ can be sent/);
    t.is(server.connections, 0);
  });
}

test('one header value of 300 KiB or more is refused before any connection (libcurl 8 would drop it silently)', async (t) => {
  const server = await recorder(t);
  const url = `${server.httpUrl}/one-big`;
  const atLimit = await settle(net.request({ url, session: freshSession(), headers: { 'X-Big': 'v'.repeat(MAX_HEADER_VALUE_BYTES) } }));
  t.is(atLimit.body, 'whole', atLimit.error?.message);
  t.true(server.requests[0].headerLines.includes(`X-Big: ${'v'.repeat(MAX_HEADER_VALUE_BYTES)}`));
  const over = await settle(net.request({ url, session: freshSession(), headers: { 'X-Big': 'v'.repeat(MAX_HEADER_VALUE_BYTES + 1) } }));
  t.is(over.error?.message, 'net::ERR_INVALID_ARGUMENT');
  t.regex(String((over.error?.cause as Error)?.message), /the value of header X-Big is 307200 bytes; at most 307199 can be sent/);
  t.is(server.connections, 1, 'only the first request connected');
});

test('many header lines add up the same way as one big one', async (t) => {
  const server = await recorder(t);
  const headers: Record<string, string> = {};
  for (let i = 0; i < 1100; i++) headers[`X-Filler-${i}`] = 'f'.repeat(1000);
  const result = await settle(net.request({ url: `${server.httpUrl}/many`, session: freshSession(), headers }));
  t.is(result.error?.message, 'net::ERR_INVALID_ARGUMENT');
  t.is(server.connections, 0);
});

test('a URL just below the head limit works end to end', async (t) => {
  const server = await recorder(t);
  const base = `${server.httpUrl}/`;
  const probe = 'p'.repeat(MAX_REQUEST_HEAD_BYTES);
  const refused = await settle(net.request({ url: base + probe, session: freshSession() }));
  const path = 'p'.repeat(probe.length - (measured(refused.error) - MAX_REQUEST_HEAD_BYTES));
  const result = await settle(net.request({ url: base + path, session: freshSession() }));
  t.is(result.body, 'whole', result.error?.message);
  t.is(server.requests[0].requestLine, `GET /${path} HTTP/1.1`);
});

test('a URL longer than 2 MiB fails with net::ERR_INVALID_URL (Chromium’s kMaxURLChars) without a connection', async (t) => {
  const server = await recorder(t);
  const base = `${server.httpUrl}/`;
  const url = base + 'u'.repeat(MAX_URL_CHARS - base.length + 1);
  t.is(url.length, MAX_URL_CHARS + 1);
  const result = await settle(net.request({ url, session: freshSession() }));
  t.is(result.error?.message, 'net::ERR_INVALID_URL');
  t.is(server.connections, 0);
});

test('a URL between the head limit and 2 MiB is refused with net::ERR_INVALID_ARGUMENT (libcurl cannot send it)', async (t) => {
  const server = await recorder(t);
  const url = `${server.httpUrl}/${'m'.repeat(1536 * 1024)}`;
  const result = await settle(net.request({ url, session: freshSession() }));
  t.is(result.error?.message, 'net::ERR_INVALID_ARGUMENT');
  t.is(server.connections, 0);
});
