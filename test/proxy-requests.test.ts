// Requests through real proxies, public API only: session.setProxy() (fixed_servers, direct,
// bypass rules, PAC with failover), squid/tinyproxy/dante without auth, squid as an HTTPS proxy,
// and redirects followed through a proxy. Origins listen on 127.0.0.1 and are addressed as
// origin.curlnet.test, a name only the proxies resolve: a request that succeeds went through one.
// Proxy authentication ('login') is in proxy-login.test.ts.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import * as os from 'node:os';
import * as dns from 'node:dns/promises';
import { startServer } from './helpers/http-server';
import {
  cleanupFixtures,
  dante,
  describe,
  refusedPort,
  freshSession,
  logMatching,
  ORIGIN_HOST,
  Origin,
  rulesFor,
  run,
  squid,
  startOrigin,
  testIf,
  tinyproxy,
  ToolKind,
} from './helpers/proxy-fixtures';
import type { RunningProxy } from './helpers/proxy-servers';

test.after.always(() => cleanupFixtures());

const viaSquid = (seen: { headers: Record<string, unknown> }) => /squid/.test(String(seen.headers.via ?? ''));

interface OpenProxy {
  name: string;
  kinds: Array<'squid' | 'tinyproxy' | 'dante'>;
  start(t: ExecutionContext): Promise<RunningProxy>;
  /** What session.resolveProxy() reports for it. */
  pac(proxy: RunningProxy): string;
}

const OPEN_PROXIES: OpenProxy[] = [
  { name: 'squid', kinds: ['squid'], start: (t) => squid(t, { auth: 'none' }), pac: (p) => `PROXY 127.0.0.1:${p.port}` },
  { name: 'tinyproxy', kinds: ['tinyproxy'], start: (t) => tinyproxy(t, false), pac: (p) => `PROXY 127.0.0.1:${p.port}` },
  { name: 'dante (socks5://)', kinds: ['dante'], start: (t) => dante(t, false), pac: (p) => `SOCKS5 127.0.0.1:${p.port}` },
];

// Bugs found by these tests (the lead fixes them; see the report). Title → what happens now.
const KNOWN_BUGS: Record<string, string> = {};
// CURLNET_KNOWN_BUGS=show runs them as ordinary tests, to see how they fail.
const declare = (title: string, kinds: ToolKind[], fn: (t: ExecutionContext) => Promise<void>) => {
  const failing = title in KNOWN_BUGS && process.env.CURLNET_KNOWN_BUGS !== 'show';
  const base = testIf(failing ? test.failing : test, ...kinds);
  base(title, fn);
};

// ---- fixed_servers with open proxies ------------------------------------------------------

for (const kind of OPEN_PROXIES) {
  for (const scheme of ['http', 'https'] as const) {
    declare(`${kind.name}: a POST to an ${scheme} origin goes through the proxy`, kind.kinds, async (t) => {
      const [origin, proxy] = await Promise.all([startOrigin(t, scheme), kind.start(t)]);
      const ses = freshSession();
      await ses.setProxy({ mode: 'fixed_servers', proxyRules: rulesFor(proxy) });
      t.is(await ses.resolveProxy(origin.url('/post')), kind.pac(proxy));
      const result = await run({ url: origin.url('/post'), method: 'POST', session: ses }, { body: `body for ${scheme}` });
      t.is(result.statusCode, 200, describe(result));
      t.is(JSON.parse(result.body!).host, `${ORIGIN_HOST}:${origin.port}`);
      const seen = origin.to('/post');
      t.is(seen.length, 1);
      t.is(seen[0]?.body, `body for ${scheme}`);
      if (kind.name === 'squid') {
        // squid adds Via to requests it forwards; a CONNECT tunnel carries TLS it cannot touch.
        t.is(viaSquid(seen[0]), scheme === 'http');
        // (squid logs a CONNECT only when the tunnel closes, so only the plain request is checked.)
        const line = new RegExp(`POST http://${ORIGIN_HOST}:${origin.port}/post`);
        if (scheme === 'http') t.regex(await logMatching(proxy.log, line), line);
      }
    });

    declare(`${kind.name.split(' ')[0]}: three ${scheme} requests in one session reuse the ${scheme === 'https' ? 'tunnel' : 'connection'}`, kind.kinds, async (t) => {
      const [origin, proxy] = await Promise.all([startOrigin(t, scheme), kind.start(t)]);
      const ses = freshSession();
      await ses.setProxy({ proxyRules: rulesFor(proxy) });
      for (let i = 1; i <= 3; i++) {
        const result = await run({ url: origin.url(`/again/${i}`), session: ses });
        t.is(result.statusCode, 200, `request ${i}: ${describe(result)}`);
        t.is(result.body && JSON.parse(result.body).url, `/again/${i}`);
      }
      t.is(origin.requests.length, 3);
    });
  }
}

