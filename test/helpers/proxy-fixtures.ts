// Shared pieces of the real-proxy request tests (proxy-requests, proxy-login): origins on
// 127.0.0.1 reached as ORIGIN_HOST (which only the test proxies resolve), a throw-away CA for
// https origins and HTTPS proxies trusted through NODE_EXTRA_CA_CERTS, proxies that stop at
// test teardown, a fresh session per test, and a request runner that records 'login' and
// 'redirect' and never rejects.
import type { ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resetCaBundle } from '../../ts/ca-bundle';
import { net, session, Session, versions } from '../../ts/index';
import type { AuthInfo, ClientRequestConstructorOptions, IncomingMessage } from '../../ts/index';
import {
  freePort,
  refusedPort,
  makeCertificates,
  missingTools,
  ORIGIN_HOST,
  RunningKdc,
  RunningProxy,
  RunningSquid,
  SquidOptions,
  startDante,
  startKdc,
  startSquid,
  startTinyproxy,
  TestCertificates,
} from './proxy-servers';

export { ORIGIN_HOST, freePort, refusedPort };

// ---- certificates -------------------------------------------------------------------------

let workDir: string | undefined;
let originCerts: TestCertificates | undefined;
const trustedPems: string[] = [];

function dir(): string {
  if (workDir === undefined) workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-proxy-tests-'));
  return workDir;
}

/** Adds a CA to what every hop trusts from now on. The bundle only ever grows, so hops of
 * concurrent tests that already picked the previous bundle are not affected. */
export function trustCa(caFile: string): void {
  trustedPems.push(fs.readFileSync(caFile, 'utf8'));
  const file = path.join(dir(), `trusted-${trustedPems.length}.pem`);
  fs.writeFileSync(file, trustedPems.join('\n'));
  process.env.NODE_EXTRA_CA_CERTS = file;
  resetCaBundle(); // the next hop writes the new bundle (ts/ca-bundle.ts removes it at exit)
}

/** The certificate of every https origin (for ORIGIN_HOST), trusted on first use. */
export function originCertificates(): TestCertificates {
  if (originCerts === undefined) {
    originCerts = makeCertificates(dir(), [ORIGIN_HOST], 'origin');
    trustCa(originCerts.caFile);
  }
  return originCerts;
}

/** Call from test.after.always: removes the temp dir. */
export function cleanupFixtures(): void {
  if (workDir !== undefined) fs.rmSync(workDir, { recursive: true, force: true });
}

// ---- origins ------------------------------------------------------------------------------

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type OriginHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface Origin {
  scheme: 'http' | 'https';
  port: number;
  /** `scheme://origin.curlnet.test:port<path>`: only a proxy can resolve it. */
  url(pathname: string): string;
  /** `scheme://127.0.0.1:port<path>`. */
  loopbackUrl(pathname: string): string;
  requests: Seen[];
  to(pathname: string): Seen[];
  route(pathname: string, handler: OriginHandler): void;
}

/** Answers with what arrived, as JSON. */
const echo: OriginHandler = (req, res, body) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, body }));
};

/** An origin on 127.0.0.1, closed at teardown. https ones have a certificate for ORIGIN_HOST. */
export async function startOrigin(t: ExecutionContext, scheme: 'http' | 'https'): Promise<Origin> {
  const routes = new Map<string, OriginHandler>();
  const requests: Seen[] = [];
  const listener: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      (routes.get(req.url!.split('?')[0]) ?? echo)(req, res, body);
    });
  };
  let server: http.Server | https.Server;
  if (scheme === 'https') {
    const certs = originCertificates();
    server = https.createServer({ cert: fs.readFileSync(certs.certFile), key: fs.readFileSync(certs.keyFile) }, listener);
  } else {
    server = http.createServer(listener);
  }
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Registered before listening: a proxy started in the same Promise.all may fail first.
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    scheme,
    port,
    url: (p) => `${scheme}://${ORIGIN_HOST}:${port}${p}`,
    loopbackUrl: (p) => `${scheme}://127.0.0.1:${port}${p}`,
    requests,
    to: (p) => requests.filter((r) => r.url.split('?')[0] === p),
    route: (p, handler) => routes.set(p, handler),
  };
}

// ---- proxies ------------------------------------------------------------------------------

