// Ambient authentication policy: which servers Negotiate may answer with the process's own
// Kerberos identity (ses.allowNTLMCredentialsForDomains, --auth-server-allowlist), proxies always;
// --auth-schemes; --auth-negotiate-delegate-allowlist. A real MIT KDC issues the ticket; the
// origin on 127.0.0.1 is addressed as localhost (the KDC's service principal is HTTP/localhost)
// and accepts any Negotiate token, which only libcurl's GSS-API with a ticket can produce.
import test from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { commandLine } from '../ts';
import { hostMapping } from '../ts/stages/host-mapping';
import { authentication } from '../ts/stages/authentication';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { GSSAPI_DELEGATE_ALWAYS } from '../ts/ambient-auth-policy';
import { harness } from './helpers/stage-harness';
import { cleanupFixtures, describe, freshSession, kdc, run, testIf } from './helpers/proxy-fixtures';

test.afterEach.always(() => resetSwitchesForTesting());
test.after.always(() => cleanupFixtures());

interface Seen {
  authorization: string[];
}

/** /both offers Negotiate and Basic; /negotiate only Negotiate. A Negotiate token or bob's
 * Basic credentials are let in. */
async function origin(t: { teardown(fn: () => unknown): void }): Promise<{ url: (p: string) => string; seen: Seen }> {
  const seen: Seen = { authorization: [] };
  const basic = `Basic ${Buffer.from('bob:b0b').toString('base64')}`;
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.authorization.push(auth);
    if (/^Negotiate \S{20,}/.test(auth)) return res.end('kerberos');
    if (auth === basic) return res.end('basic');
    res.statusCode = 401;
    res.setHeader('WWW-Authenticate', req.url === '/negotiate' ? ['Negotiate'] : ['Negotiate', 'Basic realm="r"']);
    res.end('denied');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return { url: (p) => `http://localhost:${port}${p}`, seen };
}

const bob = () => ['bob', 'b0b'] as [string, string];

testIf(test.serial, 'kerberos')('Negotiate uses the ticket only for allowed servers; others are asked through login (Basic)', async (t) => {
  const kerberos = await kdc(t);
  const saved = { KRB5_CONFIG: process.env.KRB5_CONFIG, KRB5CCNAME: process.env.KRB5CCNAME };
  Object.assign(process.env, await kerberos.kinit());
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const server = await origin(t);

  // No allowlist anywhere: as Chromium on Linux, no ambient identity for servers.
  const plain = await run({ url: server.url('/both'), session: freshSession() }, { login: bob });
  t.is(plain.statusCode, 200, describe(plain));
  t.is(plain.body, 'basic');
  t.deepEqual(plain.logins.map((l) => l.scheme), ['basic']);
  t.false(server.seen.authorization.some((a) => a.startsWith('Negotiate ')), 'no Kerberos token was sent');

  // Negotiate alone and not allowed: the 401 is the response, nobody is asked.
  const only = await run({ url: server.url('/negotiate'), session: freshSession() }, { login: bob });
  t.is(only.statusCode, 401, describe(only));
  t.deepEqual(only.logins, []);

  // The session's list (Electron's pattern syntax) lets localhost use the ticket, silently.
  const allowed = freshSession();
  allowed.allowNTLMCredentialsForDomains('*.corp.test, localhost');
  const ambient = await run({ url: server.url('/negotiate'), session: allowed }, { login: bob });
  t.is(ambient.statusCode, 200, describe(ambient));
  t.is(ambient.body, 'kerberos');
  t.deepEqual(ambient.logins, []);

  const other = freshSession();
  other.allowNTLMCredentialsForDomains('*.corp.test');
  const notListed = await run({ url: server.url('/both'), session: other }, { login: bob });
  t.deepEqual(notListed.logins.map((l) => l.scheme), ['basic'], describe(notListed));

  // --auth-server-allowlist is the default for sessions without their own list …
  commandLine.appendSwitch('auth-server-allowlist', 'localhost');
  const bySwitch = await run({ url: server.url('/both'), session: freshSession() }, { login: bob });
  t.is(bySwitch.body, 'kerberos', describe(bySwitch));
  // … and a session's own list replaces it.
  const bySession = await run({ url: server.url('/both'), session: other }, { login: bob });
  t.is(bySession.body, 'basic', describe(bySession));

  // --auth-schemes=basic: Negotiate is not answered even where it is allowed.
  commandLine.appendSwitch('auth-schemes', 'basic,digest');
  const basicOnly = await run({ url: server.url('/both'), session: allowed }, { login: bob });
  t.is(basicOnly.body, 'basic', describe(basicOnly));
  t.deepEqual(basicOnly.logins.map((l) => l.scheme), ['basic']);
});

test.serial('allowNTLMCredentialsForDomains takes a string', (t) => {
  t.throws(() => freshSession().allowNTLMCredentialsForDomains(undefined as unknown as string), { instanceOf: TypeError });
});

test.serial('--auth-negotiate-delegate-allowlist: CURLOPT_GSSAPI_DELEGATION only for listed hosts', async (t) => {
  commandLine.appendSwitch('auth-negotiate-delegate-allowlist', '*.corp.test');
  const listed = harness(authentication, 'http://app.corp.test/');
  t.is((await listed.prepare()).extras.gssapiDelegation, GSSAPI_DELEGATE_ALWAYS);
  const other = harness(authentication, 'http://elsewhere.test/');
  t.is((await other.prepare()).extras.gssapiDelegation, undefined);
  commandLine.removeSwitch('auth-negotiate-delegate-allowlist');
  t.is((await listed.prepare()).extras.gssapiDelegation, undefined, 'no list: never delegated (libcurl default)');
});

test.serial('host mapping stage: connect-to entries for direct hops', async (t) => {
  commandLine.appendSwitch('host-resolver-rules', 'MAP *.corp.test 127.0.0.1:8080');
  const h = harness(hostMapping, 'https://a.corp.test/x');
  t.is((await h.prepare()).extras.connectTo, 'a.corp.test:443:127.0.0.1:8080');
  const v6 = harness(hostMapping, 'http://[::1]:81/');
  commandLine.appendSwitch('host-rules', 'MAP [::1]:81 [::2]');
  t.is((await v6.prepare()).extras.connectTo, '[::1]:81:[::2]:81');
});
