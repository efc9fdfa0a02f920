// npm run prebuilds: the self-contained binary that ships in the npm package.
//   1. static dependencies (scripts/bundled/build-deps.sh; cached under deps/<key>/),
//   2. the addon linked against them, in its own build dir (build-bundled/, never build/),
//   3. stripped and copied to prebuilds/<platform>-<arch>/curl-net.napi.<libc>.node, the name
//      node-gyp-build 4.8 picks for a Node-API addon on this platform, arch and libc,
//   4. checked (exports, NEEDED libraries) and loaded once in a child process,
//   5. what was built (exact Debian sources and checksums, from deps/<key>/manifest.txt) written
//      next to it as <binary>.sources.txt, so a shipped prebuild stays traceable.
// Prints the path of the prebuild as its last line.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = process.env.CURL_NET_BUNDLED_OUT || 'build-bundled';
const log = (line) => process.stderr.write(`[prebuild] ${line}\n`);

if (process.platform !== 'linux') {
  log(`bundled prebuilds are implemented for Linux only (this is ${process.platform}); see docs/building.md`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });
  if (r.status !== 0) {
    if (r.stdout) process.stderr.write(r.stdout);
    log(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
    process.exit(1);
  }
  return r.stdout ?? '';
}

function libcTag() {
  const header = process.report?.getReport?.().header ?? {};
  return header.glibcVersionRuntime ? 'glibc' : 'musl';
}

let started = Date.now();
const prefix = run('bash', [path.join(root, 'scripts/bundled/build-deps.sh')]).trim().split('\n').pop();
log(`dependencies: ${prefix} (${((Date.now() - started) / 1000).toFixed(1)}s)`);

started = Date.now();
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
// `cmake-js build` only configures a build dir that has no CMakeCache.txt yet, so a new
// dependency prefix (a new Debian revision or recipe) would be ignored and the old one linked.
const cache = path.join(root, outDir, 'CMakeCache.txt');
const configured = fs.existsSync(cache) && fs.readFileSync(cache, 'utf8').match(/^CURL_NET_DEPS_PREFIX:PATH=(.*)$/m)?.[1];
run(process.execPath, [
  cmakeJs, configured === prefix ? 'build' : 'rebuild', '--out', outDir, '--log-level', 'warn', '--parallel', String(os.availableParallelism?.() ?? os.cpus().length),
  '--CDCURL_NET_BUNDLED=ON', `--CDCURL_NET_DEPS_PREFIX=${prefix}`,
], { stdio: ['ignore', 'inherit', 'inherit'] });
log(`addon: ${outDir}/Release/curl_net.node (${((Date.now() - started) / 1000).toFixed(1)}s)`);

const built = path.join(root, outDir, 'Release', 'curl_net.node');
const tupleDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const target = path.join(tupleDir, `curl-net.napi.${libcTag()}.node`);
fs.mkdirSync(tupleDir, { recursive: true });
const temp = `${target}.tmp`;
fs.copyFileSync(built, temp);
run('strip', ['--strip-unneeded', temp]);
fs.renameSync(temp, target);

// The stripped file must pass the same checks as the linked one.
const check = run('bash', [path.join(root, 'scripts/bundled/check-binary.sh'), target, prefix]);
process.stderr.write(check);
const ldd = execFileSync('ldd', [target], { encoding: 'utf8' });
const versions = run(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(target)}).versions())`]).trim();
const manifest = fs.readFileSync(path.join(prefix, 'manifest.txt'), 'utf8')
  .split('\n').filter((line) => /^(package|  source|  file) /.test(line));
fs.writeFileSync(`${target}.sources.txt`, [
  `# ${path.basename(target)}: built ${new Date().toISOString()} from these Debian sources`,
  `# (scripts/bundled/build-deps.sh; sha256 of each file as verified against Debian's signed index)`,
  ...manifest, '',
].join('\n'));
const size = fs.statSync(target).size;
log(`prebuild: ${path.relative(root, target)}: ${size} bytes (${(size / 1048576).toFixed(2)} MiB), unstripped ${fs.statSync(built).size} bytes`);
log(`ldd:\n${ldd.trimEnd()}`);
log(`versions(): ${versions}`);
console.log(target);
