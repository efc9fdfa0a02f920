// Chromium's networking switches as a process-wide setting (commandLine / configure): each
// switch against real servers on 127.0.0.1 (squid for the proxy switches). Switches are
// process-wide, so these tests run one after the other and forget every switch afterwards.
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { commandLine, configure, net, session } from '../ts';
import { switchesFromArgv, resetSwitchesForTesting } from '../ts/switches/command-line';
import { networkSwitches } from '../ts/switches/network-switches';
import { HostMappingRules } from '../ts/switches/host-mapping-rules';
import { cleanupFixtures, describe, freshSession, ORIGIN_HOST, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.afterEach.always(() => resetSwitchesForTesting());
test.after.always(() => cleanupFixtures());

/** A plain server on 127.0.0.1 that answers with the Host header it saw. */
async function hostEcho(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const server = http.createServer((req, res) => res.end(JSON.stringify({ host: req.headers.host, url: req.url })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test.serial('switches: --name=value arguments, aliases, appendSwitch/hasSwitch/getSwitchValue/removeSwitch', (t) => {
  t.deepEqual(switchesFromArgv(['node', 'app.js', '--proxy-server=h:1', '--no-proxy-server', '-x', 'plain', '--', '--after=1']), [
    ['proxy-server', 'h:1'],
    ['no-proxy-server', ''],
    ['x', ''], // a single dash is a switch prefix too, as in Chromium on POSIX
  ]);
  commandLine.appendSwitch('auth-server-whitelist', '*.corp.test');
  t.true(commandLine.hasSwitch('auth-server-allowlist'), 'the old spelling is an alias');
  t.is(commandLine.getSwitchValue('--auth-server-allowlist'), '*.corp.test');
  commandLine.removeSwitch('auth-server-allowlist');
  t.false(commandLine.hasSwitch('auth-server-allowlist'));
  t.throws(() => commandLine.appendSwitch(42 as unknown as string), { instanceOf: TypeError });
  t.throws(() => configure({ switches: { 'proxy-server': 7 as unknown as string } }), { instanceOf: TypeError });
  commandLine.appendArguments(['--ignore-connections-limit=a.test,b.test', '--enable-logging']);
  t.deepEqual(networkSwitches().ignoreConnectionsLimit, ['a.test', 'b.test']);
  t.true(commandLine.hasSwitch('enable-logging'), 'unknown switches are kept, and have no effect');
});

test.serial('unknown switches are ignored: requests work as before', async (t) => {
  const port = await hostEcho(t);
  configure({ switches: { 'enable-features': 'Foo', 'disable-http2': true, 'totally-unknown': 'x' } });
  const result = await run({ url: `http://127.0.0.1:${port}/`, session: freshSession() });
  t.is(result.statusCode, 200, describe(result));
});

test.serial('host mapping rules: MAP, ports, wildcards, EXCLUDE, ~NOTFOUND (parser)', (t) => {
  const rules = new HostMappingRules('MAP *.wild.test 127.0.0.1, map exact.test [::1]:81, MAP port.test:8080 10.0.0.1:9, EXCLUDE no.wild.test, MAP gone.test ~NOTFOUND, bogus rule, MAP');
  t.deepEqual(rules.map('a.wild.test', 80), { host: '127.0.0.1', port: 80, notFound: false });
  t.is(rules.map('no.wild.test', 80), null);
  t.deepEqual(rules.map('EXACT.test', 443), { host: '::1', port: 81, notFound: false });
  t.deepEqual(rules.map('port.test', 8080), { host: '10.0.0.1', port: 9, notFound: false });
  t.is(rules.map('port.test', 8081), null);
  t.true(rules.map('gone.test', 80)!.notFound);
  t.is(rules.map('other.test', 80), null);
});

test.serial('--host-resolver-rules: requests connect to the mapped address; Host stays the URL\'s', async (t) => {
  const port = await hostEcho(t);
  configure({ switches: { 'host-resolver-rules': `MAP *.mapped.test 127.0.0.1, MAP portless.test 127.0.0.1:${port}, MAP gone.test ~NOTFOUND` } });
  const ses = freshSession();
  const wild = await run({ url: `http://www.mapped.test:${port}/w`, session: ses });
  t.is(wild.statusCode, 200, describe(wild));
  t.deepEqual(JSON.parse(wild.body!), { host: `www.mapped.test:${port}`, url: '/w' });
  const moved = await run({ url: 'http://portless.test/p', session: ses });
  t.is(moved.statusCode, 200, describe(moved));
  t.is(JSON.parse(moved.body!).host, 'portless.test');
  const gone = await run({ url: 'http://gone.test/', session: ses });
  t.is(gone.error?.message, 'net::ERR_NAME_NOT_RESOLVED', describe(gone));
});

test.serial('--host-resolver-rules applies to net.resolveHost(): MAP, EXCLUDE, ~NOTFOUND', async (t) => {
  configure({ switches: { 'host-resolver-rules': 'MAP *.corp.test 127.0.0.5, MAP * ~NOTFOUND, EXCLUDE localhost' } });
  t.deepEqual((await net.resolveHost('db.corp.test')).endpoints, [{ address: '127.0.0.5', family: 'ipv4' }]);
  await t.throwsAsync(net.resolveHost('anything.else.test'), { message: 'net::ERR_NAME_NOT_RESOLVED' });
  const local = await net.resolveHost('localhost');
  t.true(local.endpoints.length > 0, 'EXCLUDE: asked of the system resolver');
  commandLine.removeSwitch('host-resolver-rules');
  t.is(networkSwitches().hostResolverRules, null);
});

test.serial('--host-rules: https keeps the URL\'s name for TLS (the certificate is checked against it)', async (t) => {
  const origin = await startOrigin(t, 'https');
  commandLine.appendSwitch('host-rules', `MAP ${ORIGIN_HOST} 127.0.0.1`);
  const result = await run({ url: origin.url('/tls'), session: freshSession() });
  t.is(result.statusCode, 200, describe(result));
  t.is(JSON.parse(result.body!).host, `${ORIGIN_HOST}:${origin.port}`);
  // The same server under a name its certificate does not carry fails verification.
  commandLine.appendSwitch('host-rules', 'MAP wrong-name.test 127.0.0.1');
  const wrong = await run({ url: `https://wrong-name.test:${origin.port}/`, session: freshSession() });
  t.is(wrong.error?.message, 'net::ERR_CERT_COMMON_NAME_INVALID', describe(wrong));
});

testIf(test.serial, 'squid')('--proxy-server, --proxy-bypass-list, --no-proxy-server, --proxy-pac-url; setProxy() wins', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  configure({ switches: { 'proxy-server': `127.0.0.1:${proxy.port}`, 'proxy-bypass-list': '*.bypassed.test' } });
  const ses = freshSession();
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  t.is(await ses.resolveProxy('http://x.bypassed.test/'), 'DIRECT');
  const through = await run({ url: origin.url('/via'), session: ses });
  t.is(through.statusCode, 200, describe(through));
  t.regex(String(origin.to('/via')[0]?.headers.via ?? ''), /squid/);

  // A session's own setProxy() wins over the switches.
  const own = freshSession();
  await own.setProxy({ mode: 'direct' });
  t.is(await own.resolveProxy(origin.url('/')), 'DIRECT');

  // --no-proxy-server beats every other proxy switch; sessions that never called setProxy()
  // follow the change.
  commandLine.appendSwitch('no-proxy-server');
  t.is(await ses.resolveProxy(origin.url('/')), 'DIRECT');
  commandLine.removeSwitch('no-proxy-server');

  const pac = `data:application/x-ns-proxy-autoconfig,${encodeURIComponent(`function FindProxyForURL(u, h) { return "PROXY 127.0.0.1:${proxy.port}"; }`)}`;
  configure({ switches: { 'proxy-server': false, 'proxy-pac-url': pac } });
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  const viaPac = await run({ url: origin.url('/pac'), session: ses });
  t.is(viaPac.statusCode, 200, describe(viaPac));

  // Switches removed: back to the system's settings (here: no proxy variables, no desktop).
  resetSwitchesForTesting();
  t.is(await session.defaultSession.resolveProxy(origin.url('/')), 'DIRECT');
});

test.serial('configure({ argv: true }) reads the switches from the process\'s own arguments', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const path = await import('node:path');
  const index = JSON.stringify(path.join(__dirname, '..', 'ts', 'index.js'));
  const script = `const c = require(${index}); c.configure({ argv: true });
    c.session.defaultSession.resolveProxy('http://e.test/').then((p) => {
      console.log(JSON.stringify({ proxy: p, rules: c.commandLine.getSwitchValue('host-resolver-rules'), unknown: c.commandLine.hasSwitch('some-unknown-switch') }));
    });`;
  const child = spawnSync(process.execPath, ['-e', script, '--', '--proxy-server=argv-proxy.test:3128', '--host-resolver-rules=MAP * 127.0.0.1', '--some-unknown-switch'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.is(child.status, 0, child.stderr);
  t.deepEqual(JSON.parse(child.stdout.trim()), { proxy: 'PROXY argv-proxy.test:3128', rules: 'MAP * 127.0.0.1', unknown: true });
});