testIf(test, 'squid')('setProxy without mode uses proxyRules (fixed_servers); scheme-scoped rules leave other schemes DIRECT', async (t) => {
  const [http, https, proxy] = await Promise.all([startOrigin(t, 'http'), startOrigin(t, 'https'), squid(t, { auth: 'none' })]);
  const ses = freshSession();
  await ses.setProxy({ proxyRules: `http=127.0.0.1:${proxy.port}` });
  t.is(await ses.resolveProxy(http.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  t.is(await ses.resolveProxy(https.url('/')), 'DIRECT');
  const viaProxy = await run({ url: http.url('/scoped'), session: ses });
  t.is(viaProxy.statusCode, 200, describe(viaProxy));
  t.true(viaSquid(http.to('/scoped')[0]));
  // https is not covered by http=…, so it goes DIRECT, where the name does not resolve.
  const direct = await run({ url: https.url('/scoped'), session: ses });
  t.is(direct.error?.message, 'net::ERR_NAME_NOT_RESOLVED', describe(direct));
  t.is(https.requests.length, 0);
});

testIf(test, 'squid')("mode: 'direct' ignores proxyRules", async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  const ses = freshSession();
  await ses.setProxy({ mode: 'direct', proxyRules: rulesFor(proxy) });
  t.is(await ses.resolveProxy(origin.url('/')), 'DIRECT');
  const named = await run({ url: origin.url('/direct'), session: ses });
  t.is(named.error?.message, 'net::ERR_NAME_NOT_RESOLVED', describe(named));
  const loop = await run({ url: origin.loopbackUrl('/direct'), session: ses });
  t.is(loop.statusCode, 200, describe(loop));
  t.false(viaSquid(origin.to('/direct')[0]));
  t.notRegex(proxy.log(), /\/direct/);
});

testIf(test, 'squid')('loopback targets bypass the proxy implicitly; <-loopback> sends them through it', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  const ses = freshSession();
  await ses.setProxy({ proxyRules: rulesFor(proxy) });
  t.is(await ses.resolveProxy(origin.loopbackUrl('/')), 'DIRECT');
  t.is(await ses.resolveProxy(`http://localhost:${origin.port}/`), 'DIRECT');
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  const direct = await run({ url: origin.loopbackUrl('/implicit'), session: ses });
  t.is(direct.statusCode, 200, describe(direct));
  t.false(viaSquid(origin.to('/implicit')[0]), 'went direct');

  const ses2 = freshSession();
  await ses2.setProxy({ proxyRules: rulesFor(proxy), proxyBypassRules: '<-loopback>' });
  t.is(await ses2.resolveProxy(origin.loopbackUrl('/')), `PROXY 127.0.0.1:${proxy.port}`);
  const proxied = await run({ url: origin.loopbackUrl('/unbypassed'), session: ses2 });
  t.is(proxied.statusCode, 200, describe(proxied));
  t.true(viaSquid(origin.to('/unbypassed')[0]), 'went through squid');
  const line = new RegExp(`GET http://127\\.0\\.0\\.1:${origin.port}/unbypassed`);
  t.regex(await logMatching(proxy.log, line), line);
  t.notRegex(proxy.log(), /\/implicit/);
});

