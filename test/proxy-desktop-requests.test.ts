// Requests made with the default proxy mode ('system') on a GNOME and on a KDE desktop go through
// the real proxy those desktops' settings name. Settings are written for real: GSettings with
// Debian's gsettings tool (keyfile backend under a private XDG_CONFIG_HOME), KDE's kioslaverc
// under a private HOME. The origin is addressed as origin.curlnet.test, a name only the proxies
// resolve: a request that succeeds went through one. The desktop is a process-wide fact (this
// file's worker's environment), so these tests run one after the other.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanupFixtures, describe, freePort, freshSession, ORIGIN_HOST, run, squid, startOrigin, testIf, tinyproxy } from './helpers/proxy-fixtures';

const HAVE_GSETTINGS = (() => {
  try {
    execFileSync('gsettings', ['list-keys', 'org.gnome.system.proxy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const DESKTOP_VARIABLES = ['XDG_CURRENT_DESKTOP', 'KDE_SESSION_VERSION', 'GSETTINGS_BACKEND', 'XDG_CONFIG_HOME', 'HOME', 'http_proxy', 'HTTP_PROXY'];
const saved = Object.fromEntries(DESKTOP_VARIABLES.map((k) => [k, process.env[k]]));
const dirs: string[] = [];

test.afterEach.always(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
test.after.always(() => {
  cleanupFixtures();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-desktop-'));
  dirs.push(d);
  return d;
}

function gset(schema: string, key: string, value: string): void {
  execFileSync('gsettings', ['set', schema, key, value], { env: process.env, stdio: 'ignore' });
}

const gnomeTest = HAVE_GSETTINGS ? testIf(test.serial, 'squid') : test.serial.skip;

gnomeTest('GNOME: requests use the proxy GSettings names; forceReloadProxyConfig() applies a change', async (t) => {
  Object.assign(process.env, { XDG_CURRENT_DESKTOP: 'GNOME', GSETTINGS_BACKEND: 'keyfile', XDG_CONFIG_HOME: tempDir() });
  delete process.env.http_proxy;
  delete process.env.HTTP_PROXY;
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), squid(t, { auth: 'none' })]);
  gset('org.gnome.system.proxy', 'mode', 'manual');
  gset('org.gnome.system.proxy.http', 'host', '127.0.0.1');
  gset('org.gnome.system.proxy.http', 'port', String(proxy.port));

  const ses = freshSession(); // never given setProxy(): Electron's default, mode 'system'
  t.is(await ses.resolveProxy(origin.url('/a')), `PROXY 127.0.0.1:${proxy.port}`);
  const through = await run({ url: origin.url('/a'), session: ses });
  t.is(through.statusCode, 200, describe(through));
  t.is(JSON.parse(through.body!).host, `${ORIGIN_HOST}:${origin.port}`);
  t.regex(String(origin.to('/a')[0]?.headers.via ?? ''), /squid/);

  // The desktop names another proxy: after a reload requests go there (and fail: nothing
  // listens), which shows the new settings are the ones in force. (No request is sent without a
  // proxy: origin.curlnet.test would be asked of the machine's DNS.)
  const nobody = await freePort();
  gset('org.gnome.system.proxy.http', 'port', String(nobody));
  t.is(await ses.resolveProxy(origin.url('/b')), `PROXY 127.0.0.1:${proxy.port}`, 'no change before the reload');
  await ses.forceReloadProxyConfig();
  t.is(await ses.resolveProxy(origin.url('/b')), `PROXY 127.0.0.1:${nobody}`);
  const refused = await run({ url: origin.url('/b'), session: ses });
  t.is(refused.error?.message, 'net::ERR_PROXY_CONNECTION_FAILED', describe(refused));
  t.is(origin.to('/b').length, 0);
  gset('org.gnome.system.proxy', 'mode', 'none');
  await ses.forceReloadProxyConfig();
  t.is(await ses.resolveProxy(origin.url('/c')), 'DIRECT');
});

testIf(test.serial, 'tinyproxy')('KDE: requests use the proxy kioslaverc names, bypass list included', async (t) => {
  const home = tempDir();
  fs.mkdirSync(path.join(home, '.config'));
  Object.assign(process.env, { XDG_CURRENT_DESKTOP: 'KDE', KDE_SESSION_VERSION: '5', HOME: home });
  const [origin, proxy] = await Promise.all([startOrigin(t, 'http'), tinyproxy(t, false)]);
  fs.writeFileSync(
    path.join(home, '.config', 'kioslaverc'),
    `[Proxy Settings]\nProxyType=1\nhttpProxy=http://127.0.0.1 ${proxy.port}\nNoProxyFor=bypassed.test\n`,
  );
  const ses = freshSession();
  const through = await run({ url: origin.url('/k'), session: ses });
  t.is(through.statusCode, 200, describe(through));
  t.is(JSON.parse(through.body!).host, `${ORIGIN_HOST}:${origin.port}`);
  t.is(await ses.resolveProxy('http://www.bypassed.test/'), 'DIRECT');
});
