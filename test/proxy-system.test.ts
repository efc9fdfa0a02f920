// mode: 'system' on Linux: proxy environment variables and NO_PROXY, with the semantics
// documented in docs/proxy.md.
import test from 'ava';
import { formatProxyList, ProxyResolver } from '../ts/proxy';

async function sys(env: NodeJS.ProcessEnv, url: string): Promise<string> {
  const r = new ProxyResolver({ env });
  await r.setConfig({ mode: 'system' });
  const out = formatProxyList(await r.resolve(url));
  r.close();
  return out;
}

test('http_proxy for http, https_proxy for https; neither falls back to the other', async (t) => {
  const env = { http_proxy: 'http://hp:3128', https_proxy: 'http://sp:3129' };
  t.is(await sys(env, 'http://e.test/'), 'PROXY hp:3128');
  t.is(await sys(env, 'https://e.test/'), 'PROXY sp:3129');
  t.is(await sys(env, 'ws://e.test/'), 'PROXY hp:3128');
  t.is(await sys(env, 'wss://e.test/'), 'PROXY sp:3129');
  t.is(await sys({ http_proxy: 'hp:1' }, 'https://e.test/'), 'DIRECT');
  t.is(await sys({ https_proxy: 'sp:1' }, 'http://e.test/'), 'DIRECT');
  t.is(await sys({}, 'http://e.test/'), 'DIRECT');
});

test('all_proxy is the fallback; the scheme-specific variable wins', async (t) => {
  t.is(await sys({ all_proxy: 'socks5://s:1080' }, 'https://e.test/'), 'SOCKS5 s:1080');
  t.is(await sys({ ALL_PROXY: 'socks5h://s:1081' }, 'http://e.test/'), 'SOCKS5 s:1081');
  t.is(await sys({ all_proxy: 'a:1', http_proxy: 'h:2' }, 'http://e.test/'), 'PROXY h:2');
  t.is(await sys({ all_proxy: 'a:1', http_proxy: 'h:2' }, 'https://e.test/'), 'PROXY a:1');
  t.is(await sys({ all_proxy: 'a:1' }, 'ftp://e.test/'), 'DIRECT', 'only http(s) and ws(s) are proxied');
});

test('lowercase beats uppercase, even when empty; uppercase alone works', async (t) => {
  t.is(await sys({ HTTP_PROXY: 'up:1' }, 'http://e.test/'), 'PROXY up:1');
  t.is(await sys({ HTTPS_PROXY: 'up:2' }, 'https://e.test/'), 'PROXY up:2');
  t.is(await sys({ http_proxy: 'low:1', HTTP_PROXY: 'up:1' }, 'http://e.test/'), 'PROXY low:1');
  t.is(await sys({ https_proxy: 'low:2', HTTPS_PROXY: 'up:2' }, 'https://e.test/'), 'PROXY low:2');
  t.is(await sys({ http_proxy: '', HTTP_PROXY: 'up:1' }, 'http://e.test/'), 'DIRECT', 'an empty lowercase variable switches it off');
  t.is(await sys({ no_proxy: 'a.test', NO_PROXY: 'b.test', http_proxy: 'p:1' }, 'http://b.test/'), 'PROXY p:1');
  t.is(await sys({ NO_PROXY: 'b.test', http_proxy: 'p:1' }, 'http://b.test/'), 'DIRECT');
});

test('HTTP_PROXY is ignored under CGI (REQUEST_METHOD set): the httpoxy guard', async (t) => {
  t.is(await sys({ HTTP_PROXY: 'evil:1', REQUEST_METHOD: 'GET' }, 'http://e.test/'), 'DIRECT');
  t.is(await sys({ http_proxy: 'ok:1', REQUEST_METHOD: 'GET' }, 'http://e.test/'), 'PROXY ok:1');
  t.is(await sys({ HTTPS_PROXY: 'ok:2', REQUEST_METHOD: 'GET' }, 'https://e.test/'), 'PROXY ok:2');
});