test('<local> bypasses dotless host names, not names with a dot', async (t) => {
  // A dotless name that this machine resolves to 127.0.0.1 (its own host name). The proxy is a
  // dead port: whatever goes to it fails, whatever bypasses it reaches the origin.
  const host = os.hostname();
  const address = await dns.lookup(host, { family: 4 }).catch(() => null);
  if (host.includes('.') || address?.address !== '127.0.0.1') {
    t.log(`skipped: host name ${host} is not a dotless name for 127.0.0.1 here`);
    t.pass();
    return;
  }
  const [origin, dead] = await Promise.all([startOrigin(t, 'http'), refusedPort()]);
  const local = `http://${host}:${origin.port}/local`;
  const plain = freshSession();
  await plain.setProxy({ proxyRules: `127.0.0.1:${dead}` });
  t.is(await plain.resolveProxy(local), `PROXY 127.0.0.1:${dead}`);
  const refused = await run({ url: local, session: plain });
  t.is(refused.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(refused));

  const ses = freshSession();
  await ses.setProxy({ proxyRules: `127.0.0.1:${dead}`, proxyBypassRules: '<local>' });
  t.is(await ses.resolveProxy(local), 'DIRECT');
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${dead}`);
  const bypassed = await run({ url: local, session: ses });
  t.is(bypassed.statusCode, 200, describe(bypassed));
  const dotted = await run({ url: origin.url('/dotted'), session: ses });
  t.is(dotted.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(dotted));
  t.is(origin.to('/local').length, 1);
  t.is(origin.to('/dotted').length, 0);
});

testIf(test, 'squid')('fixed_servers fails over from a dead proxy and reports it bad', async (t) => {
  const [origin, proxy, dead] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' }), refusedPort()]);
  const ses = freshSession();
  await ses.setProxy({ proxyRules: `127.0.0.1:${dead},127.0.0.1:${proxy.port}` });
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${proxy.port}`);
  const result = await run({ url: origin.url('/failover'), method: 'POST', session: ses }, { body: 'once' });
  t.is(result.statusCode, 200, describe(result));
  t.deepEqual(origin.to('/failover').map((r) => r.body), ['once']);
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}; PROXY 127.0.0.1:${dead}`);
});

// ---- HTTPS proxy (TLS to the proxy) -------------------------------------------------------

for (const scheme of ['http', 'https'] as const) {
  testIf(test, 'squid')(`HTTPS proxy (squid https_port) carries an ${scheme} request`, async (t) => {
    const [origin, proxy] = await Promise.all([startOrigin(t, scheme), squid(t, { auth: 'none', httpsPort: true })]);
    const ses = freshSession();
    await ses.setProxy({ proxyRules: `https://127.0.0.1:${proxy.httpsPort}` });
    t.is(await ses.resolveProxy(origin.url('/')), `HTTPS 127.0.0.1:${proxy.httpsPort}`);
    const result = await run({ url: origin.url('/tls-proxy'), method: 'POST', session: ses }, { body: 'over tls' });
    t.is(result.statusCode, 200, describe(result));
    const seen = origin.to('/tls-proxy');
    t.deepEqual(seen.map((r) => r.body), ['over tls']);
    t.is(viaSquid(seen[0]), scheme === 'http');
  });
}

// ---- PAC ----------------------------------------------------------------------------------

const pacFor = (result: string) => `function FindProxyForURL(url, host) {\n  return ${JSON.stringify(result)};\n}\n`;

testIf(test, 'squid')('PAC from a data: URL: fails over from a dead proxy to squid and reports the dead one bad', async (t) => {
  const [origin, proxy, dead] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' }), refusedPort()]);
  const list = `PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${proxy.port}; DIRECT`;
  const ses = freshSession();
  await ses.setProxy({ pacScript: `data:application/x-ns-proxy-autoconfig;base64,${Buffer.from(pacFor(list)).toString('base64')}` });
  t.is(await ses.resolveProxy(origin.url('/')), list);
  const result = await run({ url: origin.url('/pac-data'), session: ses });
  t.is(result.statusCode, 200, describe(result));
  t.true(viaSquid(origin.to('/pac-data')[0]));
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}; DIRECT; PROXY 127.0.0.1:${dead}`);
});

testIf(test, 'squid')('PAC from an http URL: an https request fails over to squid', async (t) => {
  const [origin, proxy, dead, pacServer] = await Promise.all([
    startOrigin(t, 'https'),
    squid(t, { auth: 'none' }),
    refusedPort(),
    startServer(undefined, t),
  ]);
  const list = `PROXY 127.0.0.1:${dead}; PROXY 127.0.0.1:${proxy.port}; DIRECT`;
  pacServer.route('/proxy.pac', (_req, res) => {
    res.setHeader('content-type', 'application/x-ns-proxy-autoconfig');
    res.end(pacFor(list));
  });
  const ses = freshSession();
  await ses.setProxy({ mode: 'pac_script', pacScript: `${pacServer.url}/proxy.pac` });
  t.is(pacServer.requestsTo('/proxy.pac').length, 1);
  t.is(await ses.resolveProxy(origin.url('/')), list);
  const result = await run({ url: origin.url('/pac-http'), method: 'POST', session: ses }, { body: 'pac body' });
  t.is(result.statusCode, 200, describe(result));
  t.deepEqual(origin.to('/pac-http').map((r) => r.body), ['pac body']);
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}; DIRECT; PROXY 127.0.0.1:${dead}`);
});

