// Minimal CONNECT proxy (fallback when tinyproxy is not installed): tunnels only to 127.0.0.1.
// Started pinned to CPU1 by lib/servers.mjs; exits when its stdin closes.
import fs from 'node:fs';
import net from 'node:net';

const port = Number(process.argv[2]);
// One line per CONNECT, in the same shape as tinyproxy's log, so the harness can count tunnels.
const log = process.argv[3] ? fs.openSync(process.argv[3], 'a') : null;
const server = net.createServer((client) => {
  client.setNoDelay(true);
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16384) client.destroy();
      return;
    }
    client.off('data', onData);
    const m = /^CONNECT ([^\s:]+):(\d+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end + 2).toString('latin1'));
    if (!m || (m[1] !== '127.0.0.1' && m[1] !== 'localhost')) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (log !== null) fs.writeSync(log, `CONNECT: CONNECT ${m[1]}:${m[2]} HTTP/1.1\n`);
    const upstream = net.connect(Number(m[2]), '127.0.0.1', () => {
      upstream.setNoDelay(true);
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      const rest = head.subarray(end + 4);
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };
  client.on('data', onData);
  client.on('error', () => {});
});
server.listen(port, '127.0.0.1');
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
