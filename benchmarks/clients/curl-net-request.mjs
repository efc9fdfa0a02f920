// curl-net net.request(): ClientRequest + IncomingMessage, body consumed with 'data' events the way
// an Electron app does it. Upload: chunkedEncoding = true, write() honouring its return value.
import { closeSession, loadCurlNet, setupSession } from '../lib/curl-net-session.mjs';

export async function create(spec) {
  const curlnet = loadCurlNet();
  const { net } = curlnet;
  const { ses, info } = await setupSession(curlnet, spec);
  // The 'cookies' scenario: the cookie stage on, with an empty store or 50 cookies for the URL.
  const useSessionCookies = spec.variant === 'cookies0' || spec.variant === 'cookies50';
  if (spec.variant === 'cookies50') {
    for (let i = 0; i < 50; i++) await ses.cookies.set({ url: spec.url, name: `cookie${i}`, value: `value-${i}-${'x'.repeat(16)}` });
    info.cookies = (await ses.cookies.get({ url: spec.url })).length;
  }
  return {
    info,
    close: () => closeSession(curlnet),
    get(url) {
      return new Promise((resolve, reject) => {
        const req = net.request(useSessionCookies ? { url, method: 'GET', useSessionCookies } : { url, method: 'GET' });
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
    /** Resolves at the response head, with a way to drop the request (its body never comes). */
    hold(url) {
      return new Promise((resolve, reject) => {
        const req = net.request({ url, method: 'GET' });
        req.on('response', (res) => resolve({ status: res.statusCode, close: () => req.abort() }));
        req.on('error', (error) => { if (!req.aborted) reject(error); });
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
