// --host-rules and --host-resolver-rules on hops through a proxy, against real squid and dante:
// host-rules move a tunnel's CONNECT target (and a SOCKS5 request's host), not a plain http:
// request an HTTP proxy fetches itself; host-resolver-rules map the proxy's own name (which
// keeps its name for TLS), not a name the proxy resolves. Switches are process-wide: serial.
import test from 'ava';
import { commandLine, session } from '../ts';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { cleanupFixtures, dante, describe, freePort, freshSession, logMatching, ORIGIN_HOST, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.afterEach.always(() => resetSwitchesForTesting());
test.after.always(() => cleanupFixtures());

async function proxied(rules: string): Promise<ReturnType<typeof session.fromPartition>> {
  const ses = freshSession();
  await ses.setProxy({ proxyRules: rules });
  return ses;
}

testIf(test.serial, 'squid')('--host-rules moves the CONNECT target of a tunnel; the URL keeps its name (Host, TLS)', async (t) => {
  const [origin, proxy, unusedPort] = await Promise.all([startOrigin(t, 'https'), squid(t, { auth: 'none' }), freePort()]);
  const ses = await proxied(`127.0.0.1:${proxy.port}`);
  // Nothing listens on unusedPort: only the mapping can make this request work.
  const url = `https://${ORIGIN_HOST}:${unusedPort}/tunnelled`;
  const unmapped = await run({ url, session: ses });
  t.truthy(unmapped.error, `without the rule the tunnel goes nowhere: ${describe(unmapped)}`);

  commandLine.appendSwitch('host-rules', `MAP ${ORIGIN_HOST}:${unusedPort} 127.0.0.1:${origin.port}`);
  const mappedSession = await proxied(`127.0.0.1:${proxy.port}`);
  const mapped = await run({ url, session: mappedSession });
  await mappedSession.closeAllConnections(); // squid logs a tunnel when it closes
  t.is(mapped.statusCode, 200, describe(mapped));
  t.is(JSON.parse(mapped.body!).host, `${ORIGIN_HOST}:${unusedPort}`, 'Host is the URL\'s; TLS was checked against its name');
  t.regex(await logMatching(() => proxy.log(), new RegExp(`CONNECT 127\\.0\\.0\\.1:${origin.port}`)), new RegExp(`CONNECT 127\\.0\\.0\\.1:${origin.port}`), 'squid was asked for the mapped target');
});

testIf(test.serial, 'squid')('--host-rules leave a plain http: request through an HTTP proxy alone (the proxy fetches the URL)', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  commandLine.appendSwitch('host-rules', `MAP ${ORIGIN_HOST} 127.0.0.1:1`);
  const result = await run({ url: origin.url('/plain'), session: await proxied(`127.0.0.1:${proxy.port}`) });
  t.is(result.statusCode, 200, describe(result));
  t.is(origin.to('/plain').length, 1);
  t.regex(String(origin.to('/plain')[0]!.headers.via ?? ''), /squid/);
});

testIf(test.serial, 'squid')('--host-resolver-rules map the proxy\'s own name, not the target the proxy resolves', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'https'), squid(t, { auth: 'none' })]);
  // (Nothing here asks the system resolver: only the rules make proxy.curlnet.test an address.)
  const rules = `proxy.curlnet.test:${proxy.port}`;
  // The target's rule does not apply: squid resolves it (its hosts file says 127.0.0.1).
  commandLine.appendSwitch('host-resolver-rules', `MAP proxy.curlnet.test 127.0.0.1, MAP ${ORIGIN_HOST} ~NOTFOUND`);
  const ses = await proxied(rules);
  const after = await run({ url: origin.url('/r'), session: ses });
  t.is(after.statusCode, 200, describe(after));
  t.is(origin.to('/r').length, 1);
  const plain = await startOrigin(t, 'http');
  const viaProxy = await run({ url: plain.url('/p'), session: ses });
  t.is(viaProxy.statusCode, 200, describe(viaProxy));
  t.regex(String(plain.to('/p')[0]!.headers.via ?? ''), /squid/);

  // ~NOTFOUND for the proxy's name.
  commandLine.appendSwitch('host-resolver-rules', 'MAP proxy.curlnet.test ~NOTFOUND');
  const gone = await run({ url: origin.url('/gone'), session: await proxied(rules) });
  t.is(gone.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(gone));
});

testIf(test.serial, 'squid')('an HTTPS proxy reached through --host-resolver-rules keeps its name for TLS', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none', httpsPort: true })]);
  // The proxy's certificate names 127.0.0.1 and localhost, not proxy.curlnet.test: pinned by
  // address (not rewritten to it), the name is checked and fails.
  commandLine.appendSwitch('host-resolver-rules', 'MAP proxy.curlnet.test 127.0.0.1');
  const wrongName = await run({ url: origin.url('/wrong'), session: await proxied(`https://proxy.curlnet.test:${proxy.httpsPort}`) });
  t.truthy(wrongName.error, describe(wrongName));
  t.is(wrongName.error!.message, 'net::ERR_PROXY_CERTIFICATE_INVALID', describe(wrongName));
  t.is(origin.to('/wrong').length, 0);
  // A name the certificate carries, pinned by the rule, works.
  commandLine.appendSwitch('host-resolver-rules', 'MAP localhost 127.0.0.1');
  const right = await run({ url: origin.url('/right'), session: await proxied(`https://localhost:${proxy.httpsPort}`) });
  t.is(right.statusCode, 200, describe(right));
  t.is(origin.to('/right').length, 1);
});

testIf(test.serial, 'dante')('--host-rules move the host a SOCKS5 proxy is asked for', async (t) => {
  const [origin, proxy, unusedPort] = await Promise.all([startOrigin(t, 'http'), dante(t, false), freePort()]);
  commandLine.appendSwitch('host-rules', `MAP unmapped.curlnet.test:${unusedPort} 127.0.0.1:${origin.port}`);
  const result = await run({ url: `http://unmapped.curlnet.test:${unusedPort}/socks`, session: await proxied(`socks5://127.0.0.1:${proxy.port}`) });
  t.is(result.statusCode, 200, describe(result));
  t.is(JSON.parse(result.body!).host, `unmapped.curlnet.test:${unusedPort}`);
});

testIf(test.serial, 'dante')('SOCKS4 resolves the target on this side: --host-resolver-rules map it', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), dante(t, false)]);
  const url = `http://socks4.curlnet.test:${origin.port}/socks4`;
  const rules = `socks4://127.0.0.1:${proxy.port}`;
  commandLine.appendSwitch('host-resolver-rules', 'MAP socks4.curlnet.test 127.0.0.1');
  const mapped = await run({ url, session: await proxied(rules) });
  t.is(mapped.statusCode, 200, describe(mapped));
  t.is(JSON.parse(mapped.body!).host, `socks4.curlnet.test:${origin.port}`);
});
