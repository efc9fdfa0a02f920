// net.fetch's Response reads its body lazily (ts/fetch-response.ts): straight from the
// IncomingMessage for arrayBuffer()/text()/json()/bytes(), through a stream otherwise. Whatever
// the order of calls, it must answer exactly as undici's own Response over the same bytes and
// headers does; that Response is the oracle here.
import test from 'ava';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { net } from '../ts/index';
import { startServer, TestServer } from './helpers/http-server';

interface Body {
  contentType: string;
  bytes: Buffer;
}

const BODIES: Record<string, Body> = {
  ascii: { contentType: 'text/plain', bytes: Buffer.from('hello world\n') },
  bom: { contentType: 'text/plain; charset=UTF-8', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo ✓')]) },
  invalidUtf8: { contentType: 'application/octet-stream', bytes: Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x62]) },
  json: { contentType: 'application/json', bytes: Buffer.from('{"a":[1,2,{"b":"ü"}]}') },
  badJson: { contentType: 'application/json', bytes: Buffer.from('{"a":') },
  empty: { contentType: 'text/plain', bytes: Buffer.alloc(0) },
  form: { contentType: 'application/x-www-form-urlencoded', bytes: Buffer.from('a=1&b=two+words&c=%E2%9C%93') },
  // Larger than the IncomingMessage's and the body stream's queues: arrives in many chunks.
  large: { contentType: 'application/octet-stream', bytes: Buffer.from(Array.from({ length: 300 * 1024 }, (_, i) => (i * 7) % 251)) },
};

let server: TestServer;
test.before(async () => {
  server = await startServer();
  for (const [name, body] of Object.entries(BODIES)) {
    server.route(`/body/${name}`, (_req, res) => {
      res.setHeader('Content-Type', body.contentType);
      res.setHeader('X-Multi', ['one', 'two']);
      res.setHeader('Date', 'Sun, 06 Dec 2026 08:00:00 GMT'); // the same for every fetch
      res.end(body.bytes);
    });
  }
  server.rawRoute('/held', (_req, res) => {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('first part');
  });
  // Far more than the curl thread buffers for a reader that does not read.
  server.rawRoute('/huge', (_req, res) => {
    const total = 256 * 1024 * 1024;
    res.writeHead(200, { 'Content-Length': String(total) });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    const pump = () => {
      while (written < total) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  server.rawRoute('/truncated', (_req, res) => {
    res.writeHead(200, { 'Content-Length': '100' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
});
test.after.always(() => server?.close());

type Operation = (response: Response) => unknown;

/** What an operation did, comparable across the two Responses: its value, or its error. */
async function outcome(operation: Operation, response: Response): Promise<unknown> {
  try {
    return { value: await operation(response) };
  } catch (error) {
    return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
  }
}

/** Bytes as something cheap to compare: length and digest. */
function digest(bytes: Uint8Array): string {
  return `${bytes.byteLength}:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  reader.releaseLock();
  return digest(Buffer.concat(chunks));
}

const OPERATIONS: Record<string, Operation> = {
  arrayBuffer: async (r) => {
    const buffer = await r.arrayBuffer();
    return [buffer instanceof ArrayBuffer, digest(new Uint8Array(buffer))];
  },
  bytes: async (r) => {
    const bytes = await (r as Response & { bytes(): Promise<Uint8Array> }).bytes();
    return [bytes.constructor.name, bytes.byteOffset, bytes.buffer.byteLength, digest(bytes)];
  },
  text: async (r) => digest(Buffer.from(await r.text())),
  json: (r) => r.json(),
  blob: async (r) => {
    const blob = await r.blob();
    return [blob.type, blob.size, digest(new Uint8Array(await blob.arrayBuffer()))];
  },
  formData: async (r) => [...(await r.formData()).entries()].map(([k, v]) => [k, String(v)]),
  bodyUsed: (r) => r.bodyUsed,
  bodyState: (r) => [r.body === null, r.body?.locked],
  readBody: (r) => readAll(r.body!),
  readOneChunk: async (r) => {
    const reader = r.body!.getReader();
    const first = await reader.read();
    reader.releaseLock();
    return first.done;
  },
  cancelBody: (r) => r.body!.cancel(),
  clone: async (r) => {
    const copy = r.clone();
    return [copy.status, [...copy.headers], digest(Buffer.from(await copy.text()))];
  },
  headers: (r) => [r.headers === r.headers, [...r.headers], r.headers.get('content-type'), r.status, r.statusText, r.ok],
};

test('any sequence of body and header calls answers as undici’s Response over the same bytes', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...Object.keys(BODIES)),
      fc.array(fc.constantFrom(...Object.keys(OPERATIONS)), { minLength: 1, maxLength: 4 }),
      async (bodyName, script) => {
        const body = BODIES[bodyName];
        // The oracle's headers come from an earlier fetch: the one under test must not have
        // been touched before its script runs.
        const earlier = await net.fetch(`${server.url}/body/${bodyName}`);
        const headers = new Headers(earlier.headers);
        await earlier.arrayBuffer();
        const fetched = await net.fetch(`${server.url}/body/${bodyName}`);
        const oracle = new Response(body.bytes, { status: earlier.status, statusText: earlier.statusText, headers });
        for (const name of script) {
          const ours = await outcome(OPERATIONS[name], fetched);
          const theirs = await outcome(OPERATIONS[name], oracle);
          t.deepEqual(ours, theirs, `${bodyName}: ${script.join(', ')}; at ${name}`);
        }
        await fetched.body?.cancel().catch(() => {});
      },
    ),
    { numRuns: 150 },
  );
});

test('headers are read once as received: the same Headers object, repeated names joined', async (t) => {
  const response = await net.fetch(`${server.url}/body/ascii`);
  t.is(response.headers, response.headers);
  t.is(response.headers.get('x-multi'), 'one, two');
  response.headers.set('x-added', '1');
  t.is(response.headers.get('x-added'), '1', 'mutable, as a constructed Response’s are');
  t.is(await response.text(), 'hello world\n');
});

test('an abort keeps a body that has all arrived, unread (as Electron’s stream would), and fails one still arriving', async (t) => {
  const controller = new AbortController();
  const huge = await net.fetch(`${server.url}/huge`, { signal: controller.signal });
  const small = await net.fetch(`${server.url}/body/ascii`, { signal: controller.signal });
  await settle(100);
  controller.abort(new Error('late'));
  t.is(await small.text(), 'hello world\n');
  await t.throwsAsync(huge.arrayBuffer(), { message: 'late' });
});

test('an abort before an incomplete body is read fails every later read with the reason', async (t) => {
  const controller = new AbortController();
  const response = await net.fetch(`${server.url}/held`, { signal: controller.signal });
  controller.abort(new Error('stop'));
  await t.throwsAsync(response.text(), { message: 'stop' });
  await t.throwsAsync(response.text(), { message: 'Body is unusable: Body has already been read' });
  const streamed = await net.fetch(`${server.url}/held`, { signal: AbortSignal.abort(new Error('never')) }).catch((e: Error) => e);
  t.is((streamed as Error).message, 'never');
});

test('a body that failed before anybody read it fails the read with the net:: error, as a stream too', async (t) => {
  const collected = await net.fetch(`${server.url}/truncated`);
  const streamed = await net.fetch(`${server.url}/truncated`);
  await settle(150); // the failure lands while nobody reads
  await t.throwsAsync(collected.arrayBuffer(), { message: /^net::ERR_/ });
  await t.throwsAsync(readAll(streamed.body!), { message: /^net::ERR_/ });
});

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
