// The prebuild's Negotiate opens the system's GSS-API library (libgssapi_krb5.so.2) on first
// use (native/bundled/gssapi_loader.c). Each test runs a child process with the prebuild, since
// the library is opened at most once per process: one where CURL_NET_GSSAPI_LIBRARY names a
// library that does not exist (a machine without libgssapi-krb5-2), one where it names the real
// one. Real squids (Negotiate with an MIT KDC, Negotiate+Basic, Digest, NTLM) and a real origin.
// With a system libcurl (npm test) there is no loader, so these only run under test:bundled.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { versions } from '../ts/index';
import type { NegotiateChildCase, NegotiateChildResult } from './fixtures/negotiate-child';
import { cleanupFixtures, kdc, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.after.always(() => cleanupFixtures());

const prebuild = versions().bundledSources !== undefined;
const declare = (title: string, fn: (t: ExecutionContext) => Promise<void>) =>
  (prebuild ? testIf(test.serial, 'squid', 'kerberos') : test.skip)(title, fn);

const MISSING = '/nonexistent/curl-net-test/libgssapi_krb5.so.2';

function runChild(cases: NegotiateChildCase[], env: NodeJS.ProcessEnv): Promise<NegotiateChildResult[]> {
  const script = path.join(__dirname, 'fixtures', 'negotiate-child.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(cases)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as NegotiateChildResult[]);
    });
  });
}

const byName = (results: NegotiateChildResult[]) => new Map(results.map((r) => [r.name, r]));

