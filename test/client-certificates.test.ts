// Client certificates (a curl-net addition): the session's identities by host pattern, PEM and
// PKCS#12, and the request's 'select-client-certificate' event, against Node https servers
// with requestCert: true.
import test from 'ava';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { net, session, type ClientCertificate, type NetError, type Session } from '../ts/index';
import { trustedTestCertificates } from './helpers/tls-certs';

const trust = trustedTestCertificates(test);
let partitions = 0;

/** A server that wants a client certificate from the test CA; answers with the peer's CN. */
async function serve(options: https.ServerOptions = {}): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = https.createServer(
    { key: trust.certs.valid.key, cert: trust.certs.valid.cert, ca: trust.certs.ca.cert, requestCert: true, rejectUnauthorized: true, ...options },
    (req, res) => {
      requests.push(req.url!);
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`hello ${peer.subject?.CN ?? 'anonymous'}`);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trust.closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function fresh(): Session {
  return session.fromPartition(`client-certs-${partitions++}`);
}

function get(url: string, ses: Session, onSelect?: (info: unknown, callback: (c?: ClientCertificate | null) => void) => void): Promise<string> {
  return new Promise((resolve) => {
    const request = net.request({ url, session: ses });
    if (onSelect) request.on('select-client-certificate', onSelect);
    request.on('error', (error) => resolve((error as NetError).message));
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.end();
  });
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`no certificate for a server that requires one → net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED (${version})`, async (t) => {
    const server = await serve({ minVersion: version, maxVersion: version });
    t.is(await get(`${server.url}/`, fresh()), 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED');
    t.deepEqual(server.requests, []);
  });

  test(`the session's PEM certificate and key for the host (${version})`, async (t) => {
    const server = await serve({ minVersion: version, maxVersion: version });
    const ses = fresh();
    ses.setClientCertificates([{ host: '127.0.0.1', cert: trust.more.client.cert, key: trust.more.client.key }]);
    t.is(await get(`${server.url}/`, ses), 'hello client');
  });

  test(`the session's PKCS#12 identity with its passphrase (${version})`, async (t) => {
    const server = await serve({ minVersion: version, maxVersion: version });
    const ses = fresh();
    ses.setClientCertificates([{ host: '*', pfx: trust.more.client.p12, passphrase: trust.more.client.passphrase }]);
    t.is(await get(`${server.url}/`, ses), 'hello client');
  });
}

test('host patterns: port, wildcard and first match; a non-matching rule sends nothing', async (t) => {
  const server = await serve();
  const port = new URL(server.url).port;
  const cases: Array<[string, string]> = [
    [`127.0.0.1:${port}`, 'hello client'],
    ['127.0.0.1:1', 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED'],
    ['*.example.com', 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED'],
    ['localhost', 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED'],
  ];
  for (const [host, expected] of cases) {
    const ses = fresh();
    ses.setClientCertificates([{ host, cert: trust.more.client.cert, key: trust.more.client.key }]);
    t.is(await get(`${server.url}/`, ses), expected, host);
  }
});

test('a wrong PKCS#12 passphrase → net::ERR_BAD_SSL_CLIENT_AUTH_CERT', async (t) => {
  const server = await serve();
  const ses = fresh();
  ses.setClientCertificates([{ host: '*', pfx: trust.more.client.p12, passphrase: 'wrong' }]);
  t.is(await get(`${server.url}/`, ses), 'net::ERR_BAD_SSL_CLIENT_AUTH_CERT');
  t.deepEqual(server.requests, []);
});

test('a certificate with the wrong key → net::ERR_BAD_SSL_CLIENT_AUTH_CERT', async (t) => {
  const server = await serve();
  const ses = fresh();
  ses.setClientCertificates([{ host: '*', cert: trust.more.client.cert, key: trust.certs.selfSigned.key }]);
  t.is(await get(`${server.url}/`, ses), 'net::ERR_BAD_SSL_CLIENT_AUTH_CERT');
  t.deepEqual(server.requests, []);
});

test("TLS 1.2: a server's handshake_failure is told apart: a cipher mismatch stays one, a wanted certificate asks the listener", async (t) => {
  const wants = await serve({ maxVersion: 'TLSv1.2' });
  let asked = 0;
  const chosen = await get(`${wants.url}/`, fresh(), (_info, callback) => {
    asked += 1;
    callback({ pfx: trust.more.client.p12, passphrase: trust.more.client.passphrase });
  });
  t.is(chosen, 'hello client');
  t.is(asked, 1);
  const mismatch = await serve({ requestCert: false, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  const ses = fresh();
  ses.setSSLConfig({ disabledCipherSuites: [0xc02b] });
  t.is(await get(`${mismatch.url}/`, ses, () => (asked += 1)), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
  t.is(asked, 1);
});

test("'select-client-certificate' is asked once when the server wants one; the request goes on with the choice", async (t) => {
  const server = await serve();
  const asked: unknown[] = [];
  const body = await get(`${server.url}/chosen`, fresh(), (info, callback) => {
    asked.push(info);
    setTimeout(() => callback({ cert: trust.more.client.cert, key: trust.more.client.key }), 10);
  });
  t.is(body, 'hello client');
  t.deepEqual(asked, [{ url: `${server.url}/chosen`, host: '127.0.0.1', port: Number(new URL(server.url).port) }]);
  t.deepEqual(server.requests, ['/chosen']);
});

test("'select-client-certificate' answered with nothing fails with net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED", async (t) => {
  const server = await serve();
  t.is(await get(`${server.url}/`, fresh(), (_info, callback) => callback()), 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED');
});

test("'select-client-certificate' is not asked for a server that does not want a certificate", async (t) => {
  const server = await serve({ requestCert: false });
  let asked = 0;
  t.is(await get(`${server.url}/`, fresh(), () => (asked += 1)), 'hello anonymous');
  t.is(asked, 0);
});

test('setClientCertificates refuses bad input and keeps the old list; an empty list applies to the next connection', async (t) => {
  const server = await serve();
  const ses = fresh();
  ses.setClientCertificates([{ host: '*', cert: trust.more.client.cert, key: trust.more.client.key }]);
  for (const bad of [
    'x',
    [{ cert: trust.more.client.cert, key: trust.more.client.key }],
    [{ host: '*', cert: trust.more.client.cert }],
    [{ host: '*', pfx: 'not a buffer' }],
    [{ host: '*', pfx: trust.more.client.p12, cert: trust.more.client.cert, key: trust.more.client.key }],
    [{ host: 'bad host!', cert: trust.more.client.cert, key: trust.more.client.key }],
  ]) {
    t.throws(() => ses.setClientCertificates(bad as never), { instanceOf: TypeError }, JSON.stringify(bad).slice(0, 60));
  }
  t.is(await get(`${server.url}/`, ses), 'hello client');
  ses.setClientCertificates([]);
  t.is(await get(`${server.url}/`, ses), 'net::ERR_SSL_CLIENT_AUTH_CERT_NEEDED');
});
