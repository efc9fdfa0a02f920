// mode: 'system' with a desktop's own proxy settings, read as Chromium's ProxyConfigServiceLinux
// reads them: real GSettings (Debian's gsettings tool with the keyfile backend under a private
// XDG_CONFIG_HOME) and real kioslaverc files under a private HOME. Requests through a real proxy
// configured this way are in proxy-desktop-requests.test.ts.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatProxyList, ProxyResolver } from '../ts/proxy';
import { detectDesktopEnvironment, proxySettingsStore } from '../ts/proxy/system';
import { parseGVariantText } from '../ts/proxy/system/gvariant-text';

const HAVE_GSETTINGS = (() => {
  try {
    execFileSync('gsettings', ['list-keys', 'org.gnome.system.proxy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const gsettingsTest = HAVE_GSETTINGS ? test : test.skip;

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-desktop-'));
  dirs.push(d);
  return d;
}

/** A GNOME session whose settings live in a keyfile of their own. */
function gnomeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, XDG_CURRENT_DESKTOP: 'ubuntu:GNOME', GSETTINGS_BACKEND: 'keyfile', XDG_CONFIG_HOME: tempDir(), ...extra };
}

function gset(env: NodeJS.ProcessEnv, schema: string, key: string, value: string): void {
  execFileSync('gsettings', ['set', schema, key, value], { env, stdio: 'ignore' });
}

function kdeEnv(kioslaverc: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir();
  fs.mkdirSync(path.join(home, '.config'));
  fs.writeFileSync(path.join(home, '.config', 'kioslaverc'), kioslaverc);
  return { XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '5', HOME: home, ...extra };
}

async function resolveAll(env: NodeJS.ProcessEnv, urls: string[], options: Partial<ConstructorParameters<typeof ProxyResolver>[0]> = {}) {
  const r = new ProxyResolver({ env, systemPollMs: 0, ...options });
  await r.setConfig({ mode: 'system' });
  const out: string[] = [];
  for (const url of urls) out.push(formatProxyList(await r.resolve(url)));
  const source = r.systemSettingsSource;
  r.close();
  return { out, source };
}

test('desktop detection follows Chromium: XDG_CURRENT_DESKTOP, DESKTOP_SESSION, then legacy variables', (t) => {
  const cases: Array<[NodeJS.ProcessEnv, string, string]> = [
    [{ XDG_CURRENT_DESKTOP: 'GNOME' }, 'gnome', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, 'gnome', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'Unity' }, 'unity', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'Unity', DESKTOP_SESSION: 'gnome-fallback-compiz' }, 'gnome', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'X-Cinnamon' }, 'cinnamon', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'Pantheon' }, 'pantheon', 'gsettings'],
    [{ XDG_CURRENT_DESKTOP: 'KDE' }, 'kde4', 'kioslaverc'],
    [{ XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '5' }, 'kde5', 'kioslaverc'],
    [{ XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '6' }, 'kde6', 'kioslaverc'],
    [{ XDG_CURRENT_DESKTOP: 'XFCE' }, 'xfce', 'env'],
    [{ XDG_CURRENT_DESKTOP: 'LXQt' }, 'lxqt', 'env'],
    [{ XDG_CURRENT_DESKTOP: 'Sway', DESKTOP_SESSION: 'gnome' }, 'gnome', 'gsettings'],
    [{ DESKTOP_SESSION: 'mate' }, 'gnome', 'gsettings'],
    [{ DESKTOP_SESSION: 'kde' }, 'kde3', 'kioslaverc'],
    [{ DESKTOP_SESSION: 'kde', KDE_SESSION_VERSION: '4' }, 'kde4', 'kioslaverc'],
    [{ DESKTOP_SESSION: 'xubuntu' }, 'xfce', 'env'],
    [{ GNOME_DESKTOP_SESSION_ID: 'this-is-deprecated' }, 'gnome', 'gsettings'],
    [{ KDE_FULL_SESSION: 'true' }, 'kde3', 'kioslaverc'],
    [{}, 'other', 'env'],
  ];
  for (const [env, desktop, store] of cases) {
    const found = detectDesktopEnvironment(env);
    t.is<string, string>(found, desktop, JSON.stringify(env));
    t.is<string, string>(proxySettingsStore(found), store, JSON.stringify(env));
  }
});

test('GVariant text as gsettings prints it', (t) => {
  t.is(parseGVariantText("'manual'"), 'manual');
  t.is(parseGVariantText(`"it's"`), "it's");
  t.is(parseGVariantText("'a\\'b\\\\c\\u00e9'"), "a'b\\cé");
  t.is(parseGVariantText('8080'), 8080);
  t.is(parseGVariantText('uint32 7'), 7);
  t.is(parseGVariantText('true'), true);
  t.deepEqual(parseGVariantText("['localhost', '127.0.0.0/8', \"b'c\"]"), ['localhost', '127.0.0.0/8', "b'c"]);
  t.deepEqual(parseGVariantText('@as []'), []);
  t.is(parseGVariantText("'unterminated"), null);
  t.is(parseGVariantText("'a' trailing"), null);
});

