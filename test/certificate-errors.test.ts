// Every certificate error OpenSSL can tell apart, end to end against Node https servers with
// certificates made in the test, and the server's certificate attached to the error.
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { net, session, NetError } from '../ts/index';
import { trustedTestCertificates } from './helpers/tls-certs';

const trust = trustedTestCertificates(test);

async function serve(options: https.ServerOptions): Promise<string> {
  const server = https.createServer(options, (_req, res) => res.end('tls ok'));
  trust.closers.push(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function get(url: string, partition = 'certificate-errors'): Promise<{ body?: string; error?: NetError }> {
  return new Promise((resolve) => {
    const request = net.request({ url, session: session.fromPartition(partition) });
    request.on('error', (error) => resolve({ error: error as NetError }));
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve({ body: response.statusCode === 200 ? body : `${response.statusCode} ${body}` }));
    });
    request.end();
  });
}

const leafOf = (pem: string) => new X509Certificate(pem);

const cases: Array<[string, () => https.ServerOptions, string, () => string]> = [
  ['self-signed', () => ({ key: trust.certs.selfSigned.key, cert: trust.certs.selfSigned.cert }), 'ERR_CERT_AUTHORITY_INVALID', () => trust.certs.selfSigned.cert],
  ['expired', () => ({ key: trust.certs.expired.key, cert: trust.certs.expired.cert }), 'ERR_CERT_DATE_INVALID', () => trust.certs.expired.cert],
  ['not yet valid', () => ({ key: trust.certs.notYetValid.key, cert: trust.certs.notYetValid.cert }), 'ERR_CERT_DATE_INVALID', () => trust.certs.notYetValid.cert],
  ['for another host', () => ({ key: trust.certs.wrongHost.key, cert: trust.certs.wrongHost.cert }), 'ERR_CERT_COMMON_NAME_INVALID', () => trust.certs.wrongHost.cert],
  ['with a 768-bit RSA key', () => ({ key: trust.more.weakKey.key, cert: trust.more.weakKey.cert, ciphers: 'DEFAULT@SECLEVEL=0' }), 'ERR_CERT_WEAK_KEY', () => trust.more.weakKey.cert],
  ['outside its issuer\'s name constraints', () => ({ key: trust.more.constrained.key, cert: trust.more.constrained.chain }), 'ERR_CERT_NAME_CONSTRAINT_VIOLATION', () => trust.more.constrained.cert],
  ['with a broken signature', () => ({ key: trust.more.badSignature.key, cert: trust.more.badSignature.cert }), 'ERR_CERT_INVALID', () => trust.more.badSignature.cert],
];

for (const [title, options, expected, served] of cases) {
  test(`a certificate ${title} → net::${expected}, with the certificate attached`, async (t) => {
    const { error } = await get(await serve(options()));
    t.truthy(error);
    t.is(error!.message, `net::${expected}`);
    const certificate = error!.certificate;
    t.truthy(certificate, 'the server certificate is attached to the error');
    const x509 = leafOf(served());
    t.is(certificate!.serialNumber, x509.serialNumber);
    t.is(certificate!.data.trim(), x509.toString().trim());
    t.is(certificate!.validExpiry, Math.floor(Date.parse(x509.validTo) / 1000));
  });
}

test('the attached certificate is Electron-shaped: principals, fingerprint, issuerCert', async (t) => {
  const { error } = await get(await serve({ key: trust.more.constrained.key, cert: trust.more.constrained.chain }));
  const certificate = error!.certificate!;
  t.is(certificate.subjectName, 'constrained');
  t.is(certificate.subject.commonName, 'constrained');
  t.deepEqual(certificate.subject.organizations, []);
  t.is(certificate.issuerName, 'inter');
  t.is(certificate.fingerprint, `sha256/${Buffer.from(leafOf(trust.more.constrained.cert).fingerprint256.replace(/:/g, ''), 'hex').toString('base64')}`);
  t.truthy(certificate.issuerCert, 'the intermediate the server sent');
  t.is(certificate.issuerCert!.subjectName, 'inter');
  t.is(certificate.issuerCert!.issuerName, 'curl-net test CA');
  t.is(typeof certificate.validStart, 'number');
});

test('the control case: a valid certificate from a trusted CA succeeds, nothing extra', async (t) => {
  t.deepEqual(await get(await serve({ key: trust.certs.valid.key, cert: trust.certs.valid.cert })), { body: 'tls ok' });
});

test('fetching the certificate for the error never sends the request', async (t) => {
  let requests = 0;
  const server = https.createServer({ key: trust.certs.selfSigned.key, cert: trust.certs.selfSigned.cert }, (_req, res) => {
    requests += 1;
    res.end();
  });
  trust.closers.push(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { error } = await get(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.is(error!.message, 'net::ERR_CERT_AUTHORITY_INVALID');
  t.truthy(error!.certificate);
  t.is(requests, 0);
});

for (const scheme of ['http', 'https'] as const) {
  test(`an HTTPS proxy with an untrusted certificate → net::ERR_PROXY_CERTIFICATE_INVALID (${scheme} origin)`, async (t) => {
    // The TLS handshake with the proxy fails before any proxy protocol: a plain https server is
    // proxy enough.
    const proxy = await serve({ key: trust.certs.selfSigned.key, cert: trust.certs.selfSigned.cert });
    const origin = scheme === 'https' ? await serve({ key: trust.certs.valid.key, cert: trust.certs.valid.cert }) : 'http://127.0.0.1:65000/';
    const partition = `https-proxy-${scheme}`;
    await session.fromPartition(partition).setProxy({ proxyRules: proxy.replace(/\/$/, ''), proxyBypassRules: '<-loopback>' });
    const { error, body } = await get(origin, partition);
    t.is(error?.message, 'net::ERR_PROXY_CERTIFICATE_INVALID', JSON.stringify(body));
  });
}

test('an HTTPS proxy whose certificate expired → net::ERR_PROXY_CERTIFICATE_INVALID', async (t) => {
  const proxy = await serve({ key: trust.certs.expired.key, cert: trust.certs.expired.cert });
  await session.fromPartition('https-proxy-expired').setProxy({ proxyRules: proxy.replace(/\/$/, ''), proxyBypassRules: '<-loopback>' });
  const { error } = await get('https://127.0.0.1:65000/', 'https-proxy-expired');
  t.is(error?.message, 'net::ERR_PROXY_CERTIFICATE_INVALID');
});
