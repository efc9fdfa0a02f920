// undici.request (npm undici, pinned in benchmarks/package.json). Body consumed with for await.
// HTTP/1.1: Agent({ connections: c, pipelining: 1 }). HTTP/2: allowH2, and spec.variant picks
// 'conns' (c connections x 1 stream, the literal pipelining:1 setting) or 'streams' (1 connection,
// pipelining = c, which is what makes undici 7 multiplex).
import { request } from 'undici';
import { undiciDispatcher } from '../lib/undici-dispatcher.mjs';

export async function create(spec) {
  const { dispatcher, info } = undiciDispatcher(spec);
  const reqOpts = { dispatcher, method: 'GET', ...(spec.fresh ? { reset: true } : {}) };
  return {
    info,
    async get(url) {
      const { statusCode, body } = await request(url, reqOpts);
      let n = 0;
      for await (const chunk of body) n += chunk.length;
      return { status: statusCode, bytes: n };
    },
    async hold(url) {
      const { statusCode, body } = await request(url, reqOpts);
      body.on('error', () => {});
      return { status: statusCode, close: () => body.destroy() };
    },
    async upload(url, total, chunk) {
      async function* source() {
        for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
      }
      const { statusCode, body } = await request(url, {
        dispatcher, method: 'POST', body: source(), headers: { 'content-type': 'application/octet-stream' },
      });
      return { status: statusCode, body: await body.text() };
    },
    close: () => dispatcher.close(),
  };
}