gsettingsTest('GNOME mode none means DIRECT, even when proxy variables are set (as Chromium)', async (t) => {
  const env = gnomeEnv({ http_proxy: 'http://env-proxy:1' });
  const { out, source } = await resolveAll(env, ['http://e.test/']);
  t.deepEqual(out, ['DIRECT']);
  t.is(source, 'gsettings');
});

gsettingsTest('GNOME manual: per-scheme proxies, ports apart, ignore-hosts in Chromium bypass syntax', async (t) => {
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  gset(env, 'org.gnome.system.proxy.http', 'host', 'hp.test');
  gset(env, 'org.gnome.system.proxy.http', 'port', '3128');
  gset(env, 'org.gnome.system.proxy.https', 'host', 'https://sp.test'); // a written scheme is dropped
  gset(env, 'org.gnome.system.proxy.https', 'port', '3129');
  gset(env, 'org.gnome.system.proxy.ftp', 'host', 'fp.test');
  gset(env, 'org.gnome.system.proxy', 'ignore-hosts', "['*.corp.test', '10.0.0.0/8', 'exact.test']");
  const { out } = await resolveAll(env, [
    'http://e.test/',
    'https://e.test/',
    'ftp://e.test/',
    'http://a.corp.test/',
    'http://10.1.2.3/',
    'http://exact.test/',
    'http://sub.exact.test/',
    'http://localhost/',
  ]);
  t.deepEqual(out, ['PROXY hp.test:3128', 'PROXY sp.test:3129', 'PROXY fp.test:80', 'DIRECT', 'DIRECT', 'DIRECT', 'PROXY hp.test:3128', 'DIRECT']);
});

gsettingsTest('GNOME manual: use-same-proxy is ignored, as Chromium ignores it', async (t) => {
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  gset(env, 'org.gnome.system.proxy', 'use-same-proxy', 'true');
  gset(env, 'org.gnome.system.proxy.http', 'host', 'hp.test');
  gset(env, 'org.gnome.system.proxy.http', 'port', '3128');
  const { out } = await resolveAll(env, ['http://e.test/', 'https://e.test/']);
  t.deepEqual(out, ['PROXY hp.test:3128', 'DIRECT']);
});

gsettingsTest('GNOME manual: a SOCKS host alone serves every scheme; with others it is the fallback', async (t) => {
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  gset(env, 'org.gnome.system.proxy.socks', 'host', 'sx.test');
  gset(env, 'org.gnome.system.proxy.socks', 'port', '1080');
  t.deepEqual((await resolveAll(env, ['http://e.test/', 'https://e.test/'])).out, ['SOCKS5 sx.test:1080', 'SOCKS5 sx.test:1080']);
  gset(env, 'org.gnome.system.proxy.http', 'host', 'hp.test');
  t.deepEqual((await resolveAll(env, ['http://e.test/', 'https://e.test/', 'wss://e.test/'])).out, [
    'PROXY hp.test:8080', // the schema's default port
    'SOCKS5 sx.test:1080',
    'SOCKS5 sx.test:1080',
  ]);
  gset(env, 'org.gnome.system.proxy.socks', 'host', 'socks4://s4.test');
  t.deepEqual((await resolveAll(env, ['https://e.test/'])).out, ['SOCKS s4.test:1080']);
});

gsettingsTest('GNOME manual without any usable host falls back to the environment', async (t) => {
  const env = gnomeEnv({ http_proxy: 'http://env-proxy:1' });
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  const { out, source } = await resolveAll(env, ['http://e.test/']);
  t.deepEqual(out, ['PROXY env-proxy:1']);
  t.is(source, 'env');
});

gsettingsTest('GNOME http authentication becomes the HTTP proxy credentials', async (t) => {
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  gset(env, 'org.gnome.system.proxy.http', 'host', 'hp.test');
  gset(env, 'org.gnome.system.proxy.http', 'use-authentication', 'true');
  gset(env, 'org.gnome.system.proxy.http', 'authentication-user', 'alice');
  gset(env, 'org.gnome.system.proxy.http', 'authentication-password', "s'cret");
  const r = new ProxyResolver({ env, systemPollMs: 0 });
  await r.setConfig({ mode: 'system' });
  const [choice] = await r.resolve('http://e.test/');
  t.deepEqual(choice, { kind: 'proxy', server: { scheme: 'http', host: 'hp.test', port: 8080, username: 'alice', password: "s'cret" } });
  r.close();
});

