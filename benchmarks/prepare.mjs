// Run by `npm run bench` before run.mjs: installs this folder's own npm dependencies when they are
// missing (or not the pinned version), builds the C programs, and checks the system tools.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));

function installedVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

const stale = Object.entries(pkg.dependencies).filter(([name, want]) => installedVersion(name) !== want);
if (stale.length) {
  console.log(`benchmarks: installing ${stale.map(([n, v]) => `${n}@${v}`).join(', ')}`);
  const lock = fs.existsSync(path.join(here, 'package-lock.json'));
  execFileSync('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
}

const missing = ['nginx', 'wrk', 'h2load', 'curl', 'openssl', 'gcc', 'make', 'taskset', 'setpriv', 'tinyproxy'].filter((bin) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
if (!fs.existsSync('/usr/include/x86_64-linux-gnu/curl/curl.h') && !fs.existsSync('/usr/include/curl/curl.h')) missing.push('curl.h (libcurl4-openssl-dev)');
if (missing.length) {
  const soft = missing.filter((m) => m === 'tinyproxy');
  const hard = missing.filter((m) => m !== 'tinyproxy');
  if (soft.length) console.log('benchmarks: tinyproxy is missing; the small Node CONNECT proxy is used instead');
  if (hard.length) {
    console.error(`benchmarks: missing system tools: ${hard.join(', ')}.\n` +
      'Install them with: bash scripts/setup.sh   (or: apt-get install nginx-light wrk nghttp2-client tinyproxy libcurl4-openssl-dev build-essential)');
    process.exit(1);
  }
}

execFileSync('make', ['-s', '-C', path.join(here, 'c')], { stdio: 'inherit' });

// The prebuilt addon's rows need the C loop on the same bundled libcurl. The dependency build is
// cached (deps/<key>/), so this is a lookup once `npm run prebuilds` has run; without a prebuild
// those rows are left out of the run.
const root = path.join(here, '..');
if (fs.existsSync(path.join(root, 'prebuilds/linux-x64/curl-net.napi.glibc.node'))) {
  try {
    const deps = execFileSync('bash', [path.join(root, 'scripts/bundled/build-deps.sh')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim().split('\n').pop();
    execFileSync('make', ['-s', '-C', path.join(here, 'c'), 'multiloop-bundled', `DEPS=${deps}`], { stdio: 'inherit' });
  } catch (err) {
    console.log(`benchmarks: the C loop on the bundled libcurl could not be built (${err.message.split('\n')[0]}); prebuilt rows are skipped`);
  }
}
