// npm run prebuilds: the self-contained binary that ships in the npm package.
//   node scripts/bundled/prebuild.mjs [--target linux-x64|linux-arm64]   (or CURL_NET_TARGET)
// The target defaults to this machine; another one is cross-compiled (docs/building.md).
//   1. static dependencies (scripts/bundled/build-deps.sh; cached under deps/<key>/),
//   2. the addon linked against them, in its own build dir (build-bundled/ for this machine,
//      build-bundled-<target>/ for a cross build; never build/),
//   3. stripped and copied to prebuilds/<platform>-<arch>/curl-net.napi.<libc>.node, the name
//      node-gyp-build 4.8 picks for a Node-API addon on this platform, arch and libc,
//   4. checked (exports, NEEDED libraries, glibc floor) and, when it is for this machine, loaded
//      once in a child process (a cross-built one is loaded under qemu by npm run test:arm64),
//   5. what was built (exact Debian sources and checksums, from deps/<key>/manifest.txt) written
//      next to it as <binary>.sources.txt, so a shipped prebuild stays traceable.
// Prints the path of the prebuild as its last line.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line) => process.stderr.write(`[prebuild] ${line}\n`);

// Targets: Node's name for the directory, the GNU triplet of the cross tools.
const targets = {
  'linux-x64': { arch: 'x64', triplet: 'x86_64-linux-gnu' },
  'linux-arm64': { arch: 'arm64', triplet: 'aarch64-linux-gnu' },
};
const hostTarget = `${process.platform}-${process.arch}`;
const args = process.argv.slice(2);
let targetName = process.env.CURL_NET_TARGET || hostTarget;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--target') targetName = args[++i];
  else if (args[i].startsWith('--target=')) targetName = args[i].slice('--target='.length);
  else {
    log(`unknown argument ${args[i]} (usage: prebuild.mjs [--target ${Object.keys(targets).join('|')}])`);
    process.exit(1);
  }
}
const target = targets[targetName];
if (!target) {
  log(`unknown target ${targetName} (known: ${Object.keys(targets).join(', ')}; docs/building.md, "Adding a target")`);
  process.exit(1);
}
const cross = targetName !== hostTarget;
const outDir = process.env.CURL_NET_BUNDLED_OUT || (cross ? `build-bundled-${targetName}` : 'build-bundled');
const tool = (name) => (cross ? `${target.triplet}-${name}` : name);

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
const prefix = run('bash', [path.join(root, 'scripts/bundled/build-deps.sh'), '--target', targetName]).trim().split('\n').pop();
log(`dependencies: ${prefix} (${((Date.now() - started) / 1000).toFixed(1)}s)`);

started = Date.now();
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const cmakeArgs = [
  '--out', outDir, '--log-level', 'warn', '--parallel', String(os.availableParallelism?.() ?? os.cpus().length),
  '--CDCURL_NET_BUNDLED=ON', `--CDCURL_NET_DEPS_PREFIX=${prefix}`,
  ...(cross ? [`--CDCMAKE_TOOLCHAIN_FILE=${path.join(root, 'scripts', 'bundled', `toolchain-${targetName}.cmake`)}`] : []),
];
// `cmake-js build` configures only a new build dir: when the dependencies moved to a new cache
// key (new Debian revisions, a changed recipe), an existing dir would keep linking the old prefix.
const cachedPrefix = () => {
  const cache = path.join(root, outDir, 'CMakeCache.txt');
  if (!fs.existsSync(cache)) return undefined;
  return /^CURL_NET_DEPS_PREFIX:[A-Z]+=(.*)$/m.exec(fs.readFileSync(cache, 'utf8'))?.[1];
};
const previous = cachedPrefix();
if (previous !== undefined && previous !== prefix) {
  log(`dependencies changed (${previous} -> ${prefix}): reconfiguring ${outDir}`);
  run(process.execPath, [cmakeJs, 'configure', ...cmakeArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
}
run(process.execPath, [cmakeJs, 'build', ...cmakeArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
if (cachedPrefix() !== prefix) {
  log(`${outDir} is configured for ${cachedPrefix()}, not ${prefix}: remove ${outDir}/ and rerun`);
  process.exit(1);
}
log(`addon: ${outDir}/Release/curl_net.node (${((Date.now() - started) / 1000).toFixed(1)}s)`);

const built = path.join(root, outDir, 'Release', 'curl_net.node');
const tupleDir = path.join(root, 'prebuilds', targetName);
// Cross builds are for glibc (the only cross toolchains used); a native one takes this machine's libc.
const output = path.join(tupleDir, `curl-net.napi.${cross ? 'glibc' : libcTag()}.node`);
fs.mkdirSync(tupleDir, { recursive: true });
const temp = `${output}.tmp`;
fs.copyFileSync(built, temp);
run(tool('strip'), ['--strip-unneeded', temp]);
fs.renameSync(temp, output);

// The stripped file must pass the same checks as the linked one.
const check = run('bash', [path.join(root, 'scripts/bundled/check-binary.sh'), output, prefix], {
  env: { ...process.env, NM: tool('nm') },
});
process.stderr.write(check);
const ldd = cross ? '(cross build: not run)' : execFileSync('ldd', [output], { encoding: 'utf8' });
const versions = cross
  ? '(cross build: not loaded here; npm run test:arm64 loads it under qemu)'
  : run(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(output)}).versions())`]).trim();
const manifest = fs.readFileSync(path.join(prefix, 'manifest.txt'), 'utf8')
  .split('\n').filter((line) => /^(package|  source|  file) /.test(line));
fs.writeFileSync(`${output}.sources.txt`, [
  `# ${targetName}/${path.basename(output)}: built ${new Date().toISOString()} from these Debian sources`,
  `# (scripts/bundled/build-deps.sh; sha256 of each file as verified against Debian's signed index)`,
  ...manifest, '',
].join('\n'));
const size = fs.statSync(output).size;
log(`prebuild: ${path.relative(root, output)}: ${size} bytes (${(size / 1048576).toFixed(2)} MiB), unstripped ${fs.statSync(built).size} bytes`);
log(`ldd:\n${ldd.trimEnd()}`);
log(`versions(): ${versions}`);
console.log(output);