gsettingsTest('GNOME auto: autoconfig-url is the PAC script (a path becomes file://); empty means WPAD', async (t) => {
  const dir = tempDir();
  const pac = path.join(dir, 'proxy.pac');
  fs.writeFileSync(pac, 'function FindProxyForURL(url, host) { return host == "via.test" ? "PROXY pac-proxy.test:81" : "DIRECT"; }');
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'auto');
  gset(env, 'org.gnome.system.proxy', 'autoconfig-url', pac);
  t.deepEqual((await resolveAll(env, ['http://via.test/', 'http://other.test/'])).out, ['PROXY pac-proxy.test:81', 'DIRECT']);

  gset(env, 'org.gnome.system.proxy', 'autoconfig-url', '');
  const fetched: string[] = [];
  const fetchPac = async (url: string) => {
    fetched.push(url); // never fetched for real: http://wpad/ is not on this machine
    return 'function FindProxyForURL() { return "PROXY from-wpad.test:82"; }';
  };
  t.deepEqual((await resolveAll(env, ['http://e.test/'], { fetchPac })).out, ['PROXY from-wpad.test:82']);
  t.deepEqual(fetched, ['http://wpad/wpad.dat']);
});

test('GNOME desktop without a usable gsettings tool: the environment variables', async (t) => {
  const env = { XDG_CURRENT_DESKTOP: 'GNOME', http_proxy: 'http://env-proxy:2' };
  const { out, source } = await resolveAll(env, ['http://e.test/'], { gsettingsCommand: path.join(tempDir(), 'no-such-gsettings') });
  t.deepEqual(out, ['PROXY env-proxy:2']);
  t.is(source, 'env');
});

test('other desktops (XFCE, none) only read the environment, synchronously as before', async (t) => {
  const r = new ProxyResolver({ env: { XDG_CURRENT_DESKTOP: 'XFCE', https_proxy: 'sp:3' }, systemPollMs: 0 });
  void r.setConfig({ mode: 'system' });
  t.is(formatProxyList(r.resolveSync('https://e.test/')!), 'PROXY sp:3');
  t.is(r.systemSettingsSource, 'env');
});

test('KDE manual: "host port" values, suffix-matched NoProxyFor, localised keys, other groups ignored', async (t) => {
  const env = kdeEnv(
    [
      '[General]',
      'httpProxy=http://wrong-group.test:1',
      '[Proxy Settings]',
      'ProxyType=1',
      'httpProxy=http://hp.test 3128',
      'httpsProxy[$e]=sp.test:3129\r',
      'ftpProxy=',
      'NoProxyFor=corp.test,10.0.0.0/8 .dot.test',
      'AuthMode=0',
      '',
    ].join('\n'),
  );
  const { out, source } = await resolveAll(env, [
    'http://e.test/',
    'https://e.test/',
    'ftp://e.test/',
    'http://corp.test/',
    'http://a.corp.test/',
    'http://notcorp.test/', // suffix matching: "corp.test" means "*corp.test"
    'http://10.9.9.9/',
    'http://x.dot.test/',
  ]);
  t.deepEqual(out, ['PROXY hp.test:3128', 'PROXY sp.test:3129', 'DIRECT', 'DIRECT', 'DIRECT', 'DIRECT', 'DIRECT', 'DIRECT']);
  t.is(source, 'kioslaverc');
});

test('KDE ReversedException: only the listed hosts use the proxy (never loopback)', async (t) => {
  const env = kdeEnv('[Proxy Settings]\nProxyType=1\nhttpProxy=hp.test:3128\nNoProxyFor=inside.test\nReversedException=true\n');
  const { out } = await resolveAll(env, ['http://www.inside.test/', 'http://elsewhere.test/', 'http://localhost/']);
  t.deepEqual(out, ['PROXY hp.test:3128', 'DIRECT', 'DIRECT']);
});

