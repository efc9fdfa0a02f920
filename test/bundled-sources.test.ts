// The bundled build's source resolver (scripts/bundled/build-deps.sh --resolve) against a fake
// Debian archive on disk: an index whose newest revision of a pinned upstream is listed but no
// longer served, revisions of other upstreams, and archives that serve nothing. The real archive
// changes under us every few weeks; these cases pin down what the resolver does when it does.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../ts/load-binding';
import { toolEnvironment } from './helpers/tool-env';

const script = path.join(packageRoot, 'scripts', 'bundled', 'build-deps.sh');
const haveApt = spawnSync('apt-get', ['--version']).status === 0 && spawnSync('dpkg', ['--version']).status === 0;

interface Revision {
  version: string;
  /** Which of the revision's files the archive still serves. */
  serves: { dsc: boolean; orig: boolean; debian: boolean };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const noEpoch = (v: string) => v.replace(/^\d+:/, '');
const upstreamPart = (v: string) => noEpoch(v).replace(/-[^-]*$/, '');

/** Writes a deb-src archive (dists/trixie/{Release,main/source/Sources}, pool/) under `root`. */
function writeArchive(root: string, pkg: string, revisions: Revision[]): void {
  const pool = path.join(root, 'pool', 'main', pkg[0], pkg);
  fs.mkdirSync(pool, { recursive: true });
  const stanzas: string[] = [];
  for (const rev of revisions) {
    const orig = { name: `${pkg}_${upstreamPart(rev.version)}.orig.tar.gz`, data: Buffer.from(`orig of ${upstreamPart(rev.version)}\n`) };
    const debian = { name: `${pkg}_${noEpoch(rev.version)}.debian.tar.xz`, data: Buffer.from(`debian part of ${rev.version}\n`) };
    const line = (f: { name: string; data: Buffer }, hash: (d: Buffer) => string) => ` ${hash(f.data)} ${f.data.length} ${f.name}`;
    const dscText = [
      'Format: 3.0 (quilt)', `Source: ${pkg}`, `Version: ${rev.version}`,
      'Checksums-Sha256:', line(orig, sha256), line(debian, sha256),
      'Files:', line(orig, md5), line(debian, md5), '',
    ].join('\n');
    const dsc = { name: `${pkg}_${noEpoch(rev.version)}.dsc`, data: Buffer.from(dscText) };
    if (rev.serves.orig) fs.writeFileSync(path.join(pool, orig.name), orig.data);
    if (rev.serves.debian) fs.writeFileSync(path.join(pool, debian.name), debian.data);
    if (rev.serves.dsc) fs.writeFileSync(path.join(pool, dsc.name), dsc.data);
    const files = [dsc, orig, debian];
    stanzas.push([
      `Package: ${pkg}`, `Binary: ${pkg}`, `Version: ${rev.version}`, 'Maintainer: Nobody <nobody@example.invalid>',
      'Architecture: any', 'Format: 3.0 (quilt)', `Directory: pool/main/${pkg[0]}/${pkg}`,
      'Files:', ...files.map((f) => line(f, md5)),
      'Checksums-Sha256:', ...files.map((f) => line(f, sha256)), '',
    ].join('\n'));
  }
  const sources = Buffer.from(stanzas.join('\n'));
  const dist = path.join(root, 'dists', 'trixie');
  fs.mkdirSync(path.join(dist, 'main', 'source'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'main', 'source', 'Sources'), sources);
  fs.writeFileSync(path.join(dist, 'Release'), [
    'Origin: curl-net test', 'Suite: trixie', 'Codename: trixie', 'Components: main', 'Architectures: source',
    `Date: ${new Date().toUTCString()}`,
    'SHA256:', ` ${sha256(sources)} ${sources.length} main/source/Sources`, '',
  ].join('\n'));
}

/** Serves `root` over HTTP on 127.0.0.1 the way a mirror does: files, or 404. */
async function serveArchive(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function resolve(t: { teardown(fn: () => unknown): void }, pkg: string, pin: string, revisions: Revision[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-resolver-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  writeArchive(path.join(dir, 'archive'), pkg, revisions);
  const mirror = await serveArchive(path.join(dir, 'archive'));
  t.teardown(mirror.close);
  fs.writeFileSync(path.join(dir, 'versions.txt'), `# test pins\n${pkg} ${pin}\n`);
  // Its own process group, killed whole at teardown or after 45 s (under ava's 60 s global
  // timeout): a timeout that only signals bash leaves a stuck apt-get running after the test.
  const child = spawn('bash', [script, '--resolve'], {
    detached: true,
    env: {
      ...toolEnvironment(),
      CURL_NET_DEPS_DIR: path.join(dir, 'deps'),
      CURL_NET_VERSIONS_FILE: path.join(dir, 'versions.txt'),
      CURL_NET_DEBIAN_MIRROR: mirror.url,
      CURL_NET_DEBIAN_SUITES: 'trixie',
      CURL_NET_DEBIAN_SECURITY: '0',
      CURL_NET_DEBIAN_TRUSTED: '1',
    },
  });
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  t.teardown(killGroup);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const bound = setTimeout(() => {
    stderr += '\n[test] the resolver did not finish within 45 s; its process group was killed';
    killGroup();
  }, 45_000);
  const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  clearTimeout(bound);
  return { status, stdout, stderr, downloads: path.join(dir, 'deps', 'downloads') };
}

const whole = { dsc: true, orig: true, debian: true };
const gone = { dsc: false, orig: false, debian: false };

test('the newest revision of the pinned upstream that is served whole is taken; missing ones are skipped with a log line', async (t) => {
  if (!haveApt) return t.pass('apt-get/dpkg not available');
  const r = await resolve(t, 'fakezlib', '2.4.1', [
    { version: '1:2.4.1+dfsg-1', serves: whole },
    { version: '1:2.4.1+dfsg-1+deb13u1', serves: { dsc: false, orig: true, debian: false } }, // superseded, half gone
    { version: '1:2.4.1+dfsg-1+deb13u2', serves: gone }, // listed, never served
    { version: '1:2.5.0+dfsg-1', serves: whole }, // another upstream: never taken
    { version: '1:2.4.10-1', serves: whole }, // 2.4.10 is not 2.4.1
  ]);
  t.is(r.status, 0, r.stderr);
  const [line] = r.stdout.trim().split('\n');
  t.regex(line, /^fakezlib 1:2\.4\.1\+dfsg-1 yes sha256=[0-9a-f]{64}$/);
  t.regex(r.stderr, /1:2\.4\.1\+dfsg-1\+deb13u2: skipped, the archive does not serve it whole/);
  t.regex(r.stderr, /1:2\.4\.1\+dfsg-1\+deb13u1: skipped/);
  t.true(fs.existsSync(path.join(r.downloads, 'fakezlib_2.4.1+dfsg-1.dsc')));
});

test('a pin like "3.5" takes the newest 3.5.x served whole', async (t) => {
  if (!haveApt) return t.pass('apt-get/dpkg not available');
  const r = await resolve(t, 'fakessl', '3.5', [
    { version: '3.5.7-1~deb13u2', serves: whole },
    { version: '3.5.9-1~deb13u1', serves: { dsc: true, orig: true, debian: false } },
    { version: '3.5.8-1', serves: whole },
    { version: '3.50.1-1', serves: whole },
    { version: '3.6.0-1', serves: whole },
  ]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^fakessl 3\.5\.8-1 yes sha256=/);
});

test('when no revision is served whole, the verified upstream tarball is built without Debian patches, with a warning', async (t) => {
  if (!haveApt) return t.pass('apt-get/dpkg not available');
  const r = await resolve(t, 'fakebrotli', '1.1.0', [{ version: '1.1.0-2+deb13u1', serves: { dsc: false, orig: true, debian: false } }]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^fakebrotli 1\.1\.0-2\+deb13u1 no sha256=/);
  t.regex(r.stderr, /WARNING: fakebrotli 1\.1\.0: no revision is served whole .*without Debian's patches/);
});

test('when the archive serves nothing of the pin, the resolver fails and says what to do', async (t) => {
  if (!haveApt) return t.pass('apt-get/dpkg not available');
  const r = await resolve(t, 'fakecurl', '8.14.1', [
    { version: '8.14.1-2+deb13u5', serves: gone },
    { version: '8.14.1-2+deb13u7', serves: gone },
  ]);
  t.not(r.status, 0);
  t.regex(r.stderr, /no revision of fakecurl 8\.14\.1 can be downloaded .*tried, newest first: 8\.14\.1-2\+deb13u7 8\.14\.1-2\+deb13u5/);
  t.regex(r.stderr, /What to do: retry later .*CURL_NET_DEBIAN_MIRROR/s);
});

test('when the index has no revision of the pinned upstream, the resolver fails and says what to do', async (t) => {
  if (!haveApt) return t.pass('apt-get/dpkg not available');
  const r = await resolve(t, 'fakenghttp2', '1.64.0', [{ version: '1.65.0-1', serves: whole }]);
  t.not(r.status, 0);
  t.regex(r.stderr, /the index has no revision of fakenghttp2 1\.64\.0/);
  t.regex(r.stderr, /What to do: .*change the pin in .*versions\.txt/s);
});

// Under `npm run test:bundled` the loaded binary is the prebuild: it must say what it was built from.
const binding = process.env.CURL_NET_BINDING ?? '';
const bundledRun = binding.includes(`${path.sep}prebuilds${path.sep}`);
(bundledRun ? test : test.skip)('the prebuild reports its exact Debian sources in versions() and in a file next to it', (t) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { versions } = require('../ts/index') as typeof import('../ts/index');
  const sources = versions().bundledSources ?? [];
  t.deepEqual(sources.map((s) => s.name), ['zlib', 'brotli', 'libzstd', 'nghttp2', 'openssl', 'curl', 'krb5']);
  for (const s of sources) {
    t.regex(s.sha256, /^[0-9a-f]{64}$/);
    t.regex(s.debianVersion, /^(\d+:)?[0-9][^ ]*-[^ ]+$/);
  }
  t.regex(sources.find((s) => s.name === 'curl')!.debianVersion, /^8\.14\.1-/);
  const file = fs.readFileSync(`${binding}.sources.txt`, 'utf8');
  for (const s of sources) t.true(file.includes(`package ${s.name} ${s.debianVersion} `), s.name);
});
