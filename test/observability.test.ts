// Observability: node:diagnostics_channel events (undici-shaped), NODE_DEBUG=curl-net and the
// NetLog, against real servers: an origin on 127.0.0.1 and, for the NetLog, a squid that wants
// Basic credentials, with a redirect on the way.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as dc from 'node:diagnostics_channel';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { diagnosticsChannels, net } from '../ts';
import { observeRequest } from '../ts/observability/request-observer';
import { EVENT_TYPES } from '../ts/observability/net-log';
import { cleanupFixtures, describe, freePort, freshSession, ORIGIN_HOST, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.after.always(() => cleanupFixtures());

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-observe-'));
  dirs.push(d);
  return d;
}

/** /start redirects to /final; both echo what they saw. */
async function redirecting(t: { teardown(fn: () => unknown): void }) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/start') res.writeHead(302, { Location: '/final' }).end();
    else res.end('final body');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

type Message = { channel: string; message: Record<string, any> };

function subscribeAll(t: { teardown(fn: () => unknown): void }, onCreate?: (m: Record<string, any>) => void): Message[] {
  const got: Message[] = [];
  for (const [key, channel] of Object.entries(diagnosticsChannels)) {
    const listener = (message: unknown) => {
      got.push({ channel: key, message: message as Record<string, any> });
      if (key === 'create') onCreate?.(message as Record<string, any>);
    };
    channel.subscribe(listener);
    t.teardown(() => channel.unsubscribe(listener));
  }
  return got;
}

test.serial('diagnostics_channel: create, sendHeaders per hop, headers, trailers; one request object; addHeader injects a header', async (t) => {
  const server = await redirecting(t);
  const got = subscribeAll(t, (m) => m.request.addHeader('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'));
  const result = await run({ url: `http://127.0.0.1:${server.port}/start`, session: freshSession() });
  t.is(result.statusCode, 200, describe(result));
  const mine = got.filter((g) => g.message.request.url.endsWith('/final') || g.message.request.url.endsWith('/start'));
  t.deepEqual(
    mine.map((g) => g.channel),
    ['create', 'sendHeaders', 'sendHeaders', 'headers', 'trailers'],
  );
  const request = mine[0]!.message.request;
  t.true(mine.every((g) => g.message.request === request), 'the same request object throughout');
  t.is(request.method, 'GET');
  t.is(request.origin, `http://127.0.0.1:${server.port}`);
  t.is(request.path, '/final', 'the request object follows the redirect');
  t.true(request.completed);
  t.is(mine[1]!.message.headers.split('\r\n')[0], `GET http://127.0.0.1:${server.port}/start`);
  t.is(mine[3]!.message.response.statusCode, 200);
  t.true(Array.isArray(mine[3]!.message.response.headers));
  t.true(server.seen.every((h) => h.traceparent === '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), 'both hops carried it');
  t.throws(() => request.addHeader('x-late', '1'), { message: /only possible while/ });
});

test.serial('diagnostics_channel: error for a refused connection and for an abort; secrets are redacted in sendHeaders', async (t) => {
  const got = subscribeAll(t);
  const port = await freePort();
  const refused = await run({ url: `http://127.0.0.1:${port}/`, session: freshSession() });
  t.is(refused.error?.message, 'net::ERR_CONNECTION_REFUSED');
  const error = got.find((g) => g.channel === 'error');
  t.is(error?.message.error.message, 'net::ERR_CONNECTION_REFUSED');
  t.false(error?.message.request.aborted);

  const server = http.createServer(() => {}); // never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  got.length = 0;
  const request = net.request({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, session: freshSession() });
  request.setHeader('Authorization', 'Bearer very-secret-token');
  request.setHeader('Cookie', 'sid=cookie-secret');
  request.end();
  await new Promise((resolve) => setTimeout(resolve, 200));
  request.abort();
  const sent = got.find((g) => g.channel === 'sendHeaders')!.message.headers as string;
  t.regex(sent, /Authorization: Bearer \[\d+ bytes were stripped\]/);
  t.false(sent.includes('very-secret-token') || sent.includes('cookie-secret'));
  const aborted = got.find((g) => g.channel === 'error');
  t.is(aborted?.message.error.message, 'net::ERR_ABORTED');
  t.true(aborted?.message.request.aborted);
});

test.serial('nothing observes: no observer is made (the cost with everything off is one null check per hook)', (t) => {
  const state = { session: freshSession() } as never;
  t.is(observeRequest(state), null);
  const listener = () => {};
  dc.subscribe('curl-net:request:error', listener);
  t.not(observeRequest(state), null);
  dc.unsubscribe('curl-net:request:error', listener);
  t.is(observeRequest(state), null);
});

testIf(test.serial, 'squid')('NODE_DEBUG=curl-net: hops, proxy, auth decisions and redirects, without secrets', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'basic' })]);
  origin.route('/start', (_req, res) => res.writeHead(302, { Location: '/final' }).end());
  const script = [
    `const { net, session } = require(${JSON.stringify(path.join(__dirname, '..', 'ts', 'index.js'))});`,
    `(async () => {`,
    `  await session.defaultSession.setProxy({ proxyRules: '127.0.0.1:${proxy.port}' });`,
    `  const req = net.request('http://user:url-secret@${ORIGIN_HOST}:${origin.port}/start');`,
    `  req.on('login', (info, cb) => cb(${JSON.stringify(proxy.username)}, ${JSON.stringify(proxy.password)}));`,
    `  req.on('response', (res) => { res.resume(); res.on('end', () => process.exit(0)); });`,
    `  req.on('error', (e) => { console.error('ERROR ' + e.message); process.exit(1); });`,
    `  req.end();`,
    `})();`,
  ].join('\n');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'curl-net' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stderr: err });
    });
  });
  t.is(code, 0, stderr);
  const lines = stderr.split('\n').filter((l) => l.startsWith('CURL-NET'));
  t.true(lines.some((l) => /hop 1 GET http:\/\/origin\.curlnet\.test:\d+\/start via proxy http:\/\/127\.0\.0\.1:\d+$/.test(l)), stderr);
  t.true(lines.some((l) => /head 407 \(challenge: Basic\)/.test(l)), stderr);
  t.true(lines.some((l) => /retry with credentials/.test(l)), stderr);
  t.true(lines.some((l) => /offers credentials to proxy/.test(l)), stderr);
  t.true(lines.some((l) => /redirect to http:\/\/origin\.curlnet\.test:\d+\/final/.test(l)), stderr);
  t.true(lines.some((l) => /done in \d+ ms/.test(l)), stderr);
  t.false(stderr.includes('url-secret'), 'URL user info is never printed');
  t.false(stderr.includes(proxy.password!), 'the proxy password is never printed');
});

