// fixed_servers: Chromium's proxyRules grammar, mode selection, formatting for resolveProxy and
// libcurl, and the bad-proxy failover order.
import test from 'ava';
import { curlProxyUrl, formatProxyList, INVALID_MODE_MESSAGE, ProxyChoice, ProxyConfig, ProxyResolver } from '../ts/proxy';

async function resolveWith(config: ProxyConfig, url: string): Promise<string> {
  const r = new ProxyResolver({ env: {} });
  await r.setConfig(config);
  const out = formatProxyList(await r.resolve(url));
  r.close();
  return out;
}

const rules = (proxyRules: string, url: string) => resolveWith({ mode: 'fixed_servers', proxyRules }, url);

test('a single proxy applies to every scheme, with the default HTTP port', async (t) => {
  t.is(await rules('foopy', 'http://example.test/'), 'PROXY foopy:80');
  t.is(await rules('foopy:8080', 'https://example.test/'), 'PROXY foopy:8080');
  t.is(await rules('http://foopy:3128', 'ws://example.test/'), 'PROXY foopy:3128');
});

test('proxy URI schemes and their default ports', async (t) => {
  t.is(await rules('https://secure', 'http://e.test/'), 'HTTPS secure:443');
  t.is(await rules('socks4://s4', 'http://e.test/'), 'SOCKS s4:1080');
  t.is(await rules('socks5://s5', 'http://e.test/'), 'SOCKS5 s5:1080');
  t.is(await rules('socks://s', 'http://e.test/'), 'SOCKS5 s:1080', 'socks:// in a URI is SOCKS5');
  t.is(await rules('SOCKS5://UPPER.Example:99', 'http://e.test/'), 'SOCKS5 upper.example:99');
  t.is(await rules('[::1]:3128', 'http://e.test/'), 'PROXY [::1]:3128');
  t.is(await rules('http://[0:0::1]', 'http://e.test/'), 'PROXY [::1]:80');
});

test('comma lists fail over in order, direct:// included', async (t) => {
  t.is(await rules('foopy:80,bar,direct://', 'http://e.test/'), 'PROXY foopy:80; PROXY bar:80; DIRECT');
  t.is(await rules('http=foopy,socks5://bar.com', 'http://e.test/'), 'PROXY foopy:80; SOCKS5 bar.com:1080');
});

test('scheme-scoped rules apply only to that URL scheme', async (t) => {
  const r = 'http=foopy:80;https=bar:3128';
  t.is(await rules(r, 'http://e.test/'), 'PROXY foopy:80');
  t.is(await rules(r, 'https://e.test/'), 'PROXY bar:3128');
  t.is(await rules('http=foopy:80', 'https://e.test/'), 'DIRECT', 'https goes DIRECT when only http= is set');
  t.is(await rules('ftp=f:21', 'http://e.test/'), 'DIRECT');
});

test('socks= is the list for all other schemes, and a bare host there is SOCKS4', async (t) => {
  const r = 'http=foopy;socks=foopy2';
  t.is(await rules(r, 'http://e.test/'), 'PROXY foopy:80');
  t.is(await rules(r, 'https://e.test/'), 'SOCKS foopy2:1080');
  t.is(await rules('socks=socks5://s:1081', 'http://e.test/'), 'SOCKS5 s:1081');
});

test('WebSocket URLs use socks=, else the https list, else the http list', async (t) => {
  t.is(await rules('http=h;https=s;socks=k', 'ws://e.test/'), 'SOCKS k:1080');
  t.is(await rules('http=h;https=s', 'ws://e.test/'), 'PROXY s:80');
  t.is(await rules('http=h', 'wss://e.test/'), 'PROXY h:80');
});

test('an entry without "=" makes a single list and ends parsing, unless a scheme= entry came first', async (t) => {
  t.is(await rules('b:1;https=c', 'https://e.test/'), 'PROXY b:1');
  t.is(await rules('b:1;https=c', 'http://e.test/'), 'PROXY b:1');
  t.is(await rules('http=a;b:1;https=c', 'https://e.test/'), 'PROXY c:80', 'b:1 is ignored after http=');
  t.is(await rules('http=a;b:1;https=c', 'http://e.test/'), 'PROXY a:80');
  t.is(await rules('gopher=g;b:1', 'http://e.test/'), 'DIRECT', 'an unknown scheme= entry counts too');
});

test('invalid entries are skipped; nothing valid means DIRECT', async (t) => {
  t.is(await rules('bogus://x,good:1', 'http://e.test/'), 'PROXY good:1');
  t.is(await rules('user:pass@p:1,q:2', 'http://e.test/'), 'PROXY q:2', 'credentials make an entry invalid');
  t.is(await rules('p:99999', 'http://e.test/'), 'DIRECT');
  t.is(await rules('', 'http://e.test/'), 'DIRECT');
  t.is(await rules(' ; ', 'http://e.test/'), 'DIRECT');
  t.is(await rules('gopher=g:70', 'http://e.test/'), 'DIRECT');
});

