// A TCP server on 127.0.0.1 that answers HTTP requests wrongly on purpose, one misbehaviour
// per scenario. node:http cannot produce these responses (it validates and frames what it
// writes), so every byte here is written by hand.
import * as net from 'node:net';
import * as zlib from 'node:zlib';

export type RawScenario =
  /** A correct 200 response with a body: the control case every error test is compared with. */
  | 'ok'
  /** Reads the request, then closes (FIN) without sending a byte. */
  | 'empty'
  /** Reads the request, then resets the connection (RST) without sending a byte. */
  | 'reset-before-response'
  /** Sends the status line and part of the headers, then resets. */
  | 'reset-mid-headers'
  /** Sends the status line and part of the headers, then closes (FIN). */
  | 'truncated-headers'
  /** Sends a complete head (Content-Length) and part of the body, then resets. */
  | 'reset-mid-body'
  /** Sends a chunked head and one chunk, then closes (FIN) before the last chunk. */
  | 'truncated-chunked'
  /** Sends Content-Length: 100 and 10 body bytes, then closes (FIN). */
  | 'content-length-mismatch'
  /** A status line whose code is not a number: `HTTP/1.1 abc OK`. */
  | 'malformed-status-line'
  /** Bytes that are not HTTP at all where the status line should be. */
  | 'garbage-status-line'
  /** A body without any status line (what an HTTP/0.9 server sends). */
  | 'http09'
  /** About 300 KiB of headers spread over many short lines. */
  | 'headers-too-big'
  /** One header line of 200 KiB. */
  | 'headers-too-big-line'
  /** A chunked body whose chunk size is not hexadecimal. */
  | 'invalid-chunk-framing'
  /** `Content-Encoding: gzip` with a body that is not gzip. */
  | 'bad-gzip'
  /** `Content-Encoding: br` with a body that is not brotli. */
  | 'bad-brotli'
  /** Two Content-Length headers with different values. */
  | 'multiple-content-length'
  /** A 302 with two different Location headers. */
  | 'multiple-location'
  /** Accepts and reads, never writes. */
  | 'never-answer'
  /** Sends a complete head (Content-Length), then the body one byte per `slowBodyIntervalMs`. */
  | 'slow-body'
  /** Closes (FIN) as soon as any byte arrives, request head or not (e.g. a TLS ClientHello). */
  | 'close-on-data'
  /** Resets as soon as any byte arrives, request head or not. */
  | 'reset-on-data'
  /** A proxy that refuses every request, CONNECT included, with 403. */
  | 'proxy-forbidden'
  /** A proxy that answers every request, CONNECT included, with 407 and a Basic challenge. */
  | 'proxy-auth-required';

export const RAW_SCENARIOS: readonly RawScenario[] = [
  'ok',
  'empty',
  'reset-before-response',
  'reset-mid-headers',
  'truncated-headers',
  'reset-mid-body',
  'truncated-chunked',
  'content-length-mismatch',
  'malformed-status-line',
  'garbage-status-line',
  'http09',
  'headers-too-big',
  'headers-too-big-line',
  'invalid-chunk-framing',
  'bad-gzip',
  'bad-brotli',
  'multiple-content-length',
  'multiple-location',
  'never-answer',
  'slow-body',
  'close-on-data',
  'reset-on-data',
  'proxy-forbidden',
  'proxy-auth-required',
];

export interface RawServerOptions {
  /** slow-body: milliseconds between body bytes (default 100). */
  slowBodyIntervalMs?: number;
  /** slow-body: body length (default 50). */
  slowBodyLength?: number;
}

export interface RawServer {
  port: number;
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening and destroys every open socket. */
  close(): Promise<void>;
}

// How long the server waits after writing before it cuts the connection, so the bytes
// reach the client ahead of the RST/FIN instead of being discarded with the send queue.
const SETTLE_MS = 50;

const OK_BODY = 'hello from the raw server\n';

export async function startRawServer(scenario: RawScenario, options: RawServerOptions = {}): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let closing = false;

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closing) fn();
    }, ms);
    timers.add(timer);
  };

  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A client that gives up (abort, its own error) must not crash the test process.
    socket.on('error', () => {});
    let received = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      if (scenario === 'close-on-data' || scenario === 'reset-on-data') {
        answered = true;
        if (scenario === 'close-on-data') socket.end();
        else socket.resetAndDestroy();
        return;
      }
      received += chunk.toString('latin1');
      // Answer once the request head is complete; bodies (if any) are ignored.
      if (!received.includes('\r\n\r\n')) return;
      answered = true;
      behave(scenario, socket, options, later);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    get connections() {
      return connections;
    },
    close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function head(lines: string[]): string {
  return lines.join('\r\n') + '\r\n\r\n';
}

