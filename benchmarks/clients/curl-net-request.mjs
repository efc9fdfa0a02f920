// curl-net net.request(): ClientRequest + IncomingMessage, body consumed with 'data' events the way
// an Electron app does it. Upload: chunkedEncoding = true, write() honouring its return value.
import { closeSession, loadCurlNet, setupSession } from '../lib/curl-net-session.mjs';

export async function create(spec) {
  const curlnet = loadCurlNet();
  const { net } = curlnet;
  const { info } = await setupSession(curlnet, spec);
  return {
    info,
    close: () => closeSession(curlnet),
    get(url) {
      return new Promise((resolve, reject) => {
        const req = net.request({ url, method: 'GET' });
        if (spec.fresh) req.setHeader('Connection', 'close');
        req.on('response', (res) => {
          let n = 0;
          res.on('data', (d) => { n += d.length; });
          res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    },
    upload(url, total, chunk) {
      return new Promise((resolve, reject) => {
        const req = net.request({ url, method: 'POST' });
        req.chunkedEncoding = true;
        req.setHeader('Content-Type', 'application/octet-stream');
        req.on('response', (res) => {
          const parts = [];
          res.on('data', (d) => parts.push(Buffer.from(d)));
          res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString('latin1') }));
          res.on('error', reject);
        });
        req.on('error', reject);
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            sent += chunk.length;
            if (!req.write(chunk)) { req.once('drain', pump); return; }
          }
          req.end();
        };
        pump();
      });
    },
  };
}
