// ses.clearHostResolverCache(): libcurl caches DNS answers in the session's multi handle for 60 s;
// after the clear, a name that now resolves elsewhere is looked up again. A child process sees a
// private hosts file through nss_wrapper (as the proxy tests' tinyproxy and dante do), and two
// servers on one port, 127.0.0.1 and 127.0.0.2, say which address was used. They close every
// connection, so only DNS decides where a request goes.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { boundedStep } from './helpers/bounded';
import { nssWrapperPath } from './helpers/proxy-servers';

function serve(name: string, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => {
    res.setHeader('Connection', 'close');
    res.end(name);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

test('after clearHostResolverCache() a hop resolves the name again instead of using the cached answer', async (t) => {
  const wrapper = nssWrapperPath();
  if (wrapper === null) {
    t.log('skipped: libnss_wrapper.so (Debian package libnss-wrapper) is not installed');
    t.pass();
    return;
  }
  const first = await serve('first', '127.0.0.1', 0);
  t.teardown(() => first.close());
  const port = (first.address() as AddressInfo).port;
  const second = await serve('second', '127.0.0.2', port);
  t.teardown(() => second.close());

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-resolver-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, '127.0.0.1 flip.test\n');
  // An LD_PRELOAD already in place (ASan's runtime under test:sanitize) must stay first.
  const preload = [process.env.LD_PRELOAD, wrapper].filter(Boolean).join(' ');
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'resolver-child.js'), hosts, `http://flip.test:${port}/`], {
    env: { ...process.env, LD_PRELOAD: preload, NSS_WRAPPER_HOSTS: hosts },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await boundedStep(t, 'the resolver child', 30_000, new Promise((resolve) => child.on('exit', resolve)), () => child.kill('SIGKILL'));
  t.is(code, 0, stderr);
  t.deepEqual(stdout.trim().split('\n'), [
    'first',
    'first', // the answer cached for 60 s: the name now points elsewhere, libcurl does not ask
    'second', // cleared: asked again
  ]);
});
