// net.request must not load Node's bundled undici (the global Response, Request, Headers, fetch):
// a process that has loaded it ran 80 full GCs instead of 3 while 64 downloads of 16 MiB were in
// flight, with 2.5x the JS-thread CPU per GiB (issue #16's event-loop-delay cell). Only
// net.fetch may load it, at its first call. Checked in a fresh process: ava's own worker may
// have loaded it already.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packageRoot } from '../ts/load-binding';
import { startServer } from './helpers/http-server';

const script = `
const { net } = require(${JSON.stringify(packageRoot)});
const undici = () => process.moduleLoadList.filter((m) => m.includes('undici')).length;
const before = undici();
const request = net.request(process.argv[1]);
request.on('response', (response) => {
  response.resume();
  response.on('end', async () => {
    const afterRequest = undici();
    const answer = await net.fetch(process.argv[1]);
    await answer.text();
    console.log(JSON.stringify({ before, afterRequest, afterFetch: undici() }));
    process.exit(0);
  });
});
request.end();
`;

test('net.request leaves Node\'s undici unloaded; net.fetch loads it at its first call', async (t) => {
  const server = await startServer((_req, res) => res.end('ok'));
  try {
    const { stdout: out } = await promisify(execFile)(process.execPath, ['-e', script, server.url], { encoding: 'utf8' });
    const counts = JSON.parse(out.trim().split('\n').pop()!) as { before: number; afterRequest: number; afterFetch: number };
    t.is(counts.before, 0);
    t.is(counts.afterRequest, 0);
    t.true(counts.afterFetch > 0, 'the check can see undici being loaded');
  } finally {
    await server.close();
  }
});
