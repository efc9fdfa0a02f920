// node:http / node:https with a keep-alive Agent (maxSockets: c), body through 'data' events.
// spec.fresh: keepAlive off and no TLS session cache (a full handshake per request).
// spec.proxy: an https.Agent whose createConnection opens a CONNECT tunnel, then TLS inside it.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

class ConnectTunnelAgent extends https.Agent {
  constructor(proxyUrl, opts) {
    super(opts);
    this.proxy = new URL(proxyUrl);
  }
  createConnection(options, cb) {
    const target = `${options.host}:${options.port}`;
    const sock = net.connect(Number(this.proxy.port), this.proxy.hostname);
    sock.setNoDelay(true);
    let head = Buffer.alloc(0);
    const fail = (err) => { sock.destroy(); cb(err); };
    sock.once('error', fail);
    sock.once('connect', () => sock.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.off('error', fail);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1]);
      if (status !== 200) { fail(new Error(`proxy CONNECT answered ${status}`)); return; }
      sock.pause();
      const t = tls.connect({ socket: sock, servername: options.servername || undefined, ca: options.ca, ALPNProtocols: ['http/1.1'] });
      cb(null, t);
    };
    sock.on('data', onData);
    return undefined;
  }
}

export async function create(spec) {
  const isHttps = spec.url.startsWith('https:');
  const mod = isHttps ? https : http;
  const ca = spec.ca ? readFileSync(spec.ca) : undefined;
  const agentOpts = { keepAlive: !spec.fresh, maxSockets: spec.c, ...(isHttps ? { ca } : {}), ...(spec.fresh ? { maxCachedSessions: 0 } : {}) };
  const agent = spec.proxy ? new ConnectTunnelAgent(spec.proxy, agentOpts) : new mod.Agent(agentOpts);
  return {
    info: { agent: { keepAlive: agentOpts.keepAlive, maxSockets: spec.c, proxy: !!spec.proxy } },
    get(url) {
      return new Promise((resolve, reject) => {
        // keepAlive: false alone is not enough: with a finite maxSockets node:http still sends
        // keep-alive and hands the socket to a queued request, so ask the server to close.
        const req = mod.get(url, { agent, ...(spec.fresh ? { headers: { connection: 'close' } } : {}) }, (res) => {
          let n = 0;
          res.on('data', (d) => { n += d.length; });
          res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
          res.on('error', reject);
        });
        req.on('error', reject);
      });
    },
    upload(url, total, chunk) {
      return new Promise((resolve, reject) => {
        const req = mod.request(url, { agent, method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d) => { body += d; });
          res.on('end', () => resolve({ status: res.statusCode, body }));
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
    close: () => agent.destroy(),
  };
}
