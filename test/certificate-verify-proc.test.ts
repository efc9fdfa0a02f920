// ses.setCertificateVerifyProc end to end: Electron's request object and callback values, the
// per-session verdict cache (per host, port and exact chain), and that a proc that thinks,
// throws or never answers holds up only its own request.
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { net, session, NetError, type CertificateVerifyRequest, type Session } from '../ts/index';
import { bodyOrError } from './helpers/collect';
import { trustedTestCertificates } from './helpers/tls-certs';

const trust = trustedTestCertificates(test);
let partitions = 0;

interface Served {
  url: string;
  port: number;
  requests: string[];
  connections: number;
  server: https.Server;
}

async function serve(pair: { key: string; cert: string }, options: https.ServerOptions = {}, port = 0): Promise<Served> {
  const served = { requests: [] as string[], connections: 0 } as Served;
  const server = https.createServer({ key: pair.key, cert: pair.cert, ...options }, (req, res) => {
    served.requests.push(req.url!);
    res.end(`ok ${req.url}`);
  });
  server.on('secureConnection', () => (served.connections += 1));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  served.server = server;
  served.port = (server.address() as AddressInfo).port;
  served.url = `https://127.0.0.1:${served.port}`;
  trust.closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return served;
}

function fresh(): Session {
  return session.fromPartition(`verify-proc-${partitions++}`);
}

function get(url: string, ses: Session, options: { timeout?: number } = {}): Promise<{ body?: string; error?: NetError }> {
  return bodyOrError(net.request({ url, session: ses, ...options }));
}

test('a proc that accepts a self-signed certificate: the request succeeds; the proc saw Electron\'s request object', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  const seen: CertificateVerifyRequest[] = [];
  ses.setCertificateVerifyProc((request, callback) => {
    seen.push(request);
    setTimeout(() => callback(0), 20); // asynchronous, as an application would decide
  });
  t.deepEqual(await get(`${server.url}/a`, ses), { body: 'ok /a' });
  t.is(seen.length, 1);
  const request = seen[0];
  t.is(request.hostname, '127.0.0.1');
  t.is(request.verificationResult, 'net::ERR_CERT_AUTHORITY_INVALID');
  t.is(request.errorCode, -202);
  t.false(request.isIssuedByKnownRoot);
  const x509 = new X509Certificate(trust.certs.selfSigned.cert);
  t.is(request.certificate.data.trim(), x509.toString().trim());
  t.is(request.certificate.subjectName, '127.0.0.1');
  t.is(request.certificate.serialNumber, x509.serialNumber);
  t.is(request.certificate.fingerprint, `sha256/${Buffer.from(x509.fingerprint256.replace(/:/g, ''), 'hex').toString('base64')}`);
  t.deepEqual(request.validatedCertificate, request.certificate);
  t.deepEqual(server.requests, ['/a'], 'the request was sent once, after the verdict');
});

test('a chain libcurl trusts reaches the proc as net::OK; callback(-3) keeps the built-in verdict', async (t) => {
  const server = await serve(trust.certs.valid);
  const ses = fresh();
  const seen: CertificateVerifyRequest[] = [];
  ses.setCertificateVerifyProc((request, callback) => {
    seen.push(request);
    callback(-3);
  });
  t.deepEqual(await get(`${server.url}/trusted`, ses), { body: 'ok /trusted' });
  t.is(seen[0].verificationResult, 'net::OK');
  t.is(seen[0].errorCode, 0);
  t.true(seen[0].isIssuedByKnownRoot);
  t.is(seen[0].certificate.issuerName, 'curl-net test CA');
});

test('callback(-3) on a certificate libcurl refuses fails with the built-in error', async (t) => {
  const server = await serve(trust.certs.expired);
  const ses = fresh();
  ses.setCertificateVerifyProc((_request, callback) => callback(-3));
  const { error } = await get(`${server.url}/`, ses);
  t.is(error?.message, 'net::ERR_CERT_DATE_INVALID');
  t.truthy(error?.certificate);
  t.deepEqual(server.requests, []);
});

test('callback(-2) fails with net::ERR_FAILED even for a trusted chain; nothing is sent', async (t) => {
  const server = await serve(trust.certs.valid);
  const ses = fresh();
  ses.setCertificateVerifyProc((_request, callback) => callback(-2));
  const { error } = await get(`${server.url}/`, ses);
  t.is(error?.message, 'net::ERR_FAILED');
  t.deepEqual(server.requests, []);
});

test('callback(net error code) fails with that error; an unknown code is net::ERR_FAILED', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  ses.setCertificateVerifyProc((_request, callback) => callback(-200));
  t.is((await get(`${server.url}/`, ses)).error?.message, 'net::ERR_CERT_COMMON_NAME_INVALID');
  ses.setCertificateVerifyProc((_request, callback) => callback(-99999));
  t.is((await get(`${server.url}/`, ses)).error?.message, 'net::ERR_FAILED');
});

