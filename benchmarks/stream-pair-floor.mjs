// The JS-thread floor of an Electron-shaped request, with no network and no curl-net code: a
// Writable that is ended (ClientRequest), a Readable that gets a 12-byte body and its end
// (IncomingMessage), the 'response', 'data' and 'end' listeners an application attaches, and
// 64 requests in flight answered in batches on later turns, as native events arrive.
//
// Why: issue #16 asks for ≤ 4.5 µs of JS-thread CPU per small request. This says how much of
// that the stream objects Electron's API is made of must cost on the machine at hand, so the
// rest (options, session, stages, native calls, event delivery) can be judged against it.
//
// Usage: taskset -c 0 node benchmarks/stream-pair-floor.mjs [requests=300000]
// Prints process CPU (all threads, GC included) per request and requests per second.
import { Readable, Writable } from 'node:stream';

const total = Number(process.argv[2] ?? 300_000);
const inFlight = 64;
const body = Buffer.from('hello world\n');

let started = 0;
let finished = 0;
/** Requests that were ended and wait for their "response" on a later turn. */
let waiting = [];

function startOne() {
  started += 1;
  const request = new Writable({ write: (_chunk, _encoding, done) => done() });
  request.on('response', (response) => {
    response.on('data', () => {});
    response.on('end', onEnd);
  });
  request.end();
  waiting.push(request);
}

function onEnd() {
  finished += 1;
  if (started < total) startOne();
  else if (finished === total) report();
}

/** One batch of native events: a head and a body for every request that was waiting. */
function answerBatch() {
  const batch = waiting;
  waiting = [];
  for (const request of batch) {
    const response = new Readable({ read() {} });
    response.statusCode = 200;
    response.headers = { 'content-length': String(body.length) };
    request.emit('response', response);
    response.push(body);
    response.push(null);
  }
  if (finished < total) setImmediate(answerBatch);
}

const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();

function report() {
  const cpu = process.cpuUsage(cpuAtStart);
  const seconds = (performance.now() - startedAt) / 1000;
  const perRequest = (cpu.user + cpu.system) / total;
  console.log(`${total} stream pairs: ${perRequest.toFixed(2)} µs CPU per request, ${Math.round(total / seconds)} per second`);
}

for (let i = 0; i < inFlight; i++) startOne();
setImmediate(answerBatch);
