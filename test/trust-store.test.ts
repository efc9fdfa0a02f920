// Which CAs are trusted: the system store plus NODE_EXTRA_CA_CERTS; SSL_CERT_FILE is ignored
// (as Node and Chromium ignore it). Serial, own file: it changes process.env.
import test from 'ava';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { net } from '../ts/index';
import { caBundlePath, resetCaBundle } from '../ts/ca-bundle';
import { makeTestCerts, TestCerts } from './helpers/certs';

let certs: TestCerts;
let server: https.Server;
let url: string;
const saved = { SSL_CERT_FILE: process.env.SSL_CERT_FILE, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS };

test.before(async () => {
  certs = makeTestCerts();
  server = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, (_req, res) => res.end('trusted'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
test.after.always(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetCaBundle();
  server?.close();
  certs?.cleanup();
});

function get(): Promise<string> {
  return new Promise((resolve) => {
    const req = net.request(url);
    req.on('error', (error) => resolve(error.message));
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve(Buffer.concat(chunks).toString()));
    });
    req.end();
  });
}

test.serial('SSL_CERT_FILE does not replace the trust store: a CA only it names is not trusted', async (t) => {
  delete process.env.NODE_EXTRA_CA_CERTS;
  process.env.SSL_CERT_FILE = certs.caFile;
  resetCaBundle();
  t.not(caBundlePath(), certs.caFile);
  t.is(await get(), 'net::ERR_CERT_AUTHORITY_INVALID');
});

test.serial('SSL_CERT_FILE naming an empty file does not remove the system CAs', (t) => {
  delete process.env.NODE_EXTRA_CA_CERTS;
  const empty = path.join(certs.dir, 'empty.pem');
  fs.writeFileSync(empty, '');
  process.env.SSL_CERT_FILE = empty;
  resetCaBundle();
  const bundle = fs.readFileSync(caBundlePath(), 'utf8');
  t.true(bundle.includes('BEGIN CERTIFICATE'), 'the system CAs are still there');
});

test.serial('NODE_EXTRA_CA_CERTS adds a CA (the supported way), with SSL_CERT_FILE set or not', async (t) => {
  process.env.SSL_CERT_FILE = '/nonexistent/ca.pem';
  process.env.NODE_EXTRA_CA_CERTS = certs.caFile;
  resetCaBundle();
  t.is(await get(), 'trusted');
});
