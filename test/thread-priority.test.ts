// The curl thread runs below the JS thread's priority (native/engine.cc says why), by 10 unless
// CURL_NET_THREAD_NICE says otherwise. Each case runs in a fresh process: the thread is made
// once per process, with the environment and priority the process had at the first request.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packageRoot } from '../ts/load-binding';
import { startServer, type TestServer } from './helpers/http-server';

const script = `
const fs = require('node:fs');
const os = require('node:os');
const warnings = [];
process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
const processNice = Number(process.argv[2]);
if (processNice !== 0) os.setPriority(processNice);
const { net } = require(${JSON.stringify(packageRoot)});
function niceOf(task) {
  const stat = fs.readFileSync('/proc/self/task/' + task + '/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
function commOf(task) {
  // A thread listed a moment ago may have exited since (a sanitizer's or V8's helper).
  try { return fs.readFileSync('/proc/self/task/' + task + '/comm', 'utf8').trim(); } catch { return ''; }
}
const request = net.request(process.argv[1]);
request.on('response', (response) => {
  let body = '';
  response.on('data', (chunk) => { body += chunk; });
  response.on('end', () => {
    const curl = fs.readdirSync('/proc/self/task').filter((task) => commOf(task) === 'curl-net');
    setImmediate(() => {
      console.log(JSON.stringify({ body, main: niceOf(process.pid), curl: curl.map(niceOf), warnings }));
      process.exit(0);
    });
  });
});
request.end();
`;

interface Report {
  body: string;
  main: number;
  curl: number[];
  warnings: Array<{ code: string; message: string }>;
}

async function run(server: TestServer, env: Record<string, string | undefined>, processNice = 0): Promise<Report> {
  const childEnv = { ...process.env };
  delete childEnv.CURL_NET_THREAD_NICE;
  for (const [name, value] of Object.entries(env)) if (value !== undefined) childEnv[name] = value;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, server.url, String(processNice)], {
    encoding: 'utf8',
    env: childEnv,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

let server: TestServer;
test.before(async () => {
  server = await startServer((_req, res) => res.end('served'));
});
test.after.always(async () => {
  await server.close();
});

test('by default the curl thread runs 10 below the JS thread, and requests work', async (t) => {
  const report = await run(server, {});
  t.is(report.body, 'served');
  t.is(report.main, 0);
  t.deepEqual(report.curl, [10]);
  t.deepEqual(report.warnings, []);
});

test('the increment is relative to the process\'s priority and stops at 19', async (t) => {
  t.deepEqual((await run(server, {}, 5)).curl, [15]);
  t.deepEqual((await run(server, {}, 15)).curl, [19]);
  t.deepEqual((await run(server, { CURL_NET_THREAD_NICE: '3' }, 5)).curl, [8]);
});

test('CURL_NET_THREAD_NICE=0 keeps the process\'s priority; other values in 0-19 set the increment', async (t) => {
  t.deepEqual((await run(server, { CURL_NET_THREAD_NICE: '0' })).curl, [0]);
  t.deepEqual((await run(server, { CURL_NET_THREAD_NICE: '19' })).curl, [19]);
  const three = await run(server, { CURL_NET_THREAD_NICE: '3' });
  t.deepEqual(three.curl, [3]);
  t.deepEqual(three.warnings, []);
});

for (const bad of ['-5', '20', 'abc', '+3', ' 3', '3.5', '99999999999999999999']) {
  test(`CURL_NET_THREAD_NICE=${JSON.stringify(bad)} warns and keeps the default`, async (t) => {
    const report = await run(server, { CURL_NET_THREAD_NICE: bad });
    t.is(report.body, 'served');
    t.deepEqual(report.curl, [10]);
    t.is(report.warnings.length, 1);
    t.is(report.warnings[0].code, 'CURL_NET_THREAD_NICE');
    t.true(report.warnings[0].message.includes(JSON.stringify(bad)));
  });
}

// A worker has its own curl thread, and its own process.env when given one: the setting is read
// from the environment's process.env (ts/native.ts), not from the process's C environment.
const workerScript = `
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const { net } = require(${JSON.stringify(packageRoot)});
function niceOf(task) {
  const stat = fs.readFileSync('/proc/self/task/' + task + '/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
function commOf(task) {
  // A thread listed a moment ago may have exited since (a sanitizer's or V8's helper).
  try { return fs.readFileSync('/proc/self/task/' + task + '/comm', 'utf8').trim(); } catch { return ''; }
}
function curlThreads() {
  return fs.readdirSync('/proc/self/task')
    .filter((task) => commOf(task) === 'curl-net')
    .map(niceOf).sort((a, b) => a - b);
}
const fetchBody = (url) => new Promise((resolve, reject) => {
  const request = net.request(url);
  request.on('response', (response) => { let body = ''; response.on('data', (c) => { body += c; }); response.on('end', () => resolve(body)); });
  request.on('error', reject);
  request.end();
});
const workerCode = 'const { parentPort, workerData } = require("node:worker_threads");' +
  'const { net } = require(workerData.root);' +
  'const request = net.request(workerData.url);' +
  'request.on("response", (response) => { let body = ""; response.on("data", (c) => { body += c; }); response.on("end", () => { parentPort.postMessage(body); }); });' +
  'request.end();';
(async () => {
  const main = await fetchBody(process.argv[1]);
  const worker = new Worker(workerCode, {
    eval: true,
    workerData: { root: ${JSON.stringify(packageRoot)}, url: process.argv[1] },
    env: { ...process.env, CURL_NET_THREAD_NICE: '4' },
  });
  const inWorker = await new Promise((resolve) => worker.once('message', resolve));
  const threads = curlThreads();
  await worker.terminate();
  console.log(JSON.stringify({ main, inWorker, threads, cEnvironment: process.env.CURL_NET_THREAD_NICE ?? null }));
  process.exit(0);
})();
`;

test('a worker given CURL_NET_THREAD_NICE in its own env runs its curl thread at that increment', async (t) => {
  const childEnv = { ...process.env };
  delete childEnv.CURL_NET_THREAD_NICE;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', workerScript, server.url], { encoding: 'utf8', env: childEnv });
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { main: string; inWorker: string; threads: number[]; cEnvironment: string | null };
  t.is(report.main, 'served');
  t.is(report.inWorker, 'served');
  t.is(report.cEnvironment, null);
  t.deepEqual(report.threads, [4, 10]);
});
