// node:http2: one ClientHttp2Session, c concurrent streams on it.
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';

export async function create(spec) {
  const origin = new URL(spec.url).origin;
  const session = http2.connect(origin, {
    ca: spec.ca ? readFileSync(spec.ca) : undefined,
    peerMaxConcurrentStreams: Math.max(100, spec.c),
  });
  await new Promise((resolve, reject) => {
    session.once('connect', resolve);
    session.once('error', reject);
  });
  session.on('error', () => {});
  return {
    info: { sessions: 1 },
    get(url) {
      const u = new URL(url);
      return new Promise((resolve, reject) => {
        const stream = session.request({ ':path': u.pathname + u.search });
        let status = 0;
        let n = 0;
        stream.on('response', (h) => { status = h[':status']; });
        stream.on('data', (d) => { n += d.length; });
        stream.on('end', () => resolve({ status, bytes: n }));
        stream.on('error', reject);
        stream.end();
      });
    },
    close: () => new Promise((r) => session.close(r)),
  };
}