test('verdicts are cached per session: new connections to the same host skip the proc', async (t) => {
  // The server closes every connection, so each request needs a new one.
  const server = await serve(trust.certs.selfSigned);
  server.server.removeAllListeners('request');
  server.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    server.requests.push(req.url!);
    res.setHeader('Connection', 'close');
    res.end('closing');
  });
  const ses = fresh();
  let calls = 0;
  ses.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    callback(0);
  });
  for (let i = 0; i < 4; i++) t.deepEqual(await get(`${server.url}/${i}`, ses), { body: 'closing' });
  t.true(server.connections >= 4, `${server.connections} connections`);
  t.is(calls, 1, 'one call for four connections');
  // Another session has its own verdicts.
  const other = fresh();
  let otherCalls = 0;
  other.setCertificateVerifyProc((_request, callback) => {
    otherCalls += 1;
    callback(0);
  });
  t.deepEqual(await get(`${server.url}/other`, other), { body: 'closing' });
  t.is(otherCalls, 1);
});

test('closeAllConnections and setCertificateVerifyProc drop the verdicts', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  let calls = 0;
  const accept = (_request: CertificateVerifyRequest, callback: (code: number) => void) => {
    calls += 1;
    callback(0);
  };
  ses.setCertificateVerifyProc(accept);
  await get(`${server.url}/1`, ses);
  await get(`${server.url}/2`, ses);
  t.is(calls, 1);
  await ses.closeAllConnections();
  await get(`${server.url}/3`, ses);
  t.is(calls, 2);
  ses.setCertificateVerifyProc(accept);
  await get(`${server.url}/4`, ses);
  t.is(calls, 3, 'a pooled connection is judged again after a new proc');
  ses.setCertificateVerifyProc(null);
  t.is((await get(`${server.url}/5`, ses)).error?.message, 'net::ERR_CERT_AUTHORITY_INVALID', 'null: back to libcurl\'s verdict');
  t.deepEqual(server.requests, ['/1', '/2', '/3', '/4']);
});

test('a verdict is never applied to a different certificate on the same host and port', async (t) => {
  const first = await serve(trust.certs.selfSigned);
  const ses = fresh();
  const subjects: string[] = [];
  ses.setCertificateVerifyProc((request, callback) => {
    subjects.push(request.certificate.subjectName);
    callback(request.certificate.subjectName === '127.0.0.1' ? 0 : -2);
  });
  t.deepEqual(await get(`${first.url}/first`, ses), { body: 'ok /first' });
  // Same port, another identity.
  first.server.closeAllConnections();
  await new Promise<void>((resolve) => first.server.close(() => resolve()));
  const second = await serve(trust.more.otherSelfSigned, {}, first.port);
  const { error } = await get(`${second.url}/second`, ses);
  t.is(error?.message, 'net::ERR_FAILED');
  t.deepEqual(subjects, ['127.0.0.1', 'other identity']);
  t.deepEqual(second.requests, []);
});

test('a proc that throws fails that request only', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  ses.setCertificateVerifyProc(() => {
    throw new Error('proc bug');
  });
  const { error } = await get(`${server.url}/`, ses);
  t.is(error?.message, 'net::ERR_FAILED');
  t.is((error?.cause as Error).message, 'proc bug');
  ses.setCertificateVerifyProc((_request, callback) => callback(0));
  t.deepEqual(await get(`${server.url}/after`, ses), { body: 'ok /after' });
});

