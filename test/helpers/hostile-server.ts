// A TCP server on 127.0.0.x whose every byte is written by the test: the hostile-server corpus
// (test/hostile-servers.test.ts) gives each case its own behaviour instead of a named scenario.
// It is closed at the owner's teardown, registered before it listens.
import * as net from 'node:net';

export interface HostileConnection {
  socket: net.Socket;
  /** The request head as received (latin1), including the final blank line. */
  head: string;
  /** Runs `fn` after `ms` unless the server is closing or the socket is gone. */
  later(ms: number, fn: () => void): void;
  /** Writes `chunk` again and again, honouring backpressure, until the socket goes away. */
  flood(chunk: string | Buffer): void;
  /** Writes one `unit` every `intervalMs` until the socket goes away (slowloris). */
  trickle(unit: string, intervalMs: number): void;
}

export interface HostileServer {
  url: string;
  port: number;
  host: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections still open on the server side. */
  readonly open: number;
  /** Resolves once no connection is open (the client let go), or rejects after `ms`. */
  allClosed(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHostileServer(
  owner: { teardown(fn: () => unknown): void },
  behave: (connection: HostileConnection, index: number) => void,
  host = '127.0.0.1',
): Promise<HostileServer> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;
  let connections = 0;
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closing) fn();
    }, ms);
    timers.add(timer);
  };
  const server = net.createServer((socket) => {
    const index = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // the client giving up is what many cases are about
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      if (!received.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume(); // keep reading (and ignoring) whatever else the client sends
      const connection: HostileConnection = {
        socket,
        head: received,
        later,
        flood(chunk) {
          const pump = (): void => {
            while (!socket.destroyed && !closing) {
              if (!socket.write(chunk)) {
                socket.once('drain', pump);
                return;
              }
            }
          };
          pump();
        },
        trickle(unit, intervalMs) {
          const tick = (): void => {
            if (socket.destroyed) return;
            socket.write(unit);
            later(intervalMs, tick);
          };
          tick();
        },
      };
      behave(connection, index);
    };
    socket.on('data', onData);
  });
  const close = (): Promise<void> => {
    closing = true;
    for (const timer of timers) clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  };
  owner.teardown(close);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    host,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    async allClosed(ms = 10_000) {
      const deadline = Date.now() + ms;
      while (sockets.size > 0) {
        if (Date.now() > deadline) throw new Error(`${sockets.size} connection(s) still open after ${ms} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close,
  };
}

/** A response head from its lines. */
export function head(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n\r\n`;
}