declare('without libgssapi_krb5.so.2, Negotiate fails with an error naming the package to install, and Basic, Digest and NTLM still work in the same process', async (t) => {
  const kerberos = await kdc(t);
  const [origin, tlsOrigin, negotiate, negotiateOrBasic, digest, ntlm] = await Promise.all([
    startOrigin(t, 'http'),
    startOrigin(t, 'https'),
    squid(t, { auth: 'negotiate', kdc: kerberos }),
    squid(t, { auth: 'negotiate+basic', kdc: kerberos }),
    squid(t, { auth: 'digest' }),
    squid(t, { auth: 'ntlm' }),
  ]);
  origin.route('/negotiate-only', (_req, res) => {
    res.writeHead(401, { 'WWW-Authenticate': 'Negotiate' }).end('who are you?');
  });
  const basicUser = `Basic ${Buffer.from('bob:b0b').toString('base64')}`;
  origin.route('/negotiate-or-basic', (req, res) => {
    if (req.headers.authorization === basicUser) res.end('hello bob');
    else {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', ['Negotiate', 'Basic realm="r"']);
      res.end('denied');
    }
  });
  const localhost = (port: number) => `localhost:${port}`; // Negotiate's SPN is HTTP/localhost
  const cases: NegotiateChildCase[] = [
    // A request before any Negotiate: nothing is loaded, nothing fails.
    { name: 'plain', url: origin.loopbackUrl('/plain') },
    { name: 'proxy negotiate → http', url: origin.url('/n1'), proxyRules: localhost(negotiate.port), credentials: ['alice', 'x'] },
    { name: 'proxy negotiate → https (CONNECT)', url: tlsOrigin.url('/n2'), proxyRules: localhost(negotiate.port), credentials: ['alice', 'x'] },
    { name: 'server negotiate', url: origin.loopbackUrl('/negotiate-only'), credentials: ['alice', 'x'] },
    // Offered alongside, Basic is answered instead (as Chromium does without a GSS-API library).
    { name: 'server negotiate + basic', url: origin.loopbackUrl('/negotiate-or-basic'), credentials: ['bob', 'b0b'] },
    { name: 'proxy negotiate + basic', url: origin.url('/nb'), proxyRules: localhost(negotiateOrBasic.port), credentials: [negotiateOrBasic.username!, negotiateOrBasic.password!] },
    // Credentials from the environment may answer any scheme: libcurl must not be let pick Negotiate.
    { name: 'proxy negotiate + basic, credentials in HTTP_PROXY', url: origin.url('/nb-env'), httpProxyVariable: `http://${negotiateOrBasic.username}:${negotiateOrBasic.password}@127.0.0.1:${negotiateOrBasic.port}` },
    { name: 'proxy digest', url: origin.url('/digest'), proxyRules: `127.0.0.1:${digest.port}`, credentials: [digest.username!, digest.password!] },
    { name: 'proxy ntlm', url: origin.url('/ntlm'), proxyRules: `127.0.0.1:${ntlm.port}`, credentials: [ntlm.username!, ntlm.password!] },
  ];
  const results = byName(await runChild(cases, { CURL_NET_GSSAPI_LIBRARY: MISSING }));
  const detail = (name: string) => JSON.stringify(results.get(name));

  t.is(results.get('plain')?.statusCode, 200, detail('plain'));
  for (const name of ['proxy negotiate → http', 'proxy negotiate → https (CONNECT)', 'server negotiate']) {
    const r = results.get(name)!;
    t.is(r.error, 'net::ERR_MISCONFIGURED_AUTH_ENVIRONMENT', detail(name));
    t.deepEqual(r.logins, [], `${name}: no prompt, credentials cannot help`);
    t.true(r.cause?.includes(MISSING), detail(name));
    t.regex(r.cause ?? '', /libgssapi-krb5-2 on Debian and Ubuntu, krb5-libs on RHEL, Fedora/, detail(name));
  }
  t.is(origin.to('/n1').length + tlsOrigin.to('/n2').length, 0, 'nothing got past the Negotiate proxy');

  const expectLogin = (name: string, login: string) => {
    const r = results.get(name)!;
    t.is(r.statusCode, 200, detail(name));
    t.is(r.error, undefined, detail(name));
    t.deepEqual(r.logins, [login], detail(name));
  };
  expectLogin('server negotiate + basic', 'server basic');
  t.is(results.get('server negotiate + basic')?.body, 'hello bob');
  expectLogin('proxy negotiate + basic', 'proxy basic');
  const fromEnvironment = results.get('proxy negotiate + basic, credentials in HTTP_PROXY')!;
  t.is(fromEnvironment.statusCode, 200, JSON.stringify(fromEnvironment));
  t.deepEqual(fromEnvironment.logins, [], 'the credentials from the environment were used, with Basic');
  expectLogin('proxy digest', 'proxy digest');
  expectLogin('proxy ntlm', 'proxy ntlm');
  t.is(origin.to('/nb').length + origin.to('/nb-env').length + origin.to('/digest').length + origin.to('/ntlm').length, 4, 'each got through once');
});

declare('CURL_NET_GSSAPI_LIBRARY naming the real library: loaded at the first Negotiate challenge, which the Kerberos ticket then answers', async (t) => {
  const kerberos = await kdc(t);
  const [origin, negotiate] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'negotiate', kdc: kerberos })]);
  const ticket = await kerberos.kinit();
  const results = byName(
    await runChild(
      [
        { name: 'plain', url: origin.loopbackUrl('/plain') },
        { name: 'proxy negotiate', url: origin.url('/kerberos'), proxyRules: `localhost:${negotiate.port}` },
      ],
      { ...ticket, CURL_NET_GSSAPI_LIBRARY: 'libgssapi_krb5.so.2' },
    ),
  );
  t.is(results.get('plain')?.statusCode, 200);
  t.false(results.get('plain')?.gssapiMapped, 'nothing is loaded before a Negotiate challenge');
  const r = results.get('proxy negotiate')!;
  t.is(r.statusCode, 200, JSON.stringify(r));
  t.deepEqual(r.logins, []);
  t.true(r.gssapiMapped, 'the Negotiate challenge loaded the library');
  t.is(origin.to('/kerberos').length, 1);
});
