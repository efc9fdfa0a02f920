// Server-side HTTP authentication for tests: Basic and Digest (RFC 7616, MD5, qop=auth)
// verified for real, so a test proves the client computed valid credentials. Each route
// records how many times a body arrived and with which Authorization.
import * as crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AuthRecord {
  authorized: boolean;
  authorization?: string;
  bodyLength: number;
}

const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');

function parseParams(header: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[m[1].toLowerCase()] = m[2] ?? m[3];
  return params;
}

export function basicRoute(realm: string, user: string, password: string, records: AuthRecord[]) {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const authorization = req.headers.authorization;
    const authorized = authorization === expected;
    records.push({ authorized, authorization, bodyLength: body.length });
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': `Basic realm="${realm}"`, 'Content-Type': 'text/plain' });
      res.end('denied');
      return;
    }
    res.end(`welcome ${user}: ${body.toString()}`);
  };
}

export function digestRoute(realm: string, user: string, password: string, records: AuthRecord[]) {
  const nonces = new Set<string>();
  return (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const authorization = req.headers.authorization;
    let authorized = false;
    if (authorization?.startsWith('Digest ')) {
      const p = parseParams(authorization.slice(7));
      const ha1 = md5(`${p.username}:${realm}:${password}`);
      const ha2 = md5(`${req.method}:${p.uri}`);
      const expected = md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
      authorized = p.username === user && p.realm === realm && nonces.has(p.nonce) && p.response === expected;
    }
    records.push({ authorized, authorization, bodyLength: body.length });
    if (!authorized) {
      const nonce = crypto.randomBytes(16).toString('hex');
      nonces.add(nonce);
      res.writeHead(401, {
        'WWW-Authenticate': `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque="0123", algorithm=MD5`,
      });
      res.end('denied');
      return;
    }
    res.end(`welcome ${user}: ${body.toString()}`);
  };
}
