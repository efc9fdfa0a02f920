// Upload sink: reads each request body to EOF and answers with the number of bytes it counted.
// Started pinned to CPU1 by lib/servers.mjs; exits when its stdin closes (the harness went away).
import http from 'node:http';

const port = Number(process.argv[2]);
const server = http.createServer({ keepAliveTimeout: 600e3, requestTimeout: 0, headersTimeout: 60e3 }, (req, res) => {
  if (req.url === '/hold') {
    // The open-responses cell: the head now, a body that never comes (until the client leaves).
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1048576' });
    res.flushHeaders();
    return;
  }
  let n = 0;
  req.on('data', (chunk) => { n += chunk.length; });
  req.on('end', () => {
    const body = String(n);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  req.on('error', () => res.destroy());
});
server.keepAliveTimeout = 600e3;
// A deep accept queue: the open-responses cell connects 5,000 clients at once.
server.listen({ port, host: '127.0.0.1', backlog: 8192 });
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
