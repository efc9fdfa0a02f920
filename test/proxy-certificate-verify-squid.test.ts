// The verify proc and a real HTTPS proxy product (squid https_port, trusted through
// NODE_EXTRA_CA_CERTS): the proc is asked about the proxy, then about an https origin, once per
// session; a refusal of the proxy keeps the request away from it. The whole behaviour
// (untrusted proxies, key changes, bounds): test/proxy-certificate-verify.test.ts.
import test from 'ava';
import type { CertificateVerifyRequest } from '../ts/index';
import { cleanupFixtures, describe, freshSession, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.after.always(() => cleanupFixtures());

for (const scheme of ['http', 'https'] as const) {
  testIf(test, 'squid')(`squid https_port, ${scheme} origin: the proc is asked about the proxy first, once per session`, async (t) => {
    const [origin, proxy] = await Promise.all([startOrigin(t, scheme), squid(t, { auth: 'none', httpsPort: true })]);
    const ses = freshSession();
    await ses.setProxy({ proxyRules: `https://127.0.0.1:${proxy.httpsPort}` });
    const seen: CertificateVerifyRequest[] = [];
    ses.setCertificateVerifyProc((request, callback) => {
      seen.push(request);
      callback(0);
    });
    const first = await run({ url: origin.url('/one'), session: ses });
    t.is(first.statusCode, 200, describe(first));
    t.is(seen[0]?.hostname, '127.0.0.1');
    t.is(seen[0]?.verificationResult, 'net::OK');
    t.is(seen.length, scheme === 'https' ? 2 : 1);
    if (scheme === 'https') t.not(seen[1].certificate.fingerprint, seen[0].certificate.fingerprint);
    const second = await run({ url: origin.url('/two'), session: ses });
    t.is(second.statusCode, 200, describe(second));
    t.is(seen.length, scheme === 'https' ? 2 : 1);
    t.is(origin.to('/one').length + origin.to('/two').length, 2);
  });
}

testIf(test, 'squid')('squid https_port: a proc that refuses the proxy → net::ERR_FAILED, nothing reaches the origin', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none', httpsPort: true })]);
  const ses = freshSession();
  await ses.setProxy({ proxyRules: `https://127.0.0.1:${proxy.httpsPort}` });
  ses.setCertificateVerifyProc((_request, callback) => callback(-2));
  const result = await run({ url: origin.url('/refused'), session: ses });
  t.is(result.error?.message, 'net::ERR_FAILED', describe(result));
  t.is(origin.requests.length, 0);
});