test('proxy values: schemes, default ports, trailing slash, credentials', async (t) => {
  t.is(await sys({ http_proxy: 'h' }, 'http://e.test/'), 'PROXY h:80');
  t.is(await sys({ http_proxy: 'https://h' }, 'http://e.test/'), 'HTTPS h:443');
  t.is(await sys({ http_proxy: 'socks4://h' }, 'http://e.test/'), 'SOCKS h:1080');
  t.is(await sys({ http_proxy: 'socks4a://h:9' }, 'http://e.test/'), 'SOCKS h:9');
  t.is(await sys({ http_proxy: 'socks://h' }, 'http://e.test/'), 'SOCKS5 h:1080');
  t.is(await sys({ http_proxy: 'http://h:3128/' }, 'http://e.test/'), 'PROXY h:3128');
  t.is(await sys({ http_proxy: 'http://[::1]:3128' }, 'http://e.test/'), 'PROXY [::1]:3128');
  t.is(await sys({ http_proxy: 'ftp://h:1' }, 'http://e.test/'), 'DIRECT', 'unknown scheme: variable ignored');
  t.is(await sys({ http_proxy: 'http://h:notaport' }, 'http://e.test/'), 'DIRECT');

  const r = new ProxyResolver({ env: { http_proxy: 'http://al%40ice:s%3Acret@h:3128' } });
  await r.setConfig({ mode: 'system' });
  const [choice] = await r.resolve('http://e.test/');
  t.deepEqual(choice, { kind: 'proxy', server: { scheme: 'http', host: 'h', port: 3128, username: 'al@ice', password: 's:cret' } });
});

test('the environment is read at setConfig() time', async (t) => {
  const env: NodeJS.ProcessEnv = { http_proxy: 'first:1' };
  const r = new ProxyResolver({ env });
  await r.setConfig({ mode: 'system' });
  env.http_proxy = 'second:2';
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY first:1');
  await r.setConfig({ mode: 'system' });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY second:2');
});

test('process.env is the default environment', async (t) => {
  const saved = process.env.http_proxy;
  process.env.http_proxy = 'from-process-env:8';
  try {
    const r = new ProxyResolver();
    await r.setConfig({ mode: 'system' });
    t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY from-process-env:8');
  } finally {
    if (saved === undefined) delete process.env.http_proxy;
    else process.env.http_proxy = saved;
  }
});

// NO_PROXY semantics table: [no_proxy, url, expected].
const noProxyCases: Array<[string, string, 'direct' | 'proxy']> = [
  ['example.test', 'http://example.test/', 'direct'],
  ['example.test', 'http://www.example.test/', 'direct'],
  ['example.test', 'http://notexample.test/', 'proxy'],
  ['.example.test', 'http://example.test/', 'direct'],
  ['.example.test', 'http://a.b.example.test/', 'direct'],
  ['*.example.test', 'http://example.test/', 'direct'],
  ['*.example.test', 'http://www.example.test/', 'direct'],
  ['*example.test', 'http://notexample.test/', 'proxy'],
  ['EXAMPLE.test', 'http://Example.TEST/', 'direct'],
  ['example.test.', 'http://example.test/', 'direct'],
  ['example.test', 'http://example.test./', 'direct'],
  ['example.test:8080', 'http://example.test:8080/', 'direct'],
  ['example.test:8080', 'http://example.test:9999/', 'proxy'],
  ['example.test:443', 'https://example.test/', 'direct'],
  ['example.test:443', 'http://example.test/', 'proxy'],
  ['10.1.2.3', 'http://10.1.2.3:81/', 'direct'],
  ['10.1.2.3', 'http://10.1.2.4/', 'proxy'],
  ['10.1.2.3:81', 'http://10.1.2.3:81/', 'direct'],
  ['10.1.2.3:81', 'http://10.1.2.3/', 'proxy'],
  ['10.0.0.0/8', 'http://10.200.0.1/', 'direct'],
  ['10.0.0.0/8', 'http://11.0.0.1/', 'proxy'],
  ['10.0.0.0/8', 'http://ten.example/', 'proxy'],
  ['::2', 'http://[::2]/', 'direct'],
  ['[::2]', 'http://[0::2]/', 'direct'],
  ['[::2]:81', 'http://[::2]:81/', 'direct'],
  ['[::2]:81', 'http://[::2]/', 'proxy'],
  ['fd00::/8', 'http://[fd00::5]/', 'direct'],
  ['[fd00::]/8', 'http://[fd00::5]/', 'direct'],
  ['*', 'http://anything.test/', 'direct'],
  ['foo.test,*', 'http://anything.test/', 'direct'],
  ['a.test b.test,c.test', 'http://b.test/', 'direct'],
  ['a.test, b.test ,  c.test', 'http://c.test/', 'direct'],
  ['', 'http://e.test/', 'proxy'],
  ['garbage:port, e.test', 'http://e.test/', 'direct'],
];

for (const [noProxy, url, expected] of noProxyCases) {
  test(`NO_PROXY "${noProxy}" → ${url} goes ${expected}`, async (t) => {
    const out = await sys({ http_proxy: 'p:1', https_proxy: 'p:1', no_proxy: noProxy }, url);
    t.is(out === 'DIRECT' ? 'direct' : 'proxy', expected);
  });
}

test('loopback and link-local destinations never use the env proxy', async (t) => {
  for (const url of ['http://localhost/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://x.localhost/', 'http://169.254.0.1/']) {
    t.is(await sys({ http_proxy: 'p:1' }, url), 'DIRECT', url);
  }
});
