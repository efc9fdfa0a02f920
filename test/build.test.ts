// Both build systems compile the same source list (native/build.json), and the node-gyp
// build — what users without a prebuild get — produces a working addon.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../ts/load-binding';
import { boundedStep } from './helpers/bounded';

const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'native', 'build.json'), 'utf8')) as {
  sources: string[];
  defines: string[];
};

test('every native/*.cc is in native/build.json, and every listed source exists', (t) => {
  const onDisk = fs
    .readdirSync(path.join(packageRoot, 'native'))
    .filter((f) => f.endsWith('.cc'))
    .map((f) => `native/${f}`)
    .sort();
  t.deepEqual([...manifest.sources].sort(), onDisk);
});

test('CMakeLists.txt and binding.gyp both take their sources and defines from native/build.json', (t) => {
  const cmake = fs.readFileSync(path.join(packageRoot, 'CMakeLists.txt'), 'utf8');
  const gyp = fs.readFileSync(path.join(packageRoot, 'binding.gyp'), 'utf8');
  t.regex(cmake, /native\/build\.json/);
  t.regex(cmake, /GET "\$\{CURL_NET_MANIFEST\}" sources/);
  t.regex(gyp, /require\('\.\/native\/build\.json'\)\.sources/);
  t.regex(gyp, /require\('\.\/native\/build\.json'\)\.defines/);
  t.false(/\.cc['"]/.test(gyp.replace(/build\.json/g, '')), 'binding.gyp lists no source by hand');
});

function nodeHeadersPrefix(): string | undefined {
  const prefix = path.resolve(process.execPath, '..', '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

test('the node-gyp build compiles the manifest and makes a real request', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-gyp-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(path.join(packageRoot, 'native'), path.join(dir, 'native'), { recursive: true });
  fs.copyFileSync(path.join(packageRoot, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [packageRoot] });
  const prefix = nodeHeadersPrefix();
  const args = [nodeGyp, 'rebuild', '--loglevel=warn', ...(prefix ? [`--nodedir=${prefix}`] : [])];
  // Its own process group, so a kill reaches make and the compilers too.
  const child = spawn(process.execPath, args, { cwd: dir, detached: true, env: { ...process.env, JOBS: String(os.cpus().length) } });
  const killBuild = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  t.teardown(killBuild);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, output: `${output}\n${error}` }));
    child.on('exit', (code) => resolve({ code, output }));
  });
  // A compile takes minutes on a busy machine: renew the test's own timeout while it runs
  // instead of suspending ava's global one, and give up after 10 minutes.
  const built = await boundedStep(t, 'the node-gyp build', 600_000, exited, killBuild);
  t.is(built.code, 0, built.output.slice(-3000));
  const addon = path.join(dir, 'build', 'Release', 'curl_net.node');
  t.true(fs.existsSync(addon));

  // Load the gyp-built addon through the normal loader and make a request with it.
  const script = `
    const http = require('http');
    const { net } = require(${JSON.stringify(path.join(__dirname, '..', 'ts', 'index.js'))});
    const server = http.createServer((req, res) => res.end('gyp ok')).listen(0, '127.0.0.1', () => {
      const req = net.request('http://127.0.0.1:' + server.address().port + '/');
      req.on('response', (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => { console.log(b); server.close(); }); });
      req.end();
    });`;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, CURL_NET_BINDING: addon }, encoding: 'utf8', timeout: 30_000 });
  t.is(run.status, 0, run.stderr);
  t.is(run.stdout.trim(), 'gyp ok');
});
