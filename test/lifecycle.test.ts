// Process lifecycle: exit behaviour, GC, environment teardown at every stage, workers.
// Each scenario runs in a fresh child process so a crash shows up as a signal, not as a
// broken test runner.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { startServer, TestServer } from './helpers/http-server';

let server: TestServer;
let counted = 0;
test.before(async () => {
  server = await startServer();
  server.route('/fast', (_req, res) => res.end('ok'));
  server.route('/slow', (_req, res) => setTimeout(() => res.end('late'), 1000));
  server.route('/count', (_req, res, body) => {
    if (body.toString() === 'buffered-body' || body.toString() === 'chunked-body') counted++;
    res.end();
  });
  server.rawRoute('/upload', (req) => req.resume());
  server.rawRoute('/big', (_req, res) => {
    // Endless body honouring backpressure: an unread response must stall it.
    const chunk = Buffer.alloc(1024 * 1024, 1);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.writeHead(200);
    pump();
  });
});
test.after.always(() => server?.close());

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
  ms: number;
}

function runChild(mode: string, nodeArgs: string[] = [], timeoutMs = 20000): Promise<ChildResult> {
  const script = path.join(__dirname, 'fixtures', 'lifecycle-child.js');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, script, mode, server.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: stdout.trim().split('\n').filter(Boolean), stderr, ms: Date.now() - started });
    });
  });
}

test('finished requests are not kept alive from one minor collection to the next', async (t) => {
  // V8 prints every collection with --trace-gc-nvp. A finished request must die young: the
  // bytes each minor collection promotes stay small. A registry of hops in a Map made every
  // finished request reachable from an old, dead hash table (see ts/hop-registry.ts): each
  // minor collection then promoted 500–600 KB here; without it, about 45 KB.
  const v8Major = Number(process.versions.v8.split('.')[0]);
  if (v8Major >= 13) {
    // V8 13 (Node 24) promotes what survives its first scavenge: every request in flight at a
    // scavenge is promoted, with or without the defect (measured 700–770 KB per scavenge both
    // ways), so this measure cannot tell them apart there. On Node 20 (V8 11) it does (45 vs
    // 630 KB); on Node 22 (V8 12) a churning Map did not chain its tables at all (56 KB both).
    t.log(`not measurable on V8 ${process.versions.v8}: it promotes the requests in flight at every scavenge`);
    t.pass();
    return;
  }
  const r = await runChild('many-small', ['--trace-gc-nvp'], 50000);
  t.is(r.code, 0, r.stderr);
  t.true(r.lines.includes('done'), r.lines.filter((line) => !line.includes('pause=')).join('\n'));
  const promoted = r.lines
    .filter((line) => line.includes('gc=s '))
    .map((line) => Number(/ promoted=(\d+)/.exec(line)?.[1]))
    .filter((bytes) => Number.isFinite(bytes));
  t.true(promoted.length >= 5, `only ${promoted.length} minor collections were reported`);
  const mean = promoted.reduce((a, b) => a + b, 0) / promoted.length;
  t.true(mean < 200 * 1024, `each minor collection promoted ${(mean / 1024).toFixed(0)} KB on average`);
});

test('an idle process exits by itself after its requests are done', async (t) => {
  const r = await runChild('idle-exit');
  t.is(r.signal, null, r.stderr);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.lines, ['status 200']);
});

test('a request in flight keeps the process alive until it is done', async (t) => {
  const r = await runChild('in-flight');
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.lines, ['body late']);
  t.true(r.ms >= 1000);
});

test('aborting at every stage leaves no hop behind and lets the process exit', async (t) => {
  const r = await runChild('abort-stages');
  t.is(r.code, 0, r.stderr);
  t.is(r.signal, null);
  t.deepEqual(r.lines, ['active 0']);
});

test('forced GC of never-started, in-flight and finished requests: no crash, bodies arrive', async (t) => {
  counted = 0;
  const r = await runChild('gc', ['--expose-gc']);
  t.is(r.signal, null, r.stderr);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.lines, ['gc done']);
  t.is(counted, 40, 'every unreferenced buffered and chunked request delivered its body');
});

for (const stage of ['exit-idle', 'exit-in-flight', 'exit-backlog', 'exit-paused']) {
  test(`environment teardown (${stage}) exits 0 with no signal`, async (t) => {
    const r = await runChild(stage);
    t.is(r.signal, null, r.stderr);
    t.is(r.code, 0, r.stderr);
    t.false(/Assertion|Segmentation|Aborted|core dumped/i.test(r.stderr), r.stderr);
  });
}

test('a worker_thread can be terminated mid-transfer; the main thread keeps working', async (t) => {
  const r = await runChild('worker');
  t.is(r.signal, null, r.stderr);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.lines, ['worker terminated 1', 'status after 200']);
});
