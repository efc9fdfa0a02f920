// undici fetch (npm undici), same Agent settings as undici-request. Small bodies through
// arrayBuffer(), large ones (> 1 MiB) through for await over res.body.
import fs, { readFileSync } from 'node:fs';
import { Agent, ProxyAgent, fetch } from 'undici';

export async function create(spec) {
  const ca = spec.ca ? readFileSync(spec.ca) : undefined;
  const connect = { ca, ...(spec.fresh ? { maxCachedSessions: 0 } : {}) };
  let opts = { connections: spec.c, pipelining: 1, connect };
  if (spec.h2) {
    opts.allowH2 = true;
    opts.maxConcurrentStreams = Math.max(100, spec.c);
    if (spec.variant === 'streams') opts = { ...opts, connections: 1, pipelining: spec.c };
  }
  const dispatcher = spec.proxy
    ? new ProxyAgent({ uri: spec.proxy, connections: spec.c, pipelining: 1, requestTls: { ca } })
    : new Agent(opts);
  const big = (spec.expectBytes ?? 0) > 1048576;
  const init = { dispatcher, ...(spec.fresh ? { headers: { connection: 'close' } } : {}) };
  const { version } = JSON.parse(fs.readFileSync(new URL('../node_modules/undici/package.json', import.meta.url), 'utf8'));
  return {
    info: { undici: version, agent: { ...opts, connect: { ...connect, ca: !!ca } } },
    async get(url) {
      const res = await fetch(url, init);
      let n = 0;
      if (big) {
        for await (const chunk of res.body) n += chunk.byteLength;
      } else {
        n = (await res.arrayBuffer()).byteLength;
      }
      return { status: res.status, bytes: n };
    },
    async upload(url, total, chunk) {
      let sent = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (sent >= total) { controller.close(); return; }
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const res = await fetch(url, { dispatcher, method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } });
      return { status: res.status, body: await res.text() };
    },
    close: () => dispatcher.close(),
  };
}
