// The proxy-certificate-verify stage by itself: which hops it pins (HTTPS proxies, with a proc),
// the pin and libcurl's proxy verification for an accepted chain, and what a pin failure leads
// to (a bounded number of new questions). The probe and the proc end to end:
// test/proxy-certificate-verify.test.ts.
import test from 'ava';
import { DoneFlag } from '../../ts/native';
import type { NetErrorName } from '../../ts/net-error-codes';
import { fromPartition, type Session } from '../../ts/session';
import type { ProxyHop } from '../../ts/session-proxy';
import { leafPublicKeyPin, proxyCertificateVerify, proxyVerdictKey } from '../../ts/stages/proxy-certificate-verify';
import { makeTestCerts, type TestCerts } from '../helpers/certs';
import { harness, outcome } from '../helpers/stage-harness';

let certs: TestCerts;
test.before(() => {
  certs = makeTestCerts();
});
test.after.always(() => certs?.cleanup());

let partitions = 0;
const HTTPS_PROXY: ProxyHop = { url: 'https://proxy.test:3129', host: 'proxy.test', port: 3129, scheme: 'https' };
const HTTP_PROXY: ProxyHop = { url: 'http://proxy.test:3128', host: 'proxy.test', port: 3128, scheme: 'http' };
const pinFailure = outcome({ curlCode: 90, flags: DoneFlag.UsedProxy | DoneFlag.Connected, message: 'SSL: public key does not match pinned public key' });

function withProc(): Session {
  const session = fromPartition(`proxy-certificate-verify-stage-${partitions++}`);
  session.setCertificateVerifyProc((_request, callback) => callback(0));
  return session;
}

/** The proc accepts `chain` for the proxy, told libcurl's verdict `builtIn`. */
async function accept(session: Session, chain: string, builtIn: NetErrorName | null): Promise<void> {
  const verdict = await session._certificateVerifier!.ask('proxy.test', proxyVerdictKey(HTTPS_PROXY), chain, builtIn);
  if (!verdict.accepted) throw new Error('not accepted');
}

test('not the stage\'s business: no proc, a direct hop, an HTTP proxy', async (t) => {
  const noProc = harness(proxyCertificateVerify, 'https://example.test/', { session: fromPartition(`proxy-cv-${partitions++}`) });
  noProc.state.proxy = HTTPS_PROXY;
  t.deepEqual((await noProc.prepare()).extras, {});
  const session = withProc();
  const direct = harness(proxyCertificateVerify, 'https://example.test/', { session });
  t.deepEqual((await direct.prepare()).extras, {});
  const plain = harness(proxyCertificateVerify, 'https://example.test/', { session });
  plain.state.proxy = HTTP_PROXY;
  t.deepEqual((await plain.prepare()).extras, {});
  t.is(plain.stage.onDone!(pinFailure), undefined);
});

test('a chain libcurl trusts, accepted: pinned to its key, libcurl\'s verification stays on', async (t) => {
  const session = withProc();
  await accept(session, certs.valid.cert, null);
  const h = harness(proxyCertificateVerify, 'http://example.test/', { session });
  h.state.proxy = HTTPS_PROXY;
  const draft = await h.prepare();
  t.is(draft.extras.proxyPinnedPublicKey, leafPublicKeyPin(certs.valid.cert)!);
  t.is(draft.extras.proxyTrustPinnedOnly, undefined);
});

test('a chain libcurl refuses, accepted: the pin is the only judge', async (t) => {
  const session = withProc();
  await accept(session, certs.selfSigned.cert, 'ERR_CERT_AUTHORITY_INVALID');
  const h = harness(proxyCertificateVerify, 'https://example.test/', { session });
  h.state.proxy = HTTPS_PROXY;
  const draft = await h.prepare();
  t.is(draft.extras.proxyPinnedPublicKey, leafPublicKeyPin(certs.selfSigned.cert)!);
  t.is(draft.extras.proxyTrustPinnedOnly, 1);
});

test('a verdict for the proxy is not one for an origin at the same host and port', async (t) => {
  const session = withProc();
  await accept(session, certs.valid.cert, null);
  t.is(session._certificateVerifier!.accepted('proxy.test:3129').chains, '');
});

test('a pin failure: the proxy is asked about again, a bounded number of times, then net::ERR_PROXY_CERTIFICATE_INVALID', async (t) => {
  const session = withProc();
  await accept(session, certs.valid.cert, null);
  const h = harness(proxyCertificateVerify, 'http://example.test/', { session });
  h.state.proxy = HTTPS_PROXY;
  await h.prepare();
  // Another failure is someone else's (proxy failover, the error mapping).
  t.is(h.stage.onDone!(outcome({ curlCode: 7, osErrno: 111, flags: DoneFlag.UsedProxy })), undefined);
  for (let i = 0; i < 3; i++) t.is(h.stage.onDone!(pinFailure), 'handled');
  t.deepEqual(h.log, [{ restart: { kind: 'certificate' } }, { restart: { kind: 'certificate' } }, { restart: { kind: 'certificate' } }]);
  t.is(h.stage.onDone!(pinFailure), 'handled');
  t.is((h.log[3] as { fail: Error }).fail.message, 'net::ERR_PROXY_CERTIFICATE_INVALID');
});
