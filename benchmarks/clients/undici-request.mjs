// undici.request (npm undici, pinned in benchmarks/package.json). Body consumed with for await.
// HTTP/1.1: Agent({ connections: c, pipelining: 1 }). HTTP/2: allowH2, and spec.variant picks
// 'conns' (c connections x 1 stream, the literal pipelining:1 setting) or 'streams' (1 connection,
// pipelining = c, which is what makes undici 7 multiplex).
import fs from 'node:fs';
import { Agent, ProxyAgent, request } from 'undici';
import { readFileSync } from 'node:fs';

export async function create(spec) {
  const ca = spec.ca ? readFileSync(spec.ca) : undefined;
  const connect = { ca, ...(spec.fresh ? { maxCachedSessions: 0 } : {}) };
  let opts = { connections: spec.c, pipelining: 1, connect };
  if (spec.h2) {
    opts.allowH2 = true;
    opts.maxConcurrentStreams = Math.max(100, spec.c);
    if (spec.variant === 'streams') opts = { ...opts, connections: 1, pipelining: spec.c };
  }
  let dispatcher;
  if (spec.proxy) {
    dispatcher = new ProxyAgent({ uri: spec.proxy, connections: spec.c, pipelining: 1, requestTls: { ca } });
  } else {
    dispatcher = new Agent(opts);
  }
  const reqOpts = { dispatcher, method: 'GET', ...(spec.fresh ? { reset: true } : {}) };
  const { version } = JSON.parse(fs.readFileSync(new URL('../node_modules/undici/package.json', import.meta.url), 'utf8'));
  return {
    info: { undici: version, agent: spec.proxy ? { proxy: true, connections: spec.c, pipelining: 1 } : { ...opts, connect: { ...connect, ca: !!ca } } },
    async get(url) {
      const { statusCode, body } = await request(url, reqOpts);
      let n = 0;
      for await (const chunk of body) n += chunk.length;
      return { status: statusCode, bytes: n };
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