function behave(
  scenario: RawScenario,
  socket: net.Socket,
  options: RawServerOptions,
  later: (ms: number, fn: () => void) => void,
): void {
  // Resets only once the written bytes have had time to arrive: an RST with data still in
  // the send queue would throw that data away and turn every "mid-" case into "before".
  const resetSoon = (): void => later(SETTLE_MS, () => socket.resetAndDestroy());
  const finSoon = (): void => later(SETTLE_MS, () => socket.end());

  switch (scenario) {
    case 'ok':
      socket.end(
        head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', `Content-Length: ${OK_BODY.length}`, 'Connection: close']) +
          OK_BODY,
      );
      return;
    case 'empty':
      socket.end();
      return;
    case 'reset-before-response':
      socket.resetAndDestroy();
      return;
    case 'reset-mid-headers':
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Partial: yes');
      resetSoon();
      return;
    case 'truncated-headers':
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Partial: yes');
      finSoon();
      return;
    case 'reset-mid-body':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 1000']) + 'x'.repeat(100));
      resetSoon();
      return;
    case 'truncated-chunked':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked']) + '5\r\nhello\r\n');
      finSoon();
      return;
    case 'content-length-mismatch':
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 100']) + 'x'.repeat(10));
      finSoon();
      return;
    case 'malformed-status-line':
      socket.end(head(['HTTP/1.1 abc OK', 'Content-Length: 2', 'Connection: close']) + 'hi');
      return;
    case 'garbage-status-line':
      socket.end('\x01\x02\x03 this is not http at all\r\n\r\n');
      return;
    case 'http09':
      socket.end('<html>an HTTP/0.9 body, no status line</html>\n');
      return;
    case 'headers-too-big': {
      // 3000 lines of ~100 bytes: no single line is long, the block as a whole is ~300 KiB.
      const lines = ['HTTP/1.1 200 OK', 'Content-Length: 2', 'Connection: close'];
      for (let i = 0; i < 3000; i++) lines.push(`X-Filler-${i}: ${'f'.repeat(86)}`);
      socket.end(head(lines) + 'hi');
      return;
    }
    case 'headers-too-big-line':
      socket.end(
        head(['HTTP/1.1 200 OK', 'Content-Length: 2', 'Connection: close', `X-Huge: ${'h'.repeat(200 * 1024)}`]) + 'hi',
      );
      return;
    case 'invalid-chunk-framing':
      socket.end(
        head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Transfer-Encoding: chunked', 'Connection: close']) +
          'zz\r\nhello\r\n0\r\n\r\n',
      );
      return;
    case 'bad-gzip':
      socket.end(
        head(['HTTP/1.1 200 OK', 'Content-Encoding: gzip', 'Content-Length: 40', 'Connection: close']) +
          'this is not gzip data, not at all!!!!!!!',
      );
      return;
    case 'bad-brotli': {
      // Valid-looking brotli would need luck; take real brotli output and corrupt its middle.
      const good = zlib.brotliCompressSync(Buffer.from('brotli body '.repeat(200)));
      const bad = Buffer.from(good);
      for (let i = 4; i < bad.length; i += 3) bad[i] ^= 0x5a;
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Encoding: br', `Content-Length: ${bad.length}`, 'Connection: close']));
      socket.end(bad);
      return;
    }
    case 'multiple-content-length':
      socket.end(
        head(['HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 7', 'Connection: close']) + 'hello!!',
      );
      return;
    case 'multiple-location':
      socket.end(
        head([
          'HTTP/1.1 302 Found',
          'Location: http://127.0.0.1:1/one',
          'Location: http://127.0.0.1:1/two',
          'Content-Length: 0',
          'Connection: close',
        ]),
      );
      return;
    case 'never-answer':
    case 'close-on-data': // handled on arrival, see the connection handler
    case 'reset-on-data':
      return;
    case 'proxy-forbidden':
      socket.end(head(['HTTP/1.1 403 Forbidden', 'Content-Length: 0', 'Connection: close']));
      return;
    case 'proxy-auth-required':
      socket.end(
        head([
          'HTTP/1.1 407 Proxy Authentication Required',
          'Proxy-Authenticate: Basic realm="raw-proxy"',
          'Content-Length: 0',
          'Connection: close',
        ]),
      );
      return;
    case 'slow-body': {
      const interval = options.slowBodyIntervalMs ?? 100;
      const length = options.slowBodyLength ?? 50;
      socket.write(head(['HTTP/1.1 200 OK', 'Content-Type: text/plain', `Content-Length: ${length}`]));
      let sent = 0;
      const tick = (): void => {
        if (socket.destroyed) return;
        socket.write('s');
        sent++;
        if (sent < length) later(interval, tick);
        else socket.end();
      };
      later(interval, tick);
      return;
    }
  }
}