testIf(test.serial, 'squid')('NetLog: authenticating proxy + redirect gives the expected sequence; default mode holds no secret', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'basic' })]);
  origin.route('/start', (_req, res) => res.writeHead(302, { Location: '/final', 'Set-Cookie': 'sid=setcookie-secret' }).end());
  const dir = tempDir();
  const logRequest = async (file: string, captureMode: 'default' | 'includeSensitive') => {
    const ses = freshSession();
    await ses.setProxy({ proxyRules: `127.0.0.1:${proxy.port}` });
    await ses.netLog.startLogging(file, { captureMode });
    t.true(ses.netLog.currentlyLogging);
    const result = await run(
      { url: `http://user:url-secret@${ORIGIN_HOST}:${origin.port}/start`, session: ses, headers: { Cookie: 'sid=cookie-secret' } },
      { login: () => [proxy.username!, proxy.password!] },
    );
    t.is(result.statusCode, 200, describe(result));
    await ses.netLog.stopLogging();
    t.false(ses.netLog.currentlyLogging);
    return fs.readFileSync(file, 'utf8');
  };

  const text = await logRequest(path.join(dir, 'default.json'), 'default');
  const log = JSON.parse(text);
  t.deepEqual(Object.keys(log), ['constants', 'events', 'polledData']);
  const names = Object.fromEntries(Object.entries(log.constants.logEventTypes as Record<string, number>).map(([k, v]) => [v, k]));
  t.is(log.constants.logCaptureMode, 'Default');
  for (const event of log.events) {
    t.deepEqual(Object.keys(event).filter((k) => k !== 'params'), ['type', 'source', 'phase', 'time']);
    t.is(event.source.type, log.constants.logSourceType.URL_REQUEST);
  }
  const sequence = log.events.map((e: any) => `${names[e.type]}${e.phase === 1 ? '+' : e.phase === 2 ? '-' : ''}`);
  t.deepEqual(sequence, [
    'REQUEST_ALIVE+',
    'URL_REQUEST_START_JOB+',
    'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST',
    'HTTP_TRANSACTION_SEND_REQUEST_HEADERS',
    'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', // 407
    'AUTH_CHALLENGE',
    'CONNECT_RESULT', // the 407 hop ended while 'login' was answered
    'URL_REQUEST_START_JOB-',
    'AUTH_RETRY_WITH_CREDENTIALS',
    'URL_REQUEST_START_JOB+',
    'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST',
    'HTTP_TRANSACTION_SEND_REQUEST_HEADERS',
    'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', // 302
    'URL_REQUEST_START_JOB-',
    'URL_REQUEST_REDIRECTED',
    'URL_REQUEST_START_JOB+',
    'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST',
    'HTTP_TRANSACTION_SEND_REQUEST_HEADERS',
    'HTTP_TRANSACTION_READ_RESPONSE_HEADERS', // 200
    'CONNECT_RESULT',
    'URL_REQUEST_START_JOB-',
    'REQUEST_ALIVE-',
  ]);
  const heads = log.events.filter((e: any) => names[e.type] === 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS').map((e: any) => e.params.headers[0]);
  t.deepEqual(heads.map((h: string) => h.split(' ')[1]), ['407', '302', '200']);
  t.deepEqual(log.events.find((e: any) => names[e.type] === 'AUTH_CHALLENGE').params, { is_proxy: true, challenges: [log.events.find((e: any) => names[e.type] === 'AUTH_CHALLENGE').params.challenges[0]] });
  t.regex(log.events.find((e: any) => names[e.type] === 'AUTH_CHALLENGE').params.challenges[0], /^Basic /);
  t.is(log.events.find((e: any) => names[e.type] === 'URL_REQUEST_REDIRECTED').params.location, `http://${ORIGIN_HOST}:${origin.port}/final`);
  t.is(log.events.find((e: any) => names[e.type] === 'PROXY_RESOLUTION_SERVICE_RESOLVED_PROXY_LIST').params.proxy_info, `PROXY 127.0.0.1:${proxy.port}`);
  const retried = log.events.filter((e: any) => names[e.type] === 'HTTP_TRANSACTION_SEND_REQUEST_HEADERS')[1].params.headers;
  t.true(retried.some((h: string) => h.startsWith('Proxy-Authorization: [credentials offered')), JSON.stringify(retried));
  const connect = log.events.filter((e: any) => names[e.type] === 'CONNECT_RESULT').map((e: any) => e.params);
  t.true(connect.length >= 1);
  for (const c of connect) {
    t.is(c.address, `127.0.0.1:${proxy.port}`, 'the proxy is what the hop connected to');
    t.is(typeof c.reused, 'boolean');
    t.true(c.connected && c.used_proxy);
  }
  for (const secret of ['url-secret', 'cookie-secret', 'setcookie-secret', proxy.password!]) t.false(text.includes(secret), `default mode leaked ${secret}`);
  t.regex(text, /Cookie: \[\d+ bytes were stripped\]/);

  const sensitive = await logRequest(path.join(dir, 'sensitive.json'), 'includeSensitive');
  t.is(JSON.parse(sensitive).constants.logCaptureMode, 'IncludeSensitive');
  for (const secret of ['url-secret', 'cookie-secret', 'setcookie-secret']) t.true(sensitive.includes(secret), `includeSensitive keeps ${secret}`);
  t.false(sensitive.includes(proxy.password!), 'libcurl sends proxy credentials itself: never logged');
});

