// The npm package, installed the way users install it: `npm pack`, then `npm install` of the
// tarball inside a minimal Debian root (debootstrap --variant=minbase) that has no compiler, no
// Python, no libcurl and no network, then a real HTTP and HTTPS request from inside that root to
// servers this test runs on 127.0.0.1. Proves that the prebuilt binary is picked, that nothing
// is compiled at install time, and that the binary needs nothing but the C runtime.
//
// Runs once per Debian release in CURL_NET_PACKAGE_SUITES (default "bookworm bullseye"):
// bookworm (glibc 2.36) is the build host's own release; bullseye (glibc 2.31) proves the glibc
// floor of the prebuild (2.28, scripts/bundled/glibc-compat.c) on a system older than the build
// host, with the official Node 20 binary (which needs glibc 2.28 itself) copied into the root.
//
// Slow (a debootstrap per release the first time, cached under $CURL_NET_DEPS_DIR/rootfs/, by
// default deps/rootfs/), needs root, debootstrap, chroot and unshare: it runs only with
// CURL_NET_PACKAGE_TEST=1 (npm run test:package) and after `npm run prebuilds`.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectLibc } from '../ts/load-binding';
import { startSmokeServers } from './helpers/smoke-servers';
import { buildCompatChecker, haveCompiler } from './helpers/glibc-compat';

const enabled = process.env.CURL_NET_PACKAGE_TEST === '1';
const repo = path.resolve(__dirname, '..', '..');
const suites = (process.env.CURL_NET_PACKAGE_SUITES || 'bookworm bullseye').split(/[\s,]+/).filter(Boolean);
const mirror = process.env.CURL_NET_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const debArch = process.arch === 'x64' ? 'amd64' : process.arch;
const rootfsDir = path.join(process.env.CURL_NET_DEPS_DIR || path.join(repo, 'deps'), 'rootfs');
const rootfsCache = (suite: string): string => path.join(rootfsDir, `debian-${suite}-minbase-${debArch}.tar`);
const libc = detectLibc() === 'musl' ? 'musl' : 'glibc';
const prebuildRel = path.join('prebuilds', `${process.platform}-${process.arch}`, `curl-net.napi.${libc}.node`);
const CHROOT_PATH = '/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (ava's timeout bookkeeping needs it). */
function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A command inside the root with a clean environment; `network: false` adds a private,
 * empty network namespace (no interface but a down loopback), so nothing can be fetched. */
function inRoot(root: string, script: string, env: Record<string, string> = {}, network = true): Promise<Run> {
  const vars = Object.entries({ PATH: CHROOT_PATH, HOME: '/root', LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}=${v}`);
  const chroot = ['chroot', root, '/usr/bin/env', '-i', ...vars, '/bin/sh', '-c', script];
  return network ? run(chroot[0], chroot.slice(1)) : run('unshare', ['--net', ...chroot]);
}

async function commandExists(name: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${name}`])).code === 0;
}

