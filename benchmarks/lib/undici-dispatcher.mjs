// The one undici dispatcher both undici adapters (request and fetch) use, so they are measured
// with exactly the same connection settings. HTTP/1.1: Agent({ connections: c, pipelining: 1 }).
// HTTP/2: allowH2, and spec.variant picks 'conns' (c connections x 1 stream) or 'streams'
// (1 connection, pipelining = c, which is what makes undici 7 multiplex).
import fs from 'node:fs';
import { Agent, ProxyAgent } from 'undici';

export function undiciDispatcher(spec) {
  const ca = spec.ca ? fs.readFileSync(spec.ca) : undefined;
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
  const { version } = JSON.parse(fs.readFileSync(new URL('../node_modules/undici/package.json', import.meta.url), 'utf8'));
  const agent = spec.proxy ? { proxy: true, connections: spec.c, pipelining: 1 } : { ...opts, connect: { ...connect, ca: !!ca } };
  return { dispatcher, info: { undici: version, agent } };
}
