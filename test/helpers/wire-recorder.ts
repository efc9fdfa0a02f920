// A TCP server on 127.0.0.1 that keeps the exact bytes of every request head it receives, so a
// test can prove what reached the wire (an injected header line, credentials sent in the
// clear). One port speaks both plain HTTP and TLS: the first byte of a connection decides
// (0x16 starts a TLS handshake), so http://127.0.0.1:P and https://127.0.0.1:P are the same
// host and port with different schemes — what an auth cache must keep apart.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { KeyPair } from './certs';

export interface WireRequest {
  scheme: 'http' | 'https';
  /** The request head exactly as received (latin1), up to and including the blank line. */
  head: string;
  /** The request line, e.g. `GET / HTTP/1.1`. */
  requestLine: string;
  /** Header lines as received, without CRLF. */
  headerLines: string[];
  body: Buffer;
}

/** The response to write (a full HTTP message), or null to never answer. */
export type WireResponder = (request: WireRequest) => string | null;

export interface WireRecorderOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Key and certificate for connections that start with a TLS handshake. */
  tls?: KeyPair;
}

export interface WireRecorder {
  port: number;
  httpUrl: string;
  httpsUrl: string;
  /** Every request received, in order. */
  readonly requests: WireRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** A 200 with a short body that closes the connection. */
export function okResponse(body = 'ok'): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
}

export async function startWireRecorder(respond: WireResponder, options: WireRecorderOptions = {}): Promise<WireRecorder> {
  const requests: WireRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const serve = (socket: net.Socket, scheme: 'http' | 'https', first: Buffer | null): void => {
    let buffered = first ?? Buffer.alloc(0);
    let pending: { request: WireRequest; remaining: number } | null = null;
    const finish = (request: WireRequest): void => {
      requests.push(request);
      const answer = respond(request);
      if (answer !== null && !socket.destroyed) socket.write(answer, 'latin1');
    };
    const consume = (): void => {
      for (;;) {
        if (pending !== null) {
          const take = Math.min(pending.remaining, buffered.length);
          pending.request.body = Buffer.concat([pending.request.body, buffered.subarray(0, take)]);
          buffered = buffered.subarray(take);
          pending.remaining -= take;
          if (pending.remaining > 0) return;
          const done = pending.request;
          pending = null;
          finish(done);
          continue;
        }
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end + 4).toString('latin1');
        buffered = buffered.subarray(end + 4);
        const lines = head.slice(0, -4).split('\r\n');
        const request: WireRequest = { scheme, head, requestLine: lines[0], headerLines: lines.slice(1), body: Buffer.alloc(0) };
        const length = /^content-length:\s*(\d+)/im.exec(head);
        const remaining = length ? Number(length[1]) : 0;
        if (remaining > 0) pending = { request, remaining };
        else finish(request);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      consume();
    });
    consume();
  };

  // TLS is terminated by a second, internal server; the public port relays a connection to it
  // when the first byte is a handshake. (Wrapping the already-read socket in a TLSSocket loses
  // the bytes read so far.)
  let tlsPort = 0;
  const tlsServer = options.tls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert, ALPNProtocols: ['http/1.1'] }, (secure) => {
        sockets.add(secure);
        secure.on('close', () => sockets.delete(secure));
        secure.on('error', () => {});
        serve(secure, 'https', null);
      })
    : undefined;
  if (tlsServer) {
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as net.AddressInfo).port;
  }

  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (first: Buffer) => {
      if (first[0] === 0x16 && tlsServer !== undefined) {
        const relay = net.connect(tlsPort, '127.0.0.1');
        sockets.add(relay);
        relay.on('close', () => {
          sockets.delete(relay);
          socket.destroy();
        });
        relay.on('error', () => socket.destroy());
        socket.on('close', () => relay.destroy());
        relay.write(first);
        socket.pipe(relay);
        relay.pipe(socket);
      } else {
        serve(socket, 'http', first);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    httpsUrl: `https://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      tlsServer?.close();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