/** The minbase root as a tarball, made once with debootstrap and then reused. */
async function rootfsTarball(t: ExecutionContext, suite: string): Promise<string> {
  const cached = rootfsCache(suite);
  if (fs.existsSync(cached)) {
    t.log(`Debian root: cached ${cached}`);
    return cached;
  }
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-debootstrap-'));
  try {
    await must('debootstrap', ['--variant=minbase', `--arch=${debArch}`, suite, dir, mirror]);
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const temp = `${cached}.${process.pid}.tmp`;
    await must('tar', ['--numeric-owner', '-C', dir, '-cf', temp, '.']);
    fs.renameSync(temp, cached);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.log(`Debian root: debootstrap ${suite} minbase in ${((Date.now() - started) / 1000).toFixed(0)}s, cached`);
  return cached;
}

/** Copies the package's `files` into a staging dir with freshly compiled dist/, and packs it. */
async function packPackage(out: string): Promise<string> {
  const stage = path.join(out, 'stage');
  fs.mkdirSync(stage);
  const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { files: string[] };
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(stage, 'package.json'));
  for (const entry of manifest.files) {
    const name = entry.replace(/\/$/, '');
    if (name === 'dist' || !fs.existsSync(path.join(repo, name))) continue;
    fs.cpSync(path.join(repo, name), path.join(stage, name), { recursive: true });
  }
  // dist/ is compiled from the current sources into the stage, so the shared checkout's own
  // dist/ is neither needed nor touched.
  await must(process.execPath, [
    path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(repo, 'tsconfig.json'),
    '--outDir', path.join(stage, 'dist'),
  ]);
  // Loading the staged dist/ needs the package's dependencies (the PAC engine is required at load);
  // they are borrowed from the checkout for this one require and gone before npm pack.
  const borrowed = path.join(stage, 'node_modules');
  fs.symlinkSync(path.join(repo, 'node_modules'), borrowed);
  let names: string[];
  try {
    names = Object.keys(require(path.join(stage, 'dist', 'index.js'))).filter((n) => n !== 'default');
  } finally {
    fs.unlinkSync(borrowed);
  }
  fs.writeFileSync(
    path.join(stage, 'dist', 'index.mjs'),
    `import cjs from './index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`,
  );
  const packed = JSON.parse(await must('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage })) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed[0].files.map((f) => f.path);
  if (!files.includes(prebuildRel)) throw new Error(`the tarball lacks ${prebuildRel}: ${files.join(', ')}`);
  return path.join(out, packed[0].filename);
}

/** Runs inside the root: loads curl-net the way an application does and makes the requests. */
const REQUEST_SCRIPT = String.raw`
const urls = process.argv.slice(2);
const cn = require('curl-net');
const out = {
  resolved: require('node-gyp-build').resolve(require('path').dirname(require.resolve('curl-net/package.json'))),
  versions: typeof cn.versions === 'function' ? cn.versions() : null,
  via: cn.net && typeof cn.net.request === 'function' ? 'net.request' : 'binding',
  results: [],
};
function viaNet(url) {
  return new Promise((resolve, reject) => {
    const req = cn.net.request(url);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
// Until net.request exists: the raw binding (ts/native.ts contract), as /tmp/smoke.js does.
let binding, nextId = 1;
const waiting = new Map();
function viaBinding(url, caFile) {
  if (!binding) {
    const dir = require('path').dirname(require.resolve('curl-net/package.json'));
    binding = require(dir + '/dist/load-binding.js').loadBinding();
    const bodies = new Map();
    binding.init((numbers, refs) => {
      const f = new Float64Array(numbers);
      for (let i = 0; i < f.length / 13; i++) {
        const type = f[i * 13], id = f[i * 13 + 1];
        if (type === 2) bodies.set(id, (bodies.get(id) || '') + refs[i * 2].toString());
        if (type === 5) {
          const done = waiting.get(id);
          waiting.delete(id);
          if (waiting.size === 0) binding.unref();
          if (f[i * 13 + 2] !== 0) done.reject(new Error('curl ' + f[i * 13 + 2] + ' ' + refs[i * 2]));
          else done.resolve({ status: f[i * 13 + 8], body: bodies.get(id) || '' });
        }
      }
    }, 10);
  }
  return new Promise((resolve, reject) => {
    const id = nextId++;
    if (waiting.size === 0) binding.ref();
    waiting.set(id, { resolve, reject });
    binding.start(id, 0, url, 'GET', '', null, 0, '', 'gzip, deflate, br, zstd', caFile);
  });
}
(async () => {
  for (const url of urls) {
    try {
      out.results.push({ url, ...(await (out.via === 'net.request' ? viaNet(url) : viaBinding(url, process.env.NODE_EXTRA_CA_CERTS || ''))) });
    } catch (e) {
      out.results.push({ url, error: String(e && e.message || e) });
    }
  }
  console.log(JSON.stringify(out));
})();
`;

if (!enabled) {
  test.skip('package install in a clean Debian root: slow, set CURL_NET_PACKAGE_TEST=1 (npm run test:package)', () => {});
} else {
  for (const suite of suites) {
    test.serial(`npm install of the packed tarball in a Debian ${suite} root without compiler, libcurl or network`, async (t) => {
      // Bounded by `ava --timeout=30m` in npm run test:package (this file runs alone there):
      // no test suspends ava's global timeout (test/suite-bounds.test.ts).
      if (process.platform !== 'linux') return t.fail('the package test needs Linux');
      if (process.getuid?.() !== 0) return t.fail('the package test needs root (debootstrap, chroot, unshare)');
      for (const tool of ['debootstrap', 'chroot', 'unshare', 'tar']) {
        if (!(await commandExists(tool))) return t.fail(`${tool} is missing (scripts/system-packages.txt)`);
      }
      const prebuild = path.join(repo, prebuildRel);
      if (!fs.existsSync(prebuild)) return t.fail(`${prebuildRel} is missing: run npm run prebuilds first`);
      const npmDir = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
      if (!fs.existsSync(path.join(npmDir, 'bin', 'npm-cli.js'))) return t.fail(`npm not found at ${npmDir}`);

      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-package-'));
      const root = path.join(work, 'root');
      t.teardown(() => {
        // Nothing is mounted inside the root, so removing it cannot reach the host.
        fs.rmSync(work, { recursive: true, force: true });
      });

      let started = Date.now();
      const tarball = await packPackage(work);
      // The dependencies and theirs (the production tree npm installed in the checkout), packed
      // from the installed copies: the install must not need the registry.
      const depTarballs: string[] = [];
      const tree = await must('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repo });
      const depDirs = tree.split('\n').map((line) => line.trim()).filter((dir) => dir !== '' && path.resolve(dir) !== path.resolve(repo));
      for (const dir of depDirs) {
        const packed = JSON.parse(await must('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work, dir])) as Array<{
          filename: string;
        }>;
        depTarballs.push(path.join(work, packed[0].filename));
      }
      t.log(`packed ${path.basename(tarball)} (${(fs.statSync(tarball).size / 1048576).toFixed(2)} MiB) in ${Date.now() - started}ms`);

      started = Date.now();
      fs.mkdirSync(root);
      await must('tar', ['--numeric-owner', '-C', root, '-xf', await rootfsTarball(t, suite)]);
      const glibc = await inRoot(root, 'getconf GNU_LIBC_VERSION');
      t.log(`Debian ${suite}: ${glibc.stdout.trim()}`);
      fs.copyFileSync(process.execPath, path.join(root, 'usr', 'local', 'bin', 'node'));
      fs.chmodSync(path.join(root, 'usr', 'local', 'bin', 'node'), 0o755);
      fs.cpSync(npmDir, path.join(root, 'usr', 'local', 'lib', 'node_modules', 'npm'), { recursive: true });
      fs.mkdirSync(path.join(root, 'pkgs'));
      for (const file of [tarball, ...depTarballs]) fs.copyFileSync(file, path.join(root, 'pkgs', path.basename(file)));
      fs.mkdirSync(path.join(root, 'app'));
      fs.writeFileSync(path.join(root, 'app', 'package.json'), JSON.stringify({ name: 'app', private: true }));
      fs.writeFileSync(path.join(root, 'app', 'request.js'), REQUEST_SCRIPT);
      t.log(`root prepared in ${Date.now() - started}ms`);

      // What the root lacks, so that a successful install proves the prebuild was used.
      const bare = await inRoot(
        root,
        'for tool in cc gcc g++ c++ clang make python3 node-gyp curl-config pkg-config; do command -v $tool && exit 1; done; ' +
          'ls /usr/lib/*/libcurl* /usr/lib/libcurl* /usr/include/curl 2>/dev/null && exit 2; exit 0',
      );
      t.is(bare.code, 0, `the root is not bare: ${bare.stdout}`);

      started = Date.now();
      const npm = 'node /usr/local/lib/node_modules/npm/bin/npm-cli.js';
      const pkgs = [tarball, ...depTarballs].map((f) => `/pkgs/${path.basename(f)}`).join(' ');
      const install = await inRoot(
        root,
        `cd /app && ${npm} install --offline --no-audit --no-fund --foreground-scripts --loglevel=info ${pkgs}`,
        { npm_config_cache: '/tmp/npm-cache', npm_config_update_notifier: 'false' },
        false,
      );
      t.log(`npm install (no network namespace) in ${Date.now() - started}ms`);
      t.is(install.code, 0, `npm install failed:\n${install.stdout}\n${install.stderr}`);
      const installed = path.join(root, 'app', 'node_modules', 'curl-net');
      t.false(fs.existsSync(path.join(installed, 'build')), 'install compiled something (build/ exists)');
      // The install script ran (node-gyp-build found a loadable prebuild) and compiled nothing.
      t.regex(install.stdout + install.stderr, /curl-net@[^\n]* install\n> node-gyp-build/);
      t.notRegex(install.stdout + install.stderr, /gyp (info|ERR)|node-gyp rebuild/);
      t.true(fs.existsSync(path.join(installed, prebuildRel)));

      // glibc-compat.c's own checks (test/fixtures/glibc-compat-check.cc) against this root's glibc.
      if (libc === 'glibc' && haveCompiler()) {
        fs.copyFileSync(buildCompatChecker(work), path.join(root, 'app', 'glibc-compat-check.node'));
        const compat = await inRoot(root, `cd /app && node -e "require('/app/glibc-compat-check.node')"`);
        t.is(compat.code, 0, `glibc-compat checks:\n${compat.stdout}\n${compat.stderr}`);
        t.regex(compat.stdout, /all ok\n$/, compat.stdout);
        t.log(`glibc-compat checks in ${suite}: ${compat.stdout.split('\n').filter((l) => l.startsWith('ok')).length} ok`);
      }

      const ldd = await inRoot(root, `ldd /app/node_modules/curl-net/${prebuildRel}`);
      t.is(ldd.code, 0, ldd.stderr);
      const libraries = ldd.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/)[0]);
      t.log(`ldd inside the root: ${libraries.join(', ')}`);
      for (const lib of libraries) t.regex(lib, /^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|\/lib64\/ld-linux-x86-64\.so\.2|\/lib\/ld-linux-aarch64\.so\.1)$/);

      // Servers on the host's loopback, which the chroot shares.
      const { urls, caFile } = await startSmokeServers(t);
      fs.writeFileSync(path.join(root, 'app', 'test-ca.pem'), fs.readFileSync(caFile));

      for (const prebuildsOnly of [false, true]) {
        const env: Record<string, string> = { NODE_EXTRA_CA_CERTS: '/app/test-ca.pem' };
        if (prebuildsOnly) env.PREBUILDS_ONLY = '1';
        const r = await inRoot(root, `cd /app && node request.js ${urls.join(' ')}`, env);
        const label = prebuildsOnly ? 'PREBUILDS_ONLY=1' : 'default';
        t.is(r.code, 0, `${label}: ${r.stdout}\n${r.stderr}`);
        const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
          resolved: string;
          via: string;
          versions: { libcurl: string; ssl: string } | null;
          results: Array<{ url: string; status?: number; body?: string; error?: string }>;
        };
        t.log(`${label}: via ${out.via}, loaded ${out.resolved}, libcurl ${out.versions?.libcurl}, ${out.versions?.ssl}`);
        t.is(out.resolved, `/app/node_modules/curl-net/${prebuildRel}`);
        t.regex(out.versions?.ssl ?? '', /^OpenSSL\/3\./);
        t.deepEqual(
          out.results.map((x) => [x.status, x.body ?? x.error]),
          [
            [200, 'hello GET /plain HTTP/1.1'],
            [200, 'hello GET /tls HTTP/2.0'],
          ],
        );
      }
    });
  }
}
