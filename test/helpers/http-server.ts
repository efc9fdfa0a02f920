// A real Node http server on 127.0.0.1 for tests: routes are registered per test, every
// request is recorded (method, url, raw headers, body) so tests can check what went on the
// wire, and close() destroys keep-alive sockets so nothing outlives the test.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

export interface TestServer {
  url: string;
  port: number;
  server: http.Server;
  requests: RecordedRequest[];
  /** Requests whose path (without query) is `path`: tests in one file run concurrently. */
  requestsTo(path: string): RecordedRequest[];
  /** The latest request to `path`. */
  lastTo(path: string): RecordedRequest;
  route(path: string, handler: Handler): void;
  /** Handles the request before its body is read (for streaming and early answers). */
  rawRoute(path: string, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): void;
  close(): Promise<void>;
}

/** What can own a server: a test (or anything with ava's `teardown`). */
export interface TeardownOwner {
  teardown(fn: () => unknown): void;
}

/** Starts a server. With `owner`, its close() is registered there before the server listens,
 * so it is closed even when something started alongside it (e.g. in one Promise.all) fails. */
export async function startServer(defaultHandler?: Handler, owner?: TeardownOwner): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const rawRoutes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const raw = rawRoutes.get(path);
    if (raw) {
      requests.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, headers: req.headers, body: Buffer.alloc(0) });
      raw(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, headers: req.headers, body });
      const handler = routes.get(path) ?? defaultHandler;
      if (handler) handler(req, res, body);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  owner?.teardown(close);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requests,
    requestsTo: (path) => requests.filter((r) => r.url.split('?')[0] === path),
    lastTo: (path) => {
      const found = requests.filter((r) => r.url.split('?')[0] === path);
      if (found.length === 0) throw new Error(`no request to ${path}`);
      return found[found.length - 1];
    },
    route: (path, handler) => routes.set(path, handler),
    rawRoute: (path, handler) => rawRoutes.set(path, handler),
    close,
  };
}

/** Echoes what arrived: method, url, raw headers and the body as text. */
export const echo: Handler = (req, res, body) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body: body.toString() }));
};
