// The certificate-verify stage by itself: what it asks the certificate gate for, how a held
// hop becomes a question to the proc and a restart, libcurl's verdict on the way, and the
// bounds. Also Electron's callback values and setSSLConfig's mapping to libcurl options.
import test from 'ava';
import { verdictFromCallback } from '../../ts/certificate-verifier';
import { DoneFlag } from '../../ts/native';
import { fromPartition } from '../../ts/session';
import { sslExtrasFor } from '../../ts/ssl-config';
import { certificateVerify } from '../../ts/stages/certificate-verify';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { harness, outcome } from '../helpers/stage-harness';

let certs: TestCerts;
test.before(() => {
  certs = makeTestCerts();
});
test.after.always(() => certs?.cleanup());

let partitions = 0;
const fresh = () => fromPartition(`certificate-verify-stage-${partitions++}`);
const held = (chain: string) => outcome({ curlCode: 42, flags: DoneFlag.CertificateHeld | DoneFlag.Connected, peerChain: chain });
const selfSignedError = outcome({ curlCode: 60, sslVerifyResult: 18, message: 'SSL certificate problem: self-signed certificate' });

test('without a proc: no gate; the session\'s SSL config goes into every hop', async (t) => {
  const session = fresh();
  session.setSSLConfig({ minVersion: 'tls1.2', disabledCipherSuites: [0xc02b, 0x1301] });
  const h = harness(certificateVerify, 'https://example.test/', { session });
  const draft = await h.prepare();
  t.is(draft.extras.certificateGate, undefined);
  t.is(draft.extras.sslVersion, 6);
  t.is(draft.extras.sslCipherList, 'DEFAULT:!ECDHE-ECDSA-AES128-GCM-SHA256');
  t.is(draft.extras.tls13Ciphers, 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256');
});

test('without a proc: a certificate error is followed by one probe hop that accepts nothing, then fails with the certificate', async (t) => {
  const h = harness(certificateVerify, 'https://127.0.0.1/', { session: fresh() });
  await h.prepare();
  t.is(h.stage.onDone!(selfSignedError), 'handled');
  t.deepEqual(h.log, [{ restart: { kind: 'certificate' } }]);
  const probe = await h.prepare();
  t.is(probe.extras.certificateGate, 2);
  t.is(probe.extras.acceptedChains, '');
  t.is(h.stage.onDone!(held(certs.selfSigned.cert)), 'handled');
  const failure = (h.log[1] as { fail: Error & { certificate?: { subjectName: string } } }).fail;
  t.is(failure.message, 'net::ERR_CERT_AUTHORITY_INVALID');
  t.is(failure.certificate?.subjectName, '127.0.0.1');
});

test('plain http and other failures are not the stage\'s business', async (t) => {
  const session = fresh();
  session.setCertificateVerifyProc((_r, cb) => cb(0));
  const h = harness(certificateVerify, 'http://example.test/', { session });
  t.is((await h.prepare()).extras.certificateGate, undefined);
  t.is(h.stage.onDone!(outcome({ curlCode: 7, osErrno: 111 })), undefined);
  const tls = harness(certificateVerify, 'https://example.test/', { session: fresh() });
  await tls.prepare();
  t.is(tls.stage.onDone!(outcome({ curlCode: 7, osErrno: 111 })), undefined);
  t.deepEqual(tls.log, []);
});

test('with a proc: a held hop asks the proc (libcurl accepted the chain: net::OK), remembers the verdict and runs again', async (t) => {
  const session = fresh();
  const asked: unknown[] = [];
  session.setCertificateVerifyProc((request, callback) => {
    asked.push([request.hostname, request.verificationResult, request.errorCode, request.isIssuedByKnownRoot]);
    setImmediate(() => callback(0));
  });
  const h = harness(certificateVerify, 'https://example.test:8443/', { session });
  const first = await h.prepare();
  t.is(first.extras.certificateGate, 1, 'libcurl verifies too');
  t.is(first.extras.acceptedChains, '');
  t.is(h.stage.onDone!(held(certs.valid.cert)), 'hold');
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(asked, [['example.test', 'net::OK', 0, true]]);
  t.deepEqual(h.log, [{ restart: { kind: 'certificate' } }]);
  const again = await h.prepare();
  t.is(again.extras.certificateGate, 1);
  t.is(again.extras.acceptedChains, certs.valid.cert);
  // Another request to the same origin starts with the verdict; another port does not.
  t.is((await harness(certificateVerify, 'https://example.test:8443/x', { session }).prepare()).extras.acceptedChains, certs.valid.cert);
  t.is((await harness(certificateVerify, 'https://example.test/', { session }).prepare()).extras.acceptedChains, '');
});

test('with a proc: libcurl refuses the chain → its error is kept, the chain is fetched with libcurl\'s verification off, and the proc hears the error', async (t) => {
  const session = fresh();
  const asked: string[] = [];
  session.setCertificateVerifyProc((request, callback) => {
    asked.push(`${request.verificationResult} ${request.errorCode}`);
    callback(0);
  });
  const h = harness(certificateVerify, 'https://127.0.0.1/', { session });
  await h.prepare();
  t.is(h.stage.onDone!(selfSignedError), 'handled');
  const second = await h.prepare();
  t.is(second.extras.certificateGate, 2);
  t.is(h.stage.onDone!(held(certs.selfSigned.cert)), 'hold');
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(asked, ['net::ERR_CERT_AUTHORITY_INVALID -202']);
  const third = await h.prepare();
  t.is(third.extras.certificateGate, 2);
  t.is(third.extras.acceptedChains, certs.selfSigned.cert);
  // A later request goes straight to gate 2 for this origin, and still asks libcurl first
  // when a chain it has not judged shows up there.
  const later = harness(certificateVerify, 'https://127.0.0.1/', { session });
  t.is((await later.prepare()).extras.certificateGate, 2);
  t.is(later.stage.onDone!(held(certs.expired.cert)), 'handled');
  t.is((await later.prepare()).extras.certificateGate, 1, 'libcurl\'s verdict on the new chain first');
});

test('with a proc: a refused verdict is remembered and fails the next request without asking', async (t) => {
  const session = fresh();
  let calls = 0;
  session.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    callback(-202);
  });
  for (let i = 0; i < 2; i++) {
    const h = harness(certificateVerify, 'https://example.test/', { session });
    await h.prepare();
    h.stage.onDone!(held(certs.valid.cert));
    await new Promise((resolve) => setImmediate(resolve));
    const failure = (h.log[0] as { fail: Error & { certificate?: unknown } }).fail;
    t.is(failure.message, 'net::ERR_CERT_AUTHORITY_INVALID');
    t.truthy(failure.certificate);
  }
  t.is(calls, 1);
});

