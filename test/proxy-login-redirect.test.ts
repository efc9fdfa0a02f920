// Credentials that got a request past a proxy are remembered even when the response that
// proved them was a redirect, and the redirect leads somewhere the proxy is not used (a
// bypassed origin). Real squid (Basic) in front of a real origin.
import test from 'ava';
import { cleanupFixtures, describe, freshSession, run, squid, startOrigin, testIf } from './helpers/proxy-fixtures';

test.after.always(() => cleanupFixtures());

testIf(test, 'squid')('proxy login, then a redirect to a bypassed origin: the proxy credentials are cached, the next request does not prompt', async (t) => {
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'basic' })]);
  // origin.curlnet.test goes through squid; 127.0.0.1 (the same server) is bypassed.
  origin.route('/go', (_req, res) => {
    res.writeHead(302, { Location: origin.loopbackUrl('/landed') });
    res.end();
  });
  const ses = freshSession();
  await ses.setProxy({ proxyRules: `127.0.0.1:${proxy.port}`, proxyBypassRules: '127.0.0.1' });
  const answer = () => [proxy.username!, proxy.password!] as [string, string];

  const first = await run({ url: origin.url('/go'), session: ses }, { login: answer });
  t.is(first.statusCode, 200, describe(first));
  t.is(first.logins.length, 1, describe(first));
  t.true(first.logins[0].isProxy);
  t.deepEqual(first.redirects.map((r) => r.url), [origin.loopbackUrl('/landed')]);
  t.is(origin.to('/landed').length, 1);

  const second = await run({ url: origin.url('/again'), session: ses }, { login: answer });
  t.is(second.statusCode, 200, describe(second));
  t.deepEqual(second.logins, [], 'prompted again for proxy credentials that already worked');
  t.is(origin.to('/again').length, 1);
});
