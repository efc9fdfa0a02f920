// Stapled OCSP responses (issue #14: "revoked where OCSP stapling says so"): every TLS
// connection asks the server to staple; a response signed for the server's certificate that
// says "revoked" is net::ERR_CERT_REVOKED (with the certificate attached, and what a verify
// proc is told); anything else a server staples, or no staple at all, changes nothing, as in
// Chromium. Real Node https servers staple responses the openssl CLI signed.
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { net, session, NetError, type CertificateVerifyRequest, type Session } from '../ts/index';
import { native } from '../ts/native';
import { ocspResponse, startStaplingServer, type CertificateStatus, type StaplingServer } from './helpers/ocsp';
import { bodyOrError } from './helpers/collect';
import { trustedTestCertificates } from './helpers/tls-certs';

const trust = trustedTestCertificates(test);
let partitions = 0;

// The watch needs libcurl's TLS to be the OpenSSL the addon calls (native/tls_watch.h); both
// builds this repository makes have that.
const watched = /^OpenSSL\//.test(native().versions().ssl);

function fresh(): Session {
  return session.fromPartition(`ocsp-${partitions++}`);
}

function signedByCa(status: CertificateStatus): Buffer {
  return ocspResponse(trust.certs.valid.cert, trust.certs.ca.cert, trust.certs.ca, status);
}

async function server(staple: Buffer | null): Promise<StaplingServer> {
  const started = await startStaplingServer(trust.certs.valid, staple);
  trust.closers.push(() => started.close());
  return started;
}

function get(url: string, ses: Session): Promise<{ body?: string; error?: NetError }> {
  return bodyOrError(net.request({ url, session: ses }));
}

test('the openssl CLI made the responses these tests staple', (t) => {
  t.true(watched, `libcurl's TLS is ${native().versions().ssl}`);
  t.true(signedByCa('revoked').length > 100);
});

test('a staple signed by the issuer that says revoked: net::ERR_CERT_REVOKED, certificate attached, no request sent', async (t) => {
  const origin = await server(signedByCa('revoked'));
  const { error } = await get(origin.url, fresh());
  t.is(error?.message, 'net::ERR_CERT_REVOKED');
  t.is(error?.code, 'ERR_CERT_REVOKED');
  t.is(error?.certificate?.data.trim(), new X509Certificate(trust.certs.valid.cert).toString().trim());
  t.true(origin.statusRequests >= 1, 'the client asked for a staple');
  t.is(origin.requests, 0);
});

test('net.fetch: the same revoked staple rejects with net::ERR_CERT_REVOKED', async (t) => {
  const origin = await server(signedByCa('revoked'));
  const error = await t.throwsAsync(net.fetch(origin.url, { session: fresh() } as RequestInit));
  t.is(error?.message, 'net::ERR_CERT_REVOKED');
});

test('a staple that says good, no staple, an unreadable staple: the request succeeds; each handshake asked for one', async (t) => {
  for (const staple of [signedByCa('good'), null, Buffer.from('not an OCSP response')]) {
    const origin = await server(staple);
    t.deepEqual(await get(origin.url, fresh()), { body: 'ok' });
    t.is(origin.statusRequests, 1);
  }
});

test('a "revoked" staple not signed for the chain (another key) is no information: the request succeeds', async (t) => {
  const forged = ocspResponse(trust.certs.valid.cert, trust.certs.ca.cert, trust.more.otherSelfSigned, 'revoked');
  const origin = await server(forged);
  t.deepEqual(await get(origin.url, fresh()), { body: 'ok' });
});

test('revocation is judged per connection: a pooled connection made before the server started stapling "revoked" still serves', async (t) => {
  const origin = await server(null);
  const ses = fresh();
  t.deepEqual(await get(origin.url, ses), { body: 'ok' });
  origin.staple = signedByCa('revoked');
  t.deepEqual(await get(origin.url, ses), { body: 'ok' });
  await ses.closeAllConnections();
  t.is((await get(origin.url, ses)).error?.message, 'net::ERR_CERT_REVOKED');
});

test('a verify proc is told net::ERR_CERT_REVOKED (-206); callback(0) overrides it, callback(-3) keeps it', async (t) => {
  const origin = await server(signedByCa('revoked'));
  const accepting = fresh();
  const seen: CertificateVerifyRequest[] = [];
  accepting.setCertificateVerifyProc((request, callback) => {
    seen.push(request);
    callback(0);
  });
  t.deepEqual(await get(origin.url, accepting), { body: 'ok' });
  t.is(seen.length, 1);
  t.is(seen[0].verificationResult, 'net::ERR_CERT_REVOKED');
  t.is(seen[0].errorCode, -206);
  t.is(seen[0].hostname, '127.0.0.1');
  // The verdict is cached: a second connection presenting the same chain does not ask again.
  const handshakes = origin.statusRequests;
  origin.dropConnections();
  t.deepEqual(await get(origin.url, accepting), { body: 'ok' });
  t.true(origin.statusRequests > handshakes, 'a new connection was made');
  t.is(seen.length, 1);

  const builtIn = fresh();
  builtIn.setCertificateVerifyProc((_request, callback) => callback(-3));
  const { error } = await get(origin.url, builtIn);
  t.is(error?.message, 'net::ERR_CERT_REVOKED');
  t.truthy(error?.certificate);
});
