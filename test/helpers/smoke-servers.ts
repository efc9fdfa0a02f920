// The two servers a smoke test of a built package asks: plain HTTP/1.1 and TLS with HTTP/2
// (HTTP/1.1 allowed), each answering "hello <method> <path> HTTP/<version>", on 127.0.0.1.
import type { ExecutionContext } from 'ava';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { makeTestCerts } from './certs';

export interface SmokeServers {
  /** http://127.0.0.1:<port>/plain and https://localhost:<port>/tls */
  urls: [string, string];
  /** The CA that signed the TLS server's certificate. */
  caFile: string;
}

/** Starts both servers; the test's teardown stops them. */
export async function startSmokeServers(t: ExecutionContext): Promise<SmokeServers> {
  const certs = makeTestCerts();
  t.teardown(() => certs.cleanup());
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    res.end(`hello ${req.method} ${req.url} HTTP/${req.httpVersion}`);
  };
  const plain = http.createServer(handler);
  const secure = http2.createSecureServer({ ...certs.valid, allowHTTP1: true }, handler);
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    plain.close();
    secure.close();
  });
  return {
    urls: [
      `http://127.0.0.1:${(plain.address() as AddressInfo).port}/plain`,
      `https://localhost:${(secure.address() as AddressInfo).port}/tls`,
    ],
    caFile: certs.caFile,
  };
}
