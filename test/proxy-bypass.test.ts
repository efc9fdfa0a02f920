// proxyBypassRules: Chromium's grammar and the implicit loopback/link-local rules.
import test from 'ava';
import { formatProxyList, ProxyResolver } from '../ts/proxy';

/** 'direct' when `url` bypasses the proxy under `bypass`, 'proxy' when it uses it. */
async function decide(bypass: string, url: string): Promise<'direct' | 'proxy'> {
  const r = new ProxyResolver();
  await r.setConfig({ proxyRules: 'p:1', proxyBypassRules: bypass });
  const out = formatProxyList(await r.resolve(url));
  r.close();
  return out === 'DIRECT' ? 'direct' : 'proxy';
}

const cases: Array<[string, string, 'direct' | 'proxy']> = [
  // plain host names and wildcards
  ['foobar.com', 'http://foobar.com/', 'direct'],
  ['foobar.com', 'http://www.foobar.com/', 'proxy'],
  ['FooBar.COM', 'http://foobar.com/', 'direct'],
  ['*foobar.com', 'http://blahfoobar.com/', 'direct'],
  ['*foobar.com', 'http://foobar.com/', 'direct'],
  ['*.foobar.com', 'http://a.b.foobar.com/', 'direct'],
  ['*.foobar.com', 'http://foobar.com/', 'proxy'],
  ['www.*.com', 'http://www.x.com/', 'direct'],
  ['f?o.com', 'http://foo.com/', 'direct'],
  // leading dot = subdomains only
  ['.google.com', 'http://maps.google.com/', 'direct'],
  ['.google.com', 'http://google.com/', 'proxy'],
  // ports (the URL's effective port counts)
  ['*foobar.com:99', 'http://x.foobar.com:99/', 'direct'],
  ['*foobar.com:99', 'http://x.foobar.com/', 'proxy'],
  ['example.test:443', 'https://example.test/', 'direct'],
  ['example.test:80', 'https://example.test/', 'proxy'],
  // scheme restrictions
  ['https://x.*.y.com:99', 'https://x.a.y.com:99/', 'direct'],
  ['https://x.*.y.com:99', 'http://x.a.y.com:99/', 'proxy'],
  ['http://example.test', 'http://example.test/', 'direct'],
  ['http://example.test', 'https://example.test/', 'proxy'],
  // IP literals, canonicalised
  ['192.168.1.1', 'http://192.168.1.1/', 'direct'],
  ['192.168.1.1', 'http://192.168.1.2/', 'proxy'],
  ['192.168.1.1:8080', 'http://192.168.1.1:8080/', 'direct'],
  ['192.168.1.1:8080', 'http://192.168.1.1/', 'proxy'],
  ['[0:0::2]', 'http://[::2]/', 'direct'],
  ['::2', 'http://[0::2]:81/', 'direct'],
  ['[::2]:81', 'http://[::2]:81/', 'direct'],
  ['[::2]:81', 'http://[::2]:82/', 'proxy'],
  ['192.168.*', 'http://192.168.7.7/', 'direct'],
  // CIDR: IP-literal URLs only, never a DNS lookup
  ['192.168.1.1/16', 'http://192.168.200.3/', 'direct'],
  ['192.168.1.1/16', 'http://192.169.0.1/', 'proxy'],
  ['10.0.0.0/8', 'http://ten.example/', 'proxy'],
  ['fd00::/8', 'http://[fd12::1]/', 'direct'],
  ['fd00::/8', 'http://[fe12::1]/', 'proxy'],
  ['10.0.0.0/8', 'http://[::ffff:10.1.2.3]/', 'direct'],
  ['https://10.0.0.0/8', 'http://10.1.1.1/', 'proxy'],
  // <local>: host names without a dot that are not IP literals
  ['<local>', 'http://intranet/', 'direct'],
  ['<local>', 'http://intranet.corp/', 'proxy'],
  ['<LOCAL>', 'http://printer:631/', 'direct'],
  // separators: commas, semicolons, spaces around them
  ['a.test; b.test ,c.test', 'http://b.test/', 'direct'],
  ['a.test; b.test ,c.test', 'http://c.test/', 'direct'],
  // invalid entries are skipped, the rest still apply
  ['bad:port:x, ok.test', 'http://ok.test/', 'direct'],
  ['1.2.3.4/99, ok.test', 'http://ok.test/', 'direct'],
  ['://nothing, ok.test', 'http://ok.test/', 'direct'],
];

for (const [bypass, url, expected] of cases) {
  test(`bypass "${bypass}" → ${url} goes ${expected}`, async (t) => {
    t.is(await decide(bypass, url), expected);
  });
}

test('loopback and link-local destinations bypass the proxy implicitly', async (t) => {
  for (const url of [
    'http://localhost/',
    'http://LOCALHOST:8080/',
    'http://localhost./',
    'http://api.localhost/',
    'http://127.0.0.1/',
    'http://127.255.1.2:99/',
    'http://[::1]/',
    'http://169.254.1.1/',
    'http://[fe80::1]/',
    'https://localhost/',
    'http://localhost6/',
    'http://localhost6.localdomain6/',
    'http://[::ffff:127.0.0.1]/',
  ]) {
    t.is(await decide('', url), 'direct', url);
  }
  t.is(await decide('', 'http://128.0.0.1/'), 'proxy');
  t.is(await decide('', 'http://localhost.example/'), 'proxy');
  t.is(await decide('', 'http://[::2]/'), 'proxy');
});

test('<-loopback> removes the implicit rules', async (t) => {
  for (const url of ['http://localhost/', 'http://127.0.0.1:3000/', 'http://[::1]/', 'http://169.254.9.9/', 'http://a.localhost/']) {
    t.is(await decide('<-loopback>', url), 'proxy', url);
  }
});

test('later rules override earlier ones when <-loopback> is mixed with other rules', async (t) => {
  // Chromium evaluates the list from the end (WinInet's order).
  t.is(await decide('<-loopback>, localhost', 'http://localhost/'), 'direct');
  t.is(await decide('localhost, <-loopback>', 'http://localhost/'), 'proxy');
  t.is(await decide('localhost, <-loopback>', 'http://127.0.0.1/'), 'proxy');
  t.is(await decide('127.0.0.1, <-loopback>', 'http://127.0.0.1/'), 'proxy');
  t.is(await decide('<-loopback>, 127.0.0.1', 'http://127.0.0.1/'), 'direct');
  t.is(await decide('<-loopback>, 127.0.0.1', 'http://127.0.0.2/'), 'proxy');
});

test('<local> does not cover localhost by itself; the implicit rules do', async (t) => {
  t.is(await decide('<local>,<-loopback>', 'http://localhost/'), 'proxy');
  t.is(await decide('<-loopback>,<local>', 'http://localhost/'), 'direct', '<local> matches the dotless "localhost" last');
  t.is(await decide('<-loopback>,<local>', 'http://127.0.0.1/'), 'proxy', '<local> never matches IP literals');
});
