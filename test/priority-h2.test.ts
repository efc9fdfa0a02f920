// priority / priorityIncremental end to end against node:http2, over a TLS connection whose
// certificate (from a private CA libcurl does not trust) is accepted by a verify proc that
// checks the issuer's signature: the RFC 9218 header for every combination.
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { net, session } from '../ts/index';
import { collect } from './helpers/collect';
import { makeTestCerts, type TestCerts } from './helpers/certs';

let certs: TestCerts;
let server: http2.Http2SecureServer;
let url: string;
const open = new Set<http2.ServerHttp2Session>();
const seen = new Map<string, http2.IncomingHttpHeaders>();
const ses = session.fromPartition('priority-h2');
let procCalls = 0;

test.before(async () => {
  certs = makeTestCerts();
  const ca = new X509Certificate(certs.ca.cert);
  // An application that pins its own CA: accept what that CA signed, refuse everything else.
  ses.setCertificateVerifyProc((request, callback) => {
    procCalls += 1;
    const leaf = new X509Certificate(request.certificate.data);
    callback(leaf.checkIssued(ca) && leaf.verify(ca.publicKey) ? 0 : -2);
  });
  server = http2.createSecureServer({ key: certs.valid.key, cert: certs.valid.cert });
  server.on('session', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });
  server.on('stream', (stream, headers) => {
    seen.set(String(headers[':path']), headers);
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => {
  for (const s of open) s.destroy();
  server?.close();
  certs?.cleanup();
});

// Chromium's urgencies: highest 0, medium 1, low 2, lowest 3 (the RFC default: no u=), idle
// 4, throttled 5; "i" when incremental; no header at all for lowest, non-incremental.
const EXPECTED: Array<[string, boolean, string | undefined]> = [
  ['highest', false, 'u=0'],
  ['highest', true, 'u=0, i'],
  ['medium', false, 'u=1'],
  ['medium', true, 'u=1, i'],
  ['low', false, 'u=2'],
  ['low', true, 'u=2, i'],
  ['lowest', false, undefined],
  ['lowest', true, 'i'],
  ['idle', false, 'u=4'],
  ['idle', true, 'u=4, i'],
  ['throttled', false, 'u=5'],
  ['throttled', true, 'u=5, i'],
];

test.serial('the priority header of every priority × incremental combination, over HTTP/2', async (t) => {
  for (const [priority, incremental, expected] of EXPECTED) {
    const path = `/${priority}-${incremental}`;
    const request = net.request({ url: `${url}${path}`, session: ses, priority: priority as never, priorityIncremental: incremental });
    request.end();
    const { response } = await collect(request);
    t.is(response.httpVersion, '2.0');
    t.is(seen.get(path)?.priority, expected, `${priority}, incremental ${incremental}`);
  }
  t.is(procCalls, 1, 'one verdict for the connection(s) to this origin');
});

test.serial('a certificate from another issuer is refused by the same proc', async (t) => {
  const other = http2.createSecureServer({ key: certs.selfSigned.key, cert: certs.selfSigned.cert });
  const otherSessions = new Set<http2.ServerHttp2Session>();
  other.on('session', (s) => otherSessions.add(s));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const request = net.request({ url: `https://127.0.0.1:${(other.address() as AddressInfo).port}/`, session: ses });
    request.end();
    await t.throwsAsync(collect(request), { message: 'net::ERR_FAILED' });
  } finally {
    for (const s of otherSessions) s.destroy();
    other.close();
  }
});
