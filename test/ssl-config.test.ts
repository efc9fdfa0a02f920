// ses.setSSLConfig against servers that offer one TLS version (and one cipher suite) only.
import test from 'ava';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { net, session, type NetError, type Session } from '../ts/index';
import { resetCaBundle } from '../ts/ca-bundle';
import { makeTestCerts, type TestCerts } from './helpers/certs';

let certs: TestCerts;
const closers: Array<() => void> = [];
let partitions = 0;

test.before(() => {
  certs = makeTestCerts();
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  resetCaBundle();
});
test.after.always(() => {
  for (const close of closers) close();
  certs?.cleanup();
});

async function serve(options: https.ServerOptions): Promise<string> {
  const server = https.createServer({ key: certs.valid.key, cert: certs.valid.cert, ...options }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.end(`${socket.getProtocol()} ${socket.getCipher().standardName}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function fresh(): Session {
  return session.fromPartition(`ssl-config-${partitions++}`);
}

function get(url: string, ses: Session): Promise<string> {
  return new Promise((resolve) => {
    const request = net.request({ url, session: ses });
    request.on('error', (error) => resolve((error as NetError).message));
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.end();
  });
}

test('minVersion tls1.3 refuses a TLS 1.2-only server; the default and tls1.2 connect', async (t) => {
  const url = await serve({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  t.regex(await get(url, fresh()), /^TLSv1\.2 /);
  const strict = fresh();
  strict.setSSLConfig({ minVersion: 'tls1.3' });
  t.is(await get(url, strict), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
  const twelve = fresh();
  twelve.setSSLConfig({ minVersion: 'tls1.2' });
  t.regex(await get(url, twelve), /^TLSv1\.2 /);
});

test('maxVersion tls1.2 refuses a TLS 1.3-only server and caps what a dual server negotiates', async (t) => {
  const only13 = await serve({ minVersion: 'TLSv1.3' });
  const both = await serve({ minVersion: 'TLSv1.2' });
  const capped = fresh();
  capped.setSSLConfig({ maxVersion: 'tls1.2' });
  t.is(await get(only13, capped), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
  t.regex(await get(both, capped), /^TLSv1\.2 /);
  t.regex(await get(both, fresh()), /^TLSv1\.3 /);
});

test('a new configuration applies to new connections: the session can change it back', async (t) => {
  const url = await serve({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const ses = fresh();
  t.regex(await get(url, ses), /^TLSv1\.2 /);
  ses.setSSLConfig({ minVersion: 'tls1.3' });
  t.is(await get(url, ses), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH', 'the pooled TLS 1.2 connection is not reused');
  ses.setSSLConfig({});
  t.regex(await get(url, ses), /^TLSv1\.2 /);
});

test('disabledCipherSuites: a TLS 1.2 suite (IANA number) the only one a server offers', async (t) => {
  const url = await serve({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  t.is(await get(url, fresh()), 'TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  const ses = fresh();
  ses.setSSLConfig({ disabledCipherSuites: [0xc02b] });
  t.is(await get(url, ses), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
  const other = fresh();
  other.setSSLConfig({ disabledCipherSuites: [0xc02c, 0xcca9] });
  t.is(await get(url, other), 'TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
});

test('disabledCipherSuites: a TLS 1.3 suite', async (t) => {
  const url = await serve({ minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
  t.is(await get(url, fresh()), 'TLSv1.3 TLS_CHACHA20_POLY1305_SHA256');
  const ses = fresh();
  ses.setSSLConfig({ disabledCipherSuites: [0x1303] });
  t.is(await get(url, ses), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
});

test('disabling every TLS 1.3 suite leaves TLS 1.2', async (t) => {
  const url = await serve({ minVersion: 'TLSv1.2' });
  const ses = fresh();
  ses.setSSLConfig({ disabledCipherSuites: [0x1301, 0x1302, 0x1303] });
  t.regex(await get(url, ses), /^TLSv1\.2 /);
});

test('invalid values throw Electron\'s conversion error and change nothing', async (t) => {
  const url = await serve({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const ses = fresh();
  const message = /^Error processing argument at index 0, conversion failure from /;
  for (const bad of [
    { minVersion: 'tls1.4' },
    { maxVersion: 'TLSv1.2' },
    { minVersion: 3 },
    { disabledCipherSuites: 'c02b' },
    { disabledCipherSuites: [0x1_0000] },
    { disabledCipherSuites: [1.5] },
    null,
    'tls1.2',
  ]) {
    t.throws(() => ses.setSSLConfig(bad as never), { instanceOf: TypeError, message }, JSON.stringify(bad));
  }
  t.regex(await get(url, ses), /^TLSv1\.2 /);
});

test('the configuration covers an HTTPS proxy too', async (t) => {
  const proxy = await serve({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const ses = fresh();
  await ses.setProxy({ proxyRules: proxy.replace(/\/$/, ''), proxyBypassRules: '<-loopback>' });
  ses.setSSLConfig({ minVersion: 'tls1.3' });
  // No proxy protocol is reached: the TLS handshake with the proxy fails first.
  t.is(await get('http://127.0.0.1:65000/', ses), 'net::ERR_SSL_VERSION_OR_CIPHER_MISMATCH');
});