test('KDE ProxyType 4 reads the named environment variables; 0 is DIRECT; 2 is the PAC script; 3 is WPAD', async (t) => {
  const indirect = kdeEnv('[Proxy Settings]\nProxyType=4\nhttpProxy=MY_HTTP\nNoProxyFor=MY_NO_PROXY\n', {
    MY_HTTP: 'ind.test:3130',
    MY_NO_PROXY: 'skip.test',
  });
  t.deepEqual((await resolveAll(indirect, ['http://e.test/', 'http://a.skip.test/'])).out, ['PROXY ind.test:3130', 'DIRECT']);

  const none = kdeEnv('[Proxy Settings]\nProxyType=0\nhttpProxy=hp.test:1\n', { http_proxy: 'env:1' });
  t.deepEqual((await resolveAll(none, ['http://e.test/'])).out, ['DIRECT']);

  const fetched: string[] = [];
  const fetchPac = async (url: string) => {
    fetched.push(url);
    return 'function FindProxyForURL() { return "PROXY pac.test:83"; }';
  };
  const pac = kdeEnv('[Proxy Settings]\nProxyType=2\nProxy Config Script=http://127.0.0.1:9/corp.pac\n');
  t.deepEqual((await resolveAll(pac, ['http://e.test/'], { fetchPac })).out, ['PROXY pac.test:83']);
  const wpad = kdeEnv('[Proxy Settings]\nProxyType=3\nProxy Config Script=http://127.0.0.1:9/ignored.pac\n');
  t.deepEqual((await resolveAll(wpad, ['http://e.test/'], { fetchPac })).out, ['PROXY pac.test:83']);
  t.deepEqual(fetched, ['http://127.0.0.1:9/corp.pac', 'http://wpad/wpad.dat']);
});

test('KDE without a kioslaverc: the environment variables; KDEHOME and XDG_CONFIG_DIRS are honoured', async (t) => {
  const home = tempDir();
  t.deepEqual((await resolveAll({ XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '5', HOME: home, http_proxy: 'e:1' }, ['http://e.test/'])).out, [
    'PROXY e:1',
  ]);

  const kdeHome = tempDir();
  fs.mkdirSync(path.join(kdeHome, 'share', 'config'), { recursive: true });
  fs.writeFileSync(path.join(kdeHome, 'share', 'config', 'kioslaverc'), '[Proxy Settings]\nProxyType=1\nhttpProxy=kh.test:1\n');
  t.deepEqual((await resolveAll({ XDG_CURRENT_DESKTOP: 'KDE', HOME: home, KDEHOME: kdeHome }, ['http://e.test/'])).out, ['PROXY kh.test:1']);

  // A system-wide file in XDG_CONFIG_DIRS, overridden key by key by the user's ~/.config one.
  const system = tempDir();
  fs.writeFileSync(path.join(system, 'kioslaverc'), '[Proxy Settings]\nProxyType=1\nhttpProxy=sys.test:1\nhttpsProxy=sys.test:2\n');
  const env = kdeEnv('[Proxy Settings]\nhttpProxy=user.test:1\n', { XDG_CONFIG_DIRS: system });
  t.deepEqual((await resolveAll(env, ['http://e.test/', 'https://e.test/'])).out, ['PROXY user.test:1', 'PROXY sys.test:2']);
});

gsettingsTest('changes are picked up by setConfig() again (forceReloadProxyConfig) and by polling', async (t) => {
  const env = gnomeEnv();
  gset(env, 'org.gnome.system.proxy', 'mode', 'manual');
  gset(env, 'org.gnome.system.proxy.http', 'host', 'first.test');
  let changes = 0;
  const r = new ProxyResolver({ env, systemPollMs: 50, onSystemConfigChange: () => changes++ });
  t.teardown(() => r.close());
  await r.setConfig({ mode: 'system' });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY first.test:8080');

  gset(env, 'org.gnome.system.proxy.http', 'host', 'second.test');
  const deadline = Date.now() + 10_000;
  while (formatProxyList(await r.resolve('http://e.test/')) !== 'PROXY second.test:8080' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY second.test:8080');
  t.true(changes >= 1);

  const quiet = new ProxyResolver({ env, systemPollMs: 0 });
  await quiet.setConfig({ mode: 'system' });
  gset(env, 'org.gnome.system.proxy', 'mode', 'none');
  t.is(formatProxyList(await quiet.resolve('http://e.test/')), 'PROXY second.test:8080', 'no polling: unchanged');
  await quiet.setConfig({ mode: 'system' });
  t.is(formatProxyList(await quiet.resolve('http://e.test/')), 'DIRECT');
  quiet.close();
});

test('KDE: a rewritten kioslaverc is picked up by polling (written as KDE writes it: a new file renamed over the old)', async (t) => {
  const env = kdeEnv('[Proxy Settings]\nProxyType=1\nhttpProxy=old.test:1\n');
  const r = new ProxyResolver({ env, systemPollMs: 50 });
  t.teardown(() => r.close());
  await r.setConfig({ mode: 'system' });
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY old.test:1');
  const file = path.join(env.HOME!, '.config', 'kioslaverc');
  fs.writeFileSync(`${file}.new`, '[Proxy Settings]\nProxyType=1\nhttpProxy=new.test:2\n');
  fs.renameSync(`${file}.new`, file);
  const deadline = Date.now() + 10_000;
  while (formatProxyList(await r.resolve('http://e.test/')) !== 'PROXY new.test:2' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.is(formatProxyList(await r.resolve('http://e.test/')), 'PROXY new.test:2');
});
