// Flow control: an unread response stalls its transfer instead of buffering it.
import test from 'ava';
import { net } from '../ts/index';
import type { IncomingMessage } from '../ts/index';
import { delay } from './helpers/collect';
import { startServer, TestServer } from './helpers/http-server';

let server: TestServer;
test.before(async () => {
  server = await startServer();
});
test.after.always(() => server?.close());

function unreadResponse(path: string): Promise<{ request: ReturnType<typeof net.request>; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const request = net.request(`${server.url}${path}`);
    request.on('error', reject);
    request.on('response', (response) => resolve({ request, response }));
    request.end();
  });
}

test.serial('server writing 1 MiB chunks (honouring drain) gets at most 25 out in 2 s while nobody reads', async (t) => {
  let written = 0;
  server.rawRoute('/mib-chunks', (_req, res) => {
    const chunk = Buffer.alloc(1024 * 1024, 2);
    const pump = () => {
      while (!res.destroyed) {
        written++;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.writeHead(200);
    pump();
  });
  const { request } = await unreadResponse('/mib-chunks');
  await delay(2000);
  t.true(written <= 25, `server wrote ${written} chunks`);
  request.abort();
});

test.serial('an unread 1 GiB response keeps RSS growth under 64 MiB', async (t) => {
  const total = 1024 * 1024 * 1024;
  let sent = 0;
  server.rawRoute('/gib', (_req, res) => {
    const chunk = Buffer.alloc(256 * 1024, 3);
    res.writeHead(200, { 'Content-Length': total });
    const pump = () => {
      while (!res.destroyed && sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (sent >= total) res.end();
    };
    pump();
  });
  global.gc?.();
  const before = process.memoryUsage().rss;
  const { request, response } = await unreadResponse('/gib');
  await delay(3000);
  const grown = process.memoryUsage().rss - before;
  t.true(grown < 64 * 1024 * 1024, `RSS grew by ${(grown / 1048576).toFixed(1)} MiB`);
  t.true(sent < 128 * 1024 * 1024, `server sent ${(sent / 1048576).toFixed(0)} MiB while nobody read`);
  // Reading it afterwards still works: the transfer resumes.
  let received = 0;
  await new Promise<void>((resolve) => {
    response.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= 64 * 1024 * 1024) resolve();
    });
  });
  t.true(received >= 64 * 1024 * 1024);
  request.abort();
});

test.serial('a slowly read large response arrives complete and in order', async (t) => {
  const size = 48 * 1024 * 1024;
  server.route('/pattern', (_req, res) => {
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) body.writeUInt32LE(i, i);
    res.end(body);
  });
  const { response } = await unreadResponse('/pattern');
  let offset = 0;
  let corrupt = false;
  let leftover: Buffer = Buffer.alloc(0);
  for await (const chunk of response as AsyncIterable<Buffer>) {
    const data: Buffer = leftover.length ? Buffer.concat([leftover, chunk]) : chunk;
    const whole = data.length - (data.length % 4);
    for (let i = 0; i < whole; i += 4) if (data.readUInt32LE(i) !== offset + i) corrupt = true;
    offset += whole;
    leftover = data.subarray(whole);
    if (Math.random() < 0.05) await delay(5);
  }
  t.false(corrupt);
  t.is(offset, size);
});

test.serial('1,000 concurrent requests to one local server all complete', async (t) => {
  server.route('/concurrent', (req, res) => res.end(req.url));
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      new Promise<string>((resolve, reject) => {
        const req = net.request(`${server.url}/concurrent?i=${i}`);
        req.on('error', reject);
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.end();
      }),
    ),
  );
  t.is(results.length, 1000);
  t.true(results.every((body, i) => body === `/concurrent?i=${i}`));
});

test('small chunks that arrive together each keep their own bytes, also after later batches', async (t) => {
  // Chunks below 64 KiB are views into their delivery batch's buffer; bigger ones are separate.
  server.route('/sized', (req, res) => {
    const size = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (size + i) & 0xff;
    res.end(body);
  });
  const sizes = Array.from({ length: 200 }, (_, i) => [1, 12, 999, 4096, 65535, 65536, 70000][i % 7] + (i % 3));
  const kept = await Promise.all(sizes.map((size) => new Promise<Buffer[]>((resolve, reject) => {
    const request = net.request(`${server.url}/sized?n=${size}`);
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(chunks));
    });
    request.end();
  })));
  await delay(50); // later batches arrive meanwhile and must not touch the kept chunks
  for (const [n, chunks] of kept.entries()) {
    const body = Buffer.concat(chunks);
    t.is(body.length, sizes[n]);
    t.true(chunks.every((c) => Buffer.isBuffer(c)));
    t.true(body.every((byte, i) => byte === ((sizes[n] + i) & 0xff)), `body of ${sizes[n]} bytes`);
  }
});
