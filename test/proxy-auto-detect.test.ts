// mode: 'auto_detect' and --proxy-auto-detect end to end: a real WPAD server (Node http) serves
// wpad.dat with a PAC script that sends requests to a real squid; the name `wpad` reaches it
// through --host-rules (which Chromium applies to its PAC fetches too) or, in a child process,
// through the system resolver (nss_wrapper's private hosts file, port 80 on a loopback address of
// its own). With no WPAD server answering, requests go DIRECT.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandLine } from '../ts';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { boundedStep } from './helpers/bounded';
import { cleanupFixtures, describe, freshSession, refusedPort, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';
import { nssWrapperPath } from './helpers/proxy-servers';

test.afterEach.always(() => resetSwitchesForTesting());
test.after.always(() => cleanupFixtures());

interface WpadServer {
  port: number;
  /** Path and Host header of every request. */
  seen: Array<{ url: string; host: string }>;
}

async function wpadServer(t: { teardown(fn: () => unknown): void }, pac: string | null, host = '127.0.0.1', port = 0): Promise<WpadServer> {
  const seen: WpadServer['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url!, host: req.headers.host ?? '' });
    if (pac === null || req.url !== '/wpad.dat') {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', 'application/x-ns-proxy-autoconfig');
    res.end(pac);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

const pacFor = (proxyPort: number) => `function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:${proxyPort}"; }`;

testIf(test.serial, 'squid')('auto_detect fetches http://wpad/wpad.dat and sends requests where its PAC says (setProxy and --proxy-auto-detect)', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  const wpad = await wpadServer(t, pacFor(proxy.port));
  commandLine.appendSwitch('host-rules', `MAP wpad 127.0.0.1:${wpad.port}`);

  const ses = freshSession();
  await ses.setProxy({ mode: 'auto_detect' });
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  t.deepEqual(wpad.seen, [{ url: '/wpad.dat', host: 'wpad' }], 'one fetch of http://wpad/wpad.dat');
  const viaWpad = await run({ url: origin.url('/via-wpad'), session: ses });
  t.is(viaWpad.statusCode, 200, describe(viaWpad));
  t.regex(String(origin.to('/via-wpad')[0]?.headers.via ?? ''), /squid/, 'the request went through the proxy the PAC named');

  // The switch: sessions that never called setProxy() auto-detect too.
  commandLine.appendSwitch('proxy-auto-detect');
  const bySwitch = freshSession();
  const viaSwitch = await run({ url: origin.url('/via-switch'), session: bySwitch });
  t.is(viaSwitch.statusCode, 200, describe(viaSwitch));
  t.regex(String(origin.to('/via-switch')[0]?.headers.via ?? ''), /squid/);
  t.is(wpad.seen.length, 2, 'the switch\'s session fetched the script itself');
});

test.serial('auto_detect without a WPAD server (refused, or 404) goes DIRECT', async (t) => {
  const origin = await startOrigin(t, 'http');
  // A name the PAC would send to a proxy, reached directly through the resolver rules.
  commandLine.appendSwitch('host-resolver-rules', 'MAP direct.curlnet.test 127.0.0.1');
  const url = `http://direct.curlnet.test:${origin.port}/direct`;

  commandLine.appendSwitch('host-rules', `MAP wpad 127.0.0.1:${await refusedPort()}`);
  const refused = freshSession();
  await refused.setProxy({ mode: 'auto_detect' });
  t.is(await refused.resolveProxy(url), 'DIRECT');
  const direct = await run({ url, session: refused });
  t.is(direct.statusCode, 200, describe(direct));
  t.is(origin.to('/direct')[0]?.headers.via, undefined, 'no proxy on the way');

  const missing = await wpadServer(t, null);
  commandLine.appendSwitch('host-rules', `MAP wpad 127.0.0.1:${missing.port}`);
  const notFound = freshSession();
  await notFound.setProxy({ mode: 'auto_detect' });
  t.is(await notFound.resolveProxy(url), 'DIRECT');
  t.deepEqual(missing.seen, [{ url: '/wpad.dat', host: 'wpad' }]);
  const direct404 = await run({ url, session: notFound });
  t.is(direct404.statusCode, 200, describe(direct404));
});

/** A loopback address no other test uses, for a WPAD server on port 80. */
const WPAD_ADDRESS = '127.87.65.68';

testIf(test.serial, 'squid')('auto_detect resolves `wpad` with the system resolver (nss_wrapper hosts file, port 80)', async (t) => {
  const wrapper = nssWrapperPath();
  if (wrapper === null) {
    t.log('skipped: libnss_wrapper.so (Debian package libnss-wrapper) is not installed');
    t.pass();
    return;
  }
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  let wpad: WpadServer;
  try {
    wpad = await wpadServer(t, pacFor(proxy.port), WPAD_ADDRESS, 80);
  } catch (error) {
    // Port 80 needs root (or CAP_NET_BIND_SERVICE); the suite runs as root in CI.
    t.log(`skipped: cannot listen on ${WPAD_ADDRESS}:80 (${(error as Error).message})`);
    t.pass();
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-wpad-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, `${WPAD_ADDRESS} wpad\n`);
  const index = JSON.stringify(path.join(__dirname, '..', 'ts', 'index.js'));
  const script = `const c = require(${index});
    const ses = c.session.fromPartition('wpad-child');
    ses.setProxy({ mode: 'auto_detect' }).then(() => ses.resolveProxy(${JSON.stringify(origin.url('/'))})).then((proxy) => {
      const request = c.net.request({ url: ${JSON.stringify(origin.url('/via-system-wpad'))}, session: ses });
      request.on('response', (response) => { response.resume(); response.on('end', () => { console.log(JSON.stringify({ proxy, status: response.statusCode })); process.exit(0); }); });
      request.on('error', (error) => { console.log(JSON.stringify({ proxy, error: error.message })); process.exit(0); });
      request.end();
    });`;
  // An LD_PRELOAD already in place (ASan's runtime under test:sanitize) must stay first.
  const preload = [process.env.LD_PRELOAD, wrapper].filter(Boolean).join(' ');
  const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, LD_PRELOAD: preload, NSS_WRAPPER_HOSTS: hosts } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await boundedStep(t, 'the WPAD child', 30_000, new Promise((resolve) => child.on('exit', resolve)), () => child.kill('SIGKILL'));
  t.is(code, 0, stderr);
  t.deepEqual(JSON.parse(stdout.trim()), { proxy: `PROXY 127.0.0.1:${proxy.port}`, status: 200 }, stderr);
  t.deepEqual(wpad.seen, [{ url: '/wpad.dat', host: 'wpad' }]);
  t.regex(String(origin.to('/via-system-wpad')[0]?.headers.via ?? ''), /squid/);
});
