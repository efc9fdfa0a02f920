// NetLog size and cost for N sequential small requests (issue #15): an HTTP origin on
// 127.0.0.1 answering 12 bytes, the default session, captureMode 'default'.
//   node benchmarks/net-log-size.mjs [N=1000]
// Prints the file size, bytes per request, and the CPU time per request with and without
// logging (same process, alternating blocks, after a warm-up).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { net, session } = require('./load-curl-net.cjs');
const n = Number(process.argv[2] ?? 1000);
const server = http.createServer((req, res) => res.end('hello world\n'));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
await session.defaultSession.setProxy({ mode: 'direct' });

const one = () =>
  new Promise((resolve, reject) => {
    const req = net.request(url);
    req.on('response', (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
const block = async (count) => {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await one();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
};

await block(500); // warm-up
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-netlog-'));
const file = path.join(dir, 'netlog.json');
await session.defaultSession.netLog.startLogging(file);
const onFirst = await block(n);
await session.defaultSession.netLog.stopLogging();
const size = fs.statSync(file).size;
const events = JSON.parse(fs.readFileSync(file, 'utf8')).events.length;
const off = [];
const on = [];
for (let round = 0; round < 3; round++) {
  off.push(await block(n));
  await session.defaultSession.netLog.startLogging(path.join(dir, `round-${round}.json`));
  on.push(await block(n));
  await session.defaultSession.netLog.stopLogging();
}
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(JSON.stringify({
  requests: n,
  fileBytes: size,
  bytesPerRequest: Math.round(size / n),
  events,
  cpuMicrosPerRequestOff: Math.round(median(off)),
  cpuMicrosPerRequestOn: Math.round(median([onFirst, ...on])),
  offRounds: off.map(Math.round),
  onRounds: [onFirst, ...on].map(Math.round),
}));
fs.rmSync(dir, { recursive: true, force: true });
server.close();