test.serial('NetLog: maxFileSize bounds the file, which stays valid JSON; bad arguments are refused', async (t) => {
  const server = await redirecting(t);
  const ses = freshSession();
  const file = path.join(tempDir(), 'small.json');
  await ses.netLog.startLogging(file, { maxFileSize: 4096 });
  for (let i = 0; i < 20; i++) await run({ url: `http://127.0.0.1:${server.port}/start`, session: ses });
  await ses.netLog.stopLogging();
  const size = fs.statSync(file).size;
  t.true(size <= 4096 + 64, `${size} bytes`);
  t.true(JSON.parse(fs.readFileSync(file, 'utf8')).events.length > 0);
  await t.throwsAsync(ses.netLog.startLogging(file, { captureMode: 'loud' as never }), { instanceOf: TypeError });
  await t.throwsAsync(ses.netLog.startLogging(path.join(tempDir(), 'no', 'such', 'dir.json')), { code: 'ENOENT' });
  t.false(ses.netLog.currentlyLogging);
  t.true(EVENT_TYPES.length > 0);
});

test.serial('--log-net-log (and --net-log-capture-mode) start the default session\'s NetLog; removing the switch stops it', async (t) => {
  const { commandLine, configure, netLog, session } = await import('../ts');
  const { resetSwitchesForTesting } = await import('../ts/switches/command-line');
  t.teardown(() => resetSwitchesForTesting());
  const server = await redirecting(t);
  const file = path.join(tempDir(), 'switch.json');
  configure({ switches: { 'log-net-log': file, 'net-log-capture-mode': 'IncludeSensitive' } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.true(netLog.currentlyLogging);
  const result = await run({ url: `http://127.0.0.1:${server.port}/start`, session: session.defaultSession });
  t.is(result.statusCode, 200, describe(result));
  commandLine.removeSwitch('log-net-log');
  await netLog.stopLogging(); // waits for the stop the switch's removal began
  t.false(netLog.currentlyLogging);
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  t.is(log.constants.logCaptureMode, 'IncludeSensitive');
  t.true(log.events.some((e: any) => e.params?.location === `http://127.0.0.1:${server.port}/final`));
});

test.serial('NetLog CONNECT_RESULT: the connected address, new then reused', async (t) => {
  const server = await redirecting(t);
  const ses = freshSession();
  const file = path.join(tempDir(), 'reuse.json');
  await ses.netLog.startLogging(file);
  for (let i = 0; i < 2; i++) t.is((await run({ url: `http://127.0.0.1:${server.port}/final`, session: ses })).statusCode, 200);
  await ses.netLog.stopLogging();
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  const type = log.constants.logEventTypes.CONNECT_RESULT;
  const results = log.events.filter((e: any) => e.type === type).map((e: any) => e.params);
  t.deepEqual(
    results.map((p: any) => [p.address, p.reused, p.cert_verify_result]),
    [
      [`127.0.0.1:${server.port}`, false, 0],
      [`127.0.0.1:${server.port}`, true, 0],
    ],
  );
});

test.serial('NetLog CONNECT_RESULT over TLS: version, cipher, the certificate subject, the verify verdict', async (t) => {
  const { commandLine } = await import('../ts');
  const { resetSwitchesForTesting } = await import('../ts/switches/command-line');
  t.teardown(() => resetSwitchesForTesting());
  const origin = await startOrigin(t, 'https');
  // The origin's certificate names origin.curlnet.test; the name is mapped, never looked up.
  commandLine.appendSwitch('host-resolver-rules', `MAP ${ORIGIN_HOST} 127.0.0.1`);
  const ses = freshSession();
  await ses.setProxy({ mode: 'direct' });
  const file = path.join(tempDir(), 'tls.json');
  await ses.netLog.startLogging(file);
  for (let i = 0; i < 2; i++) {
    const result = await run({ url: origin.url('/tls'), session: ses });
    t.is(result.statusCode, 200, describe(result));
  }
  await ses.netLog.stopLogging();
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  const results = log.events.filter((e: any) => e.type === log.constants.logEventTypes.CONNECT_RESULT).map((e: any) => e.params);
  t.is(results.length, 2);
  const [first, second] = results;
  t.regex(first.tls_version, /^TLSv1\.[23]$/);
  t.truthy(first.tls_cipher);
  t.regex(first.cert_subject, new RegExp(`CN ?= ?${ORIGIN_HOST.replace(/\./g, '\\.')}`));
  t.is(first.cert_verify_result, 0);
  t.false(first.reused);
  t.true(second.reused, 'the second request reused the TLS connection');
  t.is(second.cert_subject, undefined, 'no new handshake, no certificate');
  t.is(log.events.filter((e: any) => e.type === log.constants.logEventTypes.HOST_MAPPING_APPLIED).length, 2);
});
