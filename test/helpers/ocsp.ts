// OCSP responses for stapling tests, made by the openssl CLI acting as a responder over an
// index of one certificate, and a Node https server that staples one to every handshake whose
// client asks for it (Node emits 'OCSPRequest' only then).
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KeyPair } from './certs';

export type CertificateStatus = 'good' | 'revoked';

/** openssl's index time format: YYMMDDHHMMSSZ. */
function indexTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/**
 * A DER OCSP response saying `status` for `leaf`, signed by `signer` (normally the leaf's
 * issuer; any other key makes a response a client must not believe).
 */
export function ocspResponse(leaf: string, issuer: string, signer: KeyPair, status: CertificateStatus): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-ocsp-'));
  try {
    const x509 = new X509Certificate(leaf);
    const serial = x509.serialNumber.length % 2 === 0 ? x509.serialNumber : `0${x509.serialNumber}`;
    const expiry = indexTime(new Date(x509.validTo));
    const line = status === 'revoked'
      ? ['R', expiry, indexTime(new Date(Date.now() - 3600_000)), serial, 'unknown', '/CN=revoked']
      : ['V', expiry, '', serial, 'unknown', '/CN=good'];
    fs.writeFileSync(path.join(dir, 'index.txt'), `${line.join('\t')}\n`);
    fs.writeFileSync(path.join(dir, 'leaf.pem'), leaf);
    fs.writeFileSync(path.join(dir, 'issuer.pem'), issuer);
    fs.writeFileSync(path.join(dir, 'signer.pem'), signer.cert);
    fs.writeFileSync(path.join(dir, 'signer.key'), signer.key);
    const run = (args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    };
    run(['ocsp', '-issuer', 'issuer.pem', '-cert', 'leaf.pem', '-reqout', 'request.der', '-no_nonce']);
    run(['ocsp', '-index', 'index.txt', '-rsigner', 'signer.pem', '-rkey', 'signer.key', '-CA', 'issuer.pem',
      '-reqin', 'request.der', '-respout', 'response.der', '-ndays', '1']);
    return fs.readFileSync(path.join(dir, 'response.der'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface StaplingServer {
  url: string;
  /** Handshakes whose client asked for a staple. */
  statusRequests: number;
  /** Requests answered (each handshake that completed brings one). */
  requests: number;
  /** What the next handshakes staple (null: nothing). */
  staple: Buffer | null;
  /** Closes every open connection (the next request needs a new handshake). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startStaplingServer(pair: KeyPair, staple: Buffer | null): Promise<StaplingServer> {
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (req, res) => {
    state.requests += 1;
    res.end('ok');
  });
  const state: StaplingServer = {
    url: '',
    statusRequests: 0,
    requests: 0,
    staple,
    dropConnections: () => server.closeAllConnections(),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  // A resumed TLS session has no Certificate message, so nothing to staple or verify: new
  // ticket keys before every handshake make each new connection a full handshake.
  server.on('connection', () => server.setTicketKeys(randomBytes(48)));
  server.on('OCSPRequest', (_certificate: Buffer, _issuer: Buffer, done: (error: Error | null, response?: Buffer) => void) => {
    state.statusRequests += 1;
    done(null, state.staple ?? undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return state;
}