test('a PAC that returns only a dead proxy fails with ERR_PROXY_CONNECTION_FAILED', async (t) => {
  const [origin, dead] = await Promise.all([startOrigin(t, 'http'), refusedPort()]);
  const ses = freshSession();
  await ses.setProxy({ pacScript: `data:,${encodeURIComponent(pacFor(`PROXY 127.0.0.1:${dead}`))}` });
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${dead}`);
  const result = await run({ url: origin.url('/nowhere'), session: ses });
  t.is(result.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(result));
  t.is(result.statusCode, undefined);
  t.is(origin.requests.length, 0);
});

testIf(test, 'squid')('forceReloadProxyConfig() fetches the PAC script again', async (t) => {
  const [origin, proxy, dead, pacServer] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' }), refusedPort(), startServer(undefined, t)]);
  let script = pacFor(`PROXY 127.0.0.1:${dead}`);
  pacServer.route('/reload.pac', (_req, res) => res.end(script));
  const ses = freshSession();
  await ses.setProxy({ pacScript: `${pacServer.url}/reload.pac` });
  t.is(pacServer.requestsTo('/reload.pac').length, 1);
  const before = await run({ url: origin.url('/reload'), session: ses });
  t.is(before.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(before));

  script = pacFor(`PROXY 127.0.0.1:${proxy.port}`);
  t.is(pacServer.requestsTo('/reload.pac').length, 1, 'not fetched again by itself');
  await ses.forceReloadProxyConfig();
  t.is(pacServer.requestsTo('/reload.pac').length, 2);
  t.is(await ses.resolveProxy(origin.url('/')), `PROXY 127.0.0.1:${proxy.port}`);
  const after = await run({ url: origin.url('/reload'), session: ses });
  t.is(after.statusCode, 200, describe(after));
  t.true(viaSquid(origin.to('/reload')[0]));
});

// ---- redirects ----------------------------------------------------------------------------

function redirecting(origin: Origin, from: string, to: string, status = 302): void {
  origin.route(from, (_req, res) => {
    res.writeHead(status, { location: to });
    res.end();
  });
}

for (const scheme of ['http', 'https'] as const) {
  declare(`squid: a 302 from an ${scheme} origin is followed through the proxy`, ['squid'], async (t) => {
    const [origin, proxy] = await Promise.all([startOrigin(t, scheme), squid(t, { auth: 'none' })]);
    redirecting(origin, '/from', '/to');
    const ses = freshSession();
    await ses.setProxy({ proxyRules: rulesFor(proxy) });
    const result = await run({ url: origin.url('/from'), session: ses });
    t.is(result.statusCode, 200, describe(result));
    t.deepEqual(result.redirects, [{ statusCode: 302, method: 'GET', url: origin.url('/to') }]);
    t.is(JSON.parse(result.body!).url, '/to');
    t.is(origin.to('/from').length, 1);
    t.is(origin.to('/to').length, 1);
    if (scheme === 'http') t.true(origin.requests.every(viaSquid), 'both hops through squid');
  });
}

testIf(test, 'squid')('a redirect to another origin that the proxy rules send DIRECT leaves the proxy', async (t) => {
  const [origin, other, proxy] = await Promise.all([startOrigin(t, 'http'), startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  redirecting(origin, '/away', other.loopbackUrl('/landed'));
  const ses = freshSession();
  await ses.setProxy({ proxyRules: rulesFor(proxy) });
  const result = await run({ url: origin.url('/away'), session: ses });
  t.is(result.statusCode, 200, describe(result));
  t.true(viaSquid(origin.to('/away')[0]), 'first hop through squid');
  t.false(viaSquid(other.to('/landed')[0]), 'loopback hop direct');
});