test('with a proc: a connection the gate never saw is retried fresh; restarts are bounded', async (t) => {
  const session = fresh();
  session.setCertificateVerifyProc((_r, cb) => cb(0));
  const h = harness(certificateVerify, 'https://example.test/', { session });
  await h.prepare();
  const unknown = outcome({ curlCode: 42, flags: DoneFlag.UnknownConnection });
  t.is(h.stage.onDone!(unknown), 'handled');
  t.is((await h.prepare()).extras.freshConnect, 1);
  for (let i = 1; i < 8; i++) {
    h.stage.onDone!(unknown);
    await h.prepare();
  }
  t.is(h.log.filter((entry) => 'restart' in entry).length, 8);
  t.is(h.stage.onDone!(unknown), 'handled');
  t.is((h.log[h.log.length - 1] as { fail: Error }).fail.message, 'net::ERR_FAILED');
});

test('Electron\'s callback values', (t) => {
  t.deepEqual(verdictFromCallback(0, 'ERR_CERT_DATE_INVALID'), { accepted: true, error: null });
  t.deepEqual(verdictFromCallback(-2, null), { accepted: false, error: 'ERR_FAILED' });
  t.deepEqual(verdictFromCallback(-3, null), { accepted: true, error: null });
  t.deepEqual(verdictFromCallback(-3, 'ERR_CERT_DATE_INVALID'), { accepted: false, error: 'ERR_CERT_DATE_INVALID' });
  t.deepEqual(verdictFromCallback(-201, null), { accepted: false, error: 'ERR_CERT_DATE_INVALID' });
  t.deepEqual(verdictFromCallback(-105, null), { accepted: false, error: 'ERR_NAME_NOT_RESOLVED' });
  for (const odd of [1, -99999, '0', undefined, Number.NaN]) t.deepEqual(verdictFromCallback(odd, null), { accepted: false, error: 'ERR_FAILED' });
});

test('setSSLConfig values as libcurl options', (t) => {
  t.deepEqual(sslExtrasFor({}), {});
  t.deepEqual(sslExtrasFor({ minVersion: 'tls1.3' }), { sslVersion: 7 });
  t.deepEqual(sslExtrasFor({ maxVersion: 'tls1.2' }), { sslVersion: 1 | (6 << 16) });
  t.deepEqual(sslExtrasFor({ minVersion: 'tls1', maxVersion: 'tls1.1' }), { sslVersion: 4 | (5 << 16) });
  t.deepEqual(sslExtrasFor({ disabledCipherSuites: [0x1301, 0x1302, 0x1303] }), { sslVersion: 1 | (6 << 16) });
  t.deepEqual(sslExtrasFor({ disabledCipherSuites: [0xffff] }), {}, 'a suite OpenSSL does not offer is ignored');
});