test('a proc that never calls back holds only its own request; other transfers go on', async (t) => {
  const stuck = await serve(trust.certs.selfSigned);
  const plain = http.createServer((_req, res) => res.end('plain'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  trust.closers.push(() => plain.close());
  const ses = fresh();
  let asked = 0;
  let onAsked!: () => void;
  const wasAsked = new Promise<void>((resolve) => (onAsked = resolve));
  ses.setCertificateVerifyProc(() => {
    asked += 1; // and never answers
    onAsked();
  });
  // The request's own deadline is what ends it (no timed assertion: only that it ends).
  const held = get(`${stuck.url}/`, ses, { timeout: 5000 });
  await wasAsked;
  // While the proc "thinks", the same session still serves other requests.
  for (let i = 0; i < 3; i++) t.deepEqual(await get(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/`, ses), { body: 'plain' });
  t.is((await held).error?.message, 'net::ERR_TIMED_OUT');
  t.is(asked, 1);
  t.deepEqual(stuck.requests, []);
});

test('an aborted request whose proc answers later does nothing', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  let answer: ((code: number) => void) | undefined;
  let asked!: () => void;
  const wasAsked = new Promise<void>((resolve) => (asked = resolve));
  ses.setCertificateVerifyProc((_request, callback) => {
    answer = callback;
    asked();
  });
  const request = net.request({ url: `${server.url}/aborted`, session: ses });
  const errors: Error[] = [];
  request.on('error', (error) => errors.push(error));
  request.end();
  await wasAsked;
  request.abort();
  answer!(0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.deepEqual(server.requests, []);
  // The late verdict was still remembered, for the next request.
  t.deepEqual(await get(`${server.url}/next`, ses), { body: 'ok /next' });
});

test('setCertificateVerifyProc refuses anything but a function or null', (t) => {
  const ses = fresh();
  for (const bad of ['x', 1, {}, undefined]) {
    t.throws(() => ses.setCertificateVerifyProc(bad as never), { instanceOf: TypeError, message: 'Must pass null or function' });
  }
});

test('HTTP/2: concurrent requests on new connections share one verdict', async (t) => {
  const server = http2.createSecureServer({ key: trust.certs.selfSigned.key, cert: trust.certs.selfSigned.cert, allowHTTP1: true }, (req, res) => {
    res.end(`h${req.httpVersion} ${req.url}`);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (h2session) => sessions.add(h2session));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trust.closers.push(() => {
    for (const h2session of sessions) h2session.destroy();
    server.close();
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ses = fresh();
  let calls = 0;
  ses.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    callback(0);
  });
  t.deepEqual(await get(`${url}/first`, ses), { body: 'h2.0 /first' });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => get(`${url}/${i}`, ses)));
  t.deepEqual(results.map((r) => r.body), Array.from({ length: 8 }, (_, i) => `h2.0 /${i}`));
  // libcurl 7.88 gets one stream per connection here (native/session_multi.cc says why): the
  // verdict still covers every new connection.
  t.is(calls, 1, `${sessions.size} connections, one verdict`);
});

test('redirects across origins: each new origin is judged, the budget of certificate restarts is per hop', async (t) => {
  // Five self-signed servers redirecting to one another: ~3 certificate hops each.
  const servers: Served[] = [];
  for (let i = 0; i < 5; i++) servers.push(await serve(trust.certs.selfSigned));
  servers.forEach((server, i) => {
    server.server.removeAllListeners('request');
    server.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      server.requests.push(req.url!);
      if (i + 1 < servers.length) res.writeHead(302, { location: `${servers[i + 1].url}/hop${i + 1}` }).end();
      else res.end('arrived');
    });
  });
  const ses = fresh();
  const hosts: string[] = [];
  ses.setCertificateVerifyProc((request, callback) => {
    hosts.push(request.verificationResult);
    callback(0);
  });
  t.deepEqual(await get(`${servers[0].url}/hop0`, ses), { body: 'arrived' });
  t.is(hosts.length, 5, 'one question per origin (host and port)');
});

test('through an HTTP proxy\'s CONNECT tunnel: the proc judges the origin\'s certificate; nothing is sent before', async (t) => {
  const origin = await serve(trust.certs.selfSigned);
  let tunnels = 0;
  const sockets = new Set<{ destroy(): void }>();
  const proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, client: import('node:stream').Duplex, head: Buffer) => {
    tunnels += 1;
    const [host, port] = req.url!.split(':');
    sockets.add(client);
    const upstream = netConnect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  trust.closers.push(() => {
    for (const socket of sockets) socket.destroy();
    proxy.closeAllConnections();
    proxy.close();
  });
  const ses = fresh();
  await ses.setProxy({ proxyRules: `127.0.0.1:${(proxy.address() as AddressInfo).port}`, proxyBypassRules: '<-loopback>' });
  const asked: string[] = [];
  ses.setCertificateVerifyProc((request, callback) => {
    asked.push(`${request.hostname} ${request.verificationResult}`);
    callback(origin.requests.length === 0 ? 0 : -2);
  });
  t.deepEqual(await get(`${origin.url}/tunnelled`, ses), { body: 'ok /tunnelled' });
  t.deepEqual(asked, ['127.0.0.1 net::ERR_CERT_AUTHORITY_INVALID']);
  t.deepEqual(origin.requests, ['/tunnelled']);
  t.true(tunnels >= 2, `${tunnels} tunnels`);
});

test('concurrent requests that meet the same chain while the proc thinks share one question', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  let calls = 0;
  ses.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    setTimeout(() => callback(0), 50);
  });
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => get(`${server.url}/${i}`, ses)));
  t.deepEqual(results.map((r) => r.body), Array.from({ length: 6 }, (_, i) => `ok /${i}`));
  t.is(calls, 1);
});

test('closeAllConnections fails a request whose proc is thinking; its late answer is not remembered', async (t) => {
  const server = await serve(trust.certs.selfSigned);
  const ses = fresh();
  const answers: Array<(code: number) => void> = [];
  let asked!: () => void;
  let wasAsked = new Promise<void>((resolve) => (asked = resolve));
  ses.setCertificateVerifyProc((_request, callback) => {
    answers.push(callback);
    asked();
  });
  const first = get(`${server.url}/first`, ses);
  await wasAsked;
  // Electron: "terminate / fail all requests currently in flight".
  await ses.closeAllConnections();
  t.is((await first).error?.message, 'net::ERR_ABORTED');
  answers[0](0); // too late for the session: the next request asks again
  wasAsked = new Promise<void>((resolve) => (asked = resolve));
  const second = get(`${server.url}/second`, ses);
  await wasAsked;
  t.is(answers.length, 2);
  t.deepEqual(server.requests, []);
  answers[1](0);
  t.deepEqual(await second, { body: 'ok /second' });
  t.deepEqual(await get(`${server.url}/third`, ses), { body: 'ok /third' });
  t.is(answers.length, 2, 'the second answer was remembered');
});