test('bypass rules apply to fixed_servers', async (t) => {
  const config = { proxyRules: 'p:1', proxyBypassRules: '*.internal.test, <local>' };
  t.is(await resolveWith(config, 'http://a.internal.test/'), 'DIRECT');
  t.is(await resolveWith(config, 'http://intranet/'), 'DIRECT');
  t.is(await resolveWith(config, 'http://www.example.test/'), 'PROXY p:1');
});

test('mode selection: missing mode, direct, pac_script without a script', async (t) => {
  t.is(await resolveWith({ proxyRules: 'p:1' }, 'http://e.test/'), 'PROXY p:1', 'no mode + rules = fixed_servers');
  t.is(await resolveWith({ mode: 'direct', proxyRules: 'p:1' }, 'http://e.test/'), 'DIRECT', 'direct ignores proxyRules');
  t.is(await resolveWith({ mode: 'pac_script' }, 'http://e.test/'), 'DIRECT');
  t.is(await resolveWith({ mode: 'pac_script', pacScript: '' }, 'http://e.test/'), 'DIRECT');
  t.is(await resolveWith({}, 'http://e.test/'), 'DIRECT');
  const pac = 'data:,' + encodeURIComponent('function FindProxyForURL(){return "PROXY pac:9"}');
  t.is(await resolveWith({ pacScript: pac, proxyRules: 'p:1' }, 'http://e.test/'), 'PROXY pac:9', 'pacScript wins over proxyRules');
});

test('an invalid mode rejects with Electron\'s message', async (t) => {
  const r = new ProxyResolver();
  const err = await t.throwsAsync(r.setConfig({ mode: 'bogus' as never }));
  t.is(err?.message, INVALID_MODE_MESSAGE);
  t.is(err?.message, 'Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system');
  await t.throwsAsync(r.setConfig(null as never), { instanceOf: TypeError });
});

test('resolve() rejects for an invalid URL and returns DIRECT for non-proxied schemes', async (t) => {
  const r = new ProxyResolver();
  await r.setConfig({ proxyRules: 'http=p:1;https=q:2' });
  await t.throwsAsync(r.resolve('not a url'), { instanceOf: TypeError });
  t.is(formatProxyList(await r.resolve('file:///etc/hosts')), 'DIRECT');
});

test('curlProxyUrl maps to the libcurl proxy strings that match Chromium', (t) => {
  const p = (scheme: 'http' | 'https' | 'socks4' | 'socks5', host: string, port: number): ProxyChoice => ({
    kind: 'proxy',
    server: { scheme, host, port },
  });
  t.is(curlProxyUrl({ kind: 'direct' }), '');
  t.is(curlProxyUrl(p('http', 'h', 80)), 'http://h:80');
  t.is(curlProxyUrl(p('https', 'h', 443)), 'https://h:443');
  t.is(curlProxyUrl(p('socks4', 'h', 1080)), 'socks4://h:1080');
  t.is(curlProxyUrl(p('socks5', 'h', 1080)), 'socks5h://h:1080', 'SOCKS5 resolves on the proxy, like Chromium');
  t.is(curlProxyUrl(p('http', '::1', 3128)), 'http://[::1]:3128');
  t.is(curlProxyUrl({ kind: 'proxy', server: { scheme: 'http', host: 'h', port: 1, username: 'u', password: 'p' } }), 'http://h:1');
  t.is(formatProxyList([]), 'DIRECT');
});

test('markFailed moves a proxy behind the others, keeping their order', async (t) => {
  const r = new ProxyResolver();
  await r.setConfig({ proxyRules: 'a:1,b:2,direct://,c:3' });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY a:1; PROXY b:2; DIRECT; PROXY c:3');
  r.markFailed({ scheme: 'http', host: 'a', port: 1 });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY b:2; DIRECT; PROXY c:3; PROXY a:1');
  r.markFailed({ scheme: 'http', host: 'b', port: 2 });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'DIRECT; PROXY c:3; PROXY a:1; PROXY b:2');
  // Another scheme on the same host:port is a different proxy.
  r.markFailed({ scheme: 'socks5', host: 'c', port: 3 });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'DIRECT; PROXY c:3; PROXY a:1; PROXY b:2');
  // setConfig starts over.
  await r.setConfig({ proxyRules: 'a:1,b:2' });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY a:1; PROXY b:2');
});

test('results are copies: mutating one does not change the next answer', async (t) => {
  const r = new ProxyResolver();
  await r.setConfig({ proxyRules: 'a:1' });
  const first = await r.resolve('http://e.test/');
  (first[0] as { kind: 'proxy'; server: { host: string } }).server.host = 'mutated';
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY a:1');
});
