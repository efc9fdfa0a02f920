// What a certificate verify proc costs the first request through an HTTPS proxy (issue #14):
// the probe handshake(s) with the proxy and the question, against the same request without a
// proc. A Node HTTPS proxy (CONNECT and absolute-form) on 127.0.0.1 with a certificate trusted
// through NODE_EXTRA_CA_CERTS, an http and an https origin; every sample is a new session (so
// nothing is pooled or cached), the two modes alternate; then the second request of a session.
//   node benchmarks/proxy-verify-proc-cost.mjs [N=40]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const n = Number(process.argv[2] ?? 40);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-verify-cost-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
  '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
const pair = { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'cert.pem');
const require = createRequire(import.meta.url);
const { net: curlNet, session } = require('./load-curl-net.cjs');

const proxy = https.createServer(pair);
proxy.on('connect', (req, client) => {
  const port = Number(req.url.split(':')[1]);
  const upstream = net.connect(port, '127.0.0.1', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
proxy.on('request', (req, res) => {
  const target = new URL(req.url);
  const upstream = http.request({ host: '127.0.0.1', port: target.port, path: target.pathname, method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
  });
  req.pipe(upstream);
});
const handler = (_req, res) => res.end('ok');
const plainOrigin = http.createServer(handler);
const tlsOrigin = https.createServer(pair, handler);
for (const server of [proxy, plainOrigin, tlsOrigin]) await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const urls = { http: `http://127.0.0.1:${plainOrigin.address().port}/`, https: `https://127.0.0.1:${tlsOrigin.address().port}/` };

const one = (url, ses) =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = curlNet.request({ url, session: ses });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    });
    req.on('error', reject);
    req.end();
  });

let partitions = 0;
async function sample(scheme, withProc) {
  const ses = session.fromPartition(`proxy-verify-cost-${partitions++}`);
  await ses.setProxy({ proxyRules: `https://127.0.0.1:${proxy.address().port}`, proxyBypassRules: '<-loopback>' });
  let calls = 0;
  if (withProc) ses.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    callback(0);
  });
  const first = await one(urls[scheme], ses);
  const second = await one(urls[scheme], ses);
  await ses.closeAllConnections();
  return { first, second, calls };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const scheme of ['http', 'https']) {
  await sample(scheme, false);
  await sample(scheme, true); // warm-up
  const results = { false: [], true: [] };
  for (let i = 0; i < n; i++) for (const withProc of [false, true]) results[withProc].push(await sample(scheme, withProc));
  for (const withProc of [false, true]) {
    const r = results[withProc];
    console.log(
      `${scheme} origin via HTTPS proxy, ${withProc ? 'proc (accepts)' : 'no proc       '}: first request median ${median(r.map((x) => x.first)).toFixed(2)} ms, ` +
        `second ${median(r.map((x) => x.second)).toFixed(2)} ms, proc calls per session ${median(r.map((x) => x.calls))}`,
    );
  }
}
for (const server of [proxy, plainOrigin, tlsOrigin]) server.close();
fs.rmSync(dir, { recursive: true, force: true });