// squid creates shared memory segments named after its service name (/dev/shm/squid-cf__*.shm),
// the same for every instance started without `-n`: two squids starting at the same moment can
// collide ("FATAL: Ipc::Mem::Segment::create failed to shm_open(/squid-cf__metadata.shm): (17)
// File exists"), and the loser exits. Such a start is tried again.
export async function squid(t: ExecutionContext, options: SquidOptions): Promise<RunningSquid> {
  let proxy: RunningSquid | undefined;
  for (let attempt = 1; proxy === undefined; attempt++) {
    try {
      proxy = await startSquid(options);
    } catch (error) {
      if (attempt >= 5 || !/Ipc::Mem::Segment|shm_open/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
  const running = proxy;
  t.teardown(() => running.stop());
  if (running.caFile) trustCa(running.caFile);
  return running;
}

export async function tinyproxy(t: ExecutionContext, basicAuth: boolean): Promise<RunningProxy> {
  const proxy = await startTinyproxy({ basicAuth });
  t.teardown(() => proxy.stop());
  return proxy;
}

export const SOCKS_USER = 'curlnet-socks';
export const SOCKS_PASSWORD = 'socks-pw';

export async function dante(t: ExecutionContext, withAuth: boolean): Promise<RunningProxy> {
  const proxy = await startDante(withAuth ? { username: SOCKS_USER, password: SOCKS_PASSWORD } : undefined);
  t.teardown(() => proxy.stop());
  return proxy;
}

export async function kdc(t: ExecutionContext): Promise<RunningKdc> {
  const server = await startKdc();
  t.teardown(() => server.stop());
  return server;
}

export type ToolKind = Parameters<typeof missingTools>[0];

/** `test` when everything needed is installed, else `test.skip`. */
export function testIf<T>(test: T & { skip: T }, ...kinds: ToolKind[]): T {
  const missing = kinds.flatMap((k) => missingTools(k));
  // Negotiate also needs a libcurl built with GSS-API (the bundled prebuild has none).
  if (kinds.includes('kerberos') && !versions().features.spnego) missing.push('libcurl with GSS-API');
  return missing.length ? test.skip : test;
}

// ---- sessions and requests ----------------------------------------------------------------

let sessions = 0;

/** A session nobody else uses, so proxy settings and auth caches never leak between tests. */
export function freshSession(): Session {
  return session.fromPartition(`proxy-test-${process.pid}-${++sessions}`);
}

export interface RunOptions {
  /** A buffered body, sent with end(). */
  body?: string;
  /** Answer to the n-th 'login' (1-based): credentials, or null to cancel with callback().
   * Leave out to attach no 'login' listener at all. Answers come from a timer (asynchronous). */
  login?: (info: AuthInfo, n: number) => [string, string] | null;
  /** How long the 'login' listener waits before it calls back (default 5 ms). */
  loginDelayMs?: number;
  /** Stop the request after this many 'login' events (a loop guard; default 10). */
  maxLogins?: number;
  timeoutMs?: number;
}

export interface RunResult {
  response?: IncomingMessage;
  statusCode?: number;
  body?: string;
  error?: Error & { code?: string; curlCode?: number; curlMessage?: string };
  logins: AuthInfo[];
  redirects: Array<{ statusCode: number; method: string; url: string }>;
  /** Set when the runner aborted the request (timeout or too many logins). */
  abortedBy?: string;
}

/** Runs one request to completion; never rejects. */
export function run(options: ClientRequestConstructorOptions, runOptions: RunOptions = {}): Promise<RunResult> {
  const result: RunResult = { logins: [], redirects: [] };
  return new Promise((resolve) => {
    const request = net.request(options);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      result.abortedBy = 'timeout';
      request.abort();
      finish();
    }, runOptions.timeoutMs ?? 20_000);
    request.on('redirect', (statusCode: number, method: string, url: string) => result.redirects.push({ statusCode, method, url }));
    if (runOptions.login) {
      const answer = runOptions.login;
      request.on('login', (info: AuthInfo, callback: (username?: string, password?: string) => void) => {
        result.logins.push(info);
        if (result.logins.length > (runOptions.maxLogins ?? 10)) {
          result.abortedBy = 'too many logins';
          request.abort();
          finish();
          return;
        }
        const credentials = answer(info, result.logins.length);
        setTimeout(() => (credentials ? callback(credentials[0], credentials[1]) : callback()), runOptions.loginDelayMs ?? 5);
      });
    }
    request.on('error', (error: Error) => {
      result.error = error;
      finish();
    });
    request.on('abort', () => finish());
    request.on('response', (response: IncomingMessage) => {
      result.response = response;
      result.statusCode = response.statusCode;
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('error', (error: Error) => {
        result.error = error;
        finish();
      });
      response.on('end', () => {
        result.body = Buffer.concat(chunks).toString();
        finish();
      });
    });
    request.end(runOptions.body);
  });
}

/** What a result was, for assertion messages. */
export function describe(result: RunResult): string {
  const e = result.error;
  return JSON.stringify({
    status: result.statusCode,
    error: e ? `${e.message}${e.curlMessage ? ` (curl ${e.curlCode}: ${e.curlMessage})` : ''}` : undefined,
    logins: result.logins.length,
    abortedBy: result.abortedBy,
    body: result.body?.slice(0, 200),
  });
}

/** The proxy's log once it matches `pattern` (squid writes a line when a transaction ends,
 * which can be a moment after the client saw the response), or as it is after `ms`. */
export async function logMatching(log: () => string, pattern: RegExp, ms = 2000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = log();
    if (pattern.test(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Proxy rules for one proxy, as Electron's proxyRules. */
export function rulesFor(proxy: { url: string }): string {
  return proxy.url.replace(/^http:\/\//, '');
}
