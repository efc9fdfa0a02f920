// The binding loader's failure message: each scenario breaks the setup on purpose in a child
// process and checks that the error says what this machine is, where it looked, why it failed
// and what to do.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectLibc } from '../ts/load-binding';

const loader = path.join(__dirname, '..', 'ts', 'load-binding.js');
const nodeGypBuildDir = path.dirname(require.resolve('node-gyp-build/package.json'));

interface Failure {
  loaded: boolean;
  message: string;
  code?: string;
  cause?: string;
}

/** Runs the loader in a child; `env` is added to an environment without our loader variables. */
function loadInChild(loaderFile: string, env: Record<string, string> = {}): Failure {
  const base = { ...process.env };
  delete base.CURL_NET_BINDING;
  delete base.CURL_NET_PREBUILD;
  delete base.PREBUILDS_ONLY;
  const script = `
    try {
      require(${JSON.stringify(loaderFile)}).loadBinding();
      console.log(JSON.stringify({ loaded: true, message: '' }));
    } catch (e) {
      console.log(JSON.stringify({ loaded: false, message: e.message, code: e.code, cause: e.cause && e.cause.message }));
    }`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...base, ...env }, encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Failure;
}

/** A copy of the package with the loader and node-gyp-build but no compiled addon. */
function packageCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-load-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'curl-net', version: '0.0.0' }));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.copyFileSync(loader, path.join(dir, 'dist', 'load-binding.js'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(nodeGypBuildDir, path.join(dir, 'node_modules', 'node-gyp-build'), 'dir');
  return dir;
}

function assertDescribesMachine(t: import('ava').ExecutionContext, message: string): void {
  t.true(message.startsWith('curl-net could not load its native addon.'), message);
  t.true(message.includes(`platform: ${process.platform}-${process.arch}`), message);
  if (process.platform === 'linux') t.regex(message, /platform: \S+, (glibc \d+\.\d+|musl)/);
  t.true(message.includes(`Node ${process.version}`), message);
  t.true(message.includes(`Node-API ${process.versions.napi}`), message);
  t.true(message.includes('(curl-net needs 8)'), message);
  t.regex(message, /Possible fixes:\n {3}1\. /);
  t.true(message.includes('npm rebuild curl-net --build-from-source'), message);
  t.true(message.includes('libcurl4-openssl-dev'), message);
}

test('CURL_NET_BINDING pointing at a missing file says so and names the file', (t) => {
  const missing = path.join(os.tmpdir(), 'curl-net-nowhere', 'curl_net.node');
  const r = loadInChild(loader, { CURL_NET_BINDING: missing });
  t.false(r.loaded);
  t.is(r.code, 'ERR_CURL_NET_NATIVE_LOAD');
  assertDescribesMachine(t, r.message);
  t.true(r.message.includes(`CURL_NET_BINDING=${missing} -> ${missing}: no such file`), r.message);
  t.true(r.message.includes('fix the path or unset it'), r.message);
  t.regex(r.cause ?? '', /Cannot find module/);
});

test('a package without any binary lists every place node-gyp-build looked', (t) => {
  const dir = packageCopy();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = loadInChild(path.join(dir, 'dist', 'load-binding.js'));
  t.false(r.loaded);
  assertDescribesMachine(t, r.message);
  t.true(r.message.includes(`package:  ${dir}`), r.message);
  t.true(r.message.includes('Looked in (in this order):'), r.message);
  const release = r.message.indexOf(`${path.join(dir, 'build', 'Release')}: not there`);
  const debug = r.message.indexOf(`${path.join(dir, 'build', 'Debug')}: not there`);
  const prebuilds = r.message.indexOf(`${path.join(dir, 'prebuilds')}: not there`);
  t.true(release > 0 && debug > release && prebuilds > debug, r.message);
  t.regex(r.message, /cause: {4}No native build was found for platform=/);
  t.true(r.message.includes('--ignore-scripts'), r.message);
});

test('PREBUILDS_ONLY=1 skips the local build, and a broken prebuild is named with the reason', (t) => {
  const dir = packageCopy();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'build', 'Release', 'curl_net.node'), 'not used');
  const tuple = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
  fs.mkdirSync(tuple, { recursive: true });
  // No libc tag, so it fits glibc and musl alike; the content is not a shared object at all.
  const broken = path.join(tuple, 'curl-net.napi.node');
  fs.writeFileSync(broken, 'this is not an ELF file, just bytes that are long enough to read a header from');
  const r = loadInChild(path.join(dir, 'dist', 'load-binding.js'), { PREBUILDS_ONLY: '1' });
  t.false(r.loaded);
  assertDescribesMachine(t, r.message);
  t.true(r.message.includes(`${path.join(dir, 'build', 'Release')}: skipped (PREBUILDS_ONLY is set)`), r.message);
  t.true(r.message.includes(`${broken}: fits <- chosen, failed to load`), r.message);
  t.true(r.message.includes('PREBUILDS_ONLY is set, so build/Release and build/Debug were skipped'), r.message);
  if (process.platform === 'linux') {
    t.regex(r.message, /cause: {4}.*(invalid ELF header|file too short)/);
    t.regex(r.message, /not a binary for this platform\/architecture/);
  }
});

test('a prebuild for another libc is reported as not fitting', (t) => {
  if (process.platform !== 'linux') return t.pass('Linux only');
  const dir = packageCopy();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tuple = path.join(dir, 'prebuilds', `linux-${process.arch}`);
  fs.mkdirSync(tuple, { recursive: true });
  const other = detectLibc() === 'musl' ? 'glibc' : 'musl';
  fs.writeFileSync(path.join(tuple, `curl-net.napi.${other}.node`), '');
  const r = loadInChild(path.join(dir, 'dist', 'load-binding.js'));
  t.false(r.loaded);
  t.regex(r.message, new RegExp(`curl-net\\.napi\\.${other}\\.node: does not fit \\(node-gyp-build libc: `));
});

test('detectLibc reports the C library without a dependency', (t) => {
  const libc = detectLibc();
  if (process.platform !== 'linux') return t.is(libc, '');
  t.regex(libc, /^(glibc \d+\.\d+|musl)$/);
});
