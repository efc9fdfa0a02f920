// Finds and loads the compiled addon: a local build first, then a prebuild that fits this
// platform (node-gyp-build's order). A failure explains itself: what this machine is, where the
// addon was looked for, what went wrong, and numbered things to do about it.
import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'curl-net';
/** The Node-API version the addon is compiled for (native/build.json NAPI_VERSION). */
const REQUIRED_NAPI = 8;
/** Where node-gyp-build looks for a different package directory (`<NAME>_PREBUILD`). */
const PREBUILD_DIR_VARIABLE = 'CURL_NET_PREBUILD';

export const packageRoot = findPackageRoot(__dirname);

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) return dir;
      } catch {
        // keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..');
    dir = parent;
  }
}

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
  parseTags?(file: string): unknown;
  matchTags?(runtime: string, abi: string): (tags: unknown) => boolean;
}

/** Loads the addon: `CURL_NET_BINDING` (a file) if set, otherwise node-gyp-build's choice. */
export function loadBinding(): unknown {
  const override = process.env.CURL_NET_BINDING;
  if (override) {
    const file = path.resolve(override);
    try {
      return require(file);
    } catch (error) {
      throw explainLoadFailure(error, { override: file, failedFile: file });
    }
  }
  let nodeGypBuild: NodeGypBuild;
  try {
    nodeGypBuild = require('node-gyp-build') as NodeGypBuild;
  } catch (error) {
    throw explainLoadFailure(error, { missingResolver: true });
  }
  let file: string;
  try {
    file = nodeGypBuild.resolve(packageRoot);
  } catch (error) {
    throw explainLoadFailure(error, { nodeGypBuild });
  }
  try {
    return require(file);
  } catch (error) {
    throw explainLoadFailure(error, { nodeGypBuild, failedFile: file });
  }
}

interface FailureContext {
  override?: string;
  failedFile?: string;
  missingResolver?: boolean;
  nodeGypBuild?: NodeGypBuild;
}

/** What kind of C library this process runs on: "glibc 2.36", "musl", or "" off Linux. */
export function detectLibc(): string {
  if (process.platform !== 'linux') return '';
  const report = process.report as (NodeJS.ProcessReport & { excludeNetwork?: boolean }) | undefined;
  if (report !== undefined) {
    const excludeNetwork = report.excludeNetwork;
    try {
      // The network section can be slow (it resolves socket addresses); it is not needed here.
      if (excludeNetwork !== undefined) report.excludeNetwork = true;
      const data = report.getReport() as {
        header?: { glibcVersionRuntime?: string };
        sharedObjects?: string[];
      };
      if (data.header?.glibcVersionRuntime) return `glibc ${data.header.glibcVersionRuntime}`;
      if ((data.sharedObjects ?? []).some((object) => /(^|\/)(ld-)?musl[-.]/.test(object))) return 'musl';
    } catch {
      // fall through to the file system checks
    } finally {
      if (excludeNetwork !== undefined) report.excludeNetwork = excludeNetwork;
    }
  }
  if (fs.existsSync('/etc/alpine-release')) return 'musl';
  return 'unknown libc';
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((line) => line.trim() !== '') ?? text;
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}

function listDir(dir: string): string[] | undefined {
  try {
    return fs.readdirSync(dir);
  } catch {
    return undefined;
  }
}

/** The places node-gyp-build 4.8 searches, in its order, and what each held. */
function describeSearch(ctx: FailureContext): string[] {
  if (ctx.override !== undefined) {
    return [
      `CURL_NET_BINDING=${process.env.CURL_NET_BINDING} -> ${ctx.override}: ` +
        (fs.existsSync(ctx.override) ? 'exists, failed to load' : 'no such file'),
      '(CURL_NET_BINDING replaces the normal search: build/, then prebuilds/)',
    ];
  }
  const lines: string[] = [];
  const prebuildDir = process.env[PREBUILD_DIR_VARIABLE];
  const root = prebuildDir ? path.resolve(prebuildDir) : packageRoot;
  if (prebuildDir) lines.push(`${PREBUILD_DIR_VARIABLE}=${prebuildDir}: searching ${root} instead of ${packageRoot}`);
  const mark = (file: string): string => (file === ctx.failedFile ? ' <- chosen, failed to load' : '');
  const prebuildsOnly = Boolean(process.env.PREBUILDS_ONLY);
  for (const sub of ['build/Release', 'build/Debug']) {
    const dir = path.join(root, sub);
    if (prebuildsOnly) {
      lines.push(`${dir}: skipped (PREBUILDS_ONLY is set)`);
      continue;
    }
    const files = listDir(dir)?.filter((f) => f.endsWith('.node'));
    if (files === undefined) lines.push(`${dir}: not there`);
    else if (files.length === 0) lines.push(`${dir}: no .node file`);
    else lines.push(...files.map((f) => `${path.join(dir, f)}: found${mark(path.join(dir, f))}`));
  }
  for (const base of [root, path.dirname(process.execPath)]) {
    lines.push(...describePrebuilds(path.join(base, 'prebuilds'), ctx, mark));
  }
  return lines;
}

function describePrebuilds(dir: string, ctx: FailureContext, mark: (file: string) => string): string[] {
  const platform = process.env.npm_config_platform || process.platform;
  const arch = process.env.npm_config_arch || process.arch;
  const tuples = listDir(dir);
  if (tuples === undefined) return [`${dir}: not there`];
  const fitting = tuples.filter((name) => {
    const [os, archs, extra] = name.split('-');
    return extra === undefined && os === platform && (archs ?? '').split('+').includes(arch);
  });
  if (fitting.length === 0) {
    const others = tuples.length > 0 ? `only ${tuples.join(', ')}` : 'empty';
    return [`${dir}/${platform}-${arch}: not there (${others})`];
  }
  const lines: string[] = [];
  const runtime = process.versions.electron ? 'electron' : 'node';
  const matches = ctx.nodeGypBuild?.matchTags?.(runtime, process.versions.modules);
  for (const tuple of fitting) {
    const files = (listDir(path.join(dir, tuple)) ?? []).filter((f) => f.endsWith('.node'));
    if (files.length === 0) lines.push(`${path.join(dir, tuple)}: no .node file`);
    for (const f of files) {
      const file = path.join(dir, tuple, f);
      let verdict = 'found';
      if (matches !== undefined && ctx.nodeGypBuild?.parseTags !== undefined) {
        verdict = matches(ctx.nodeGypBuild.parseTags(f)) ? 'fits' : `does not fit (node-gyp-build libc: ${
          process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc')
        }, runtime: ${runtime}, abi: ${process.versions.modules})`;
      }
      lines.push(`${file}: ${verdict}${mark(file)}`);
    }
  }
  return lines;
}

/** Numbered advice, most specific first. */
function suggestFixes(error: unknown, ctx: FailureContext, libc: string): string[] {
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  const fixes: string[] = [];
  const napi = Number(process.versions.napi ?? 0);
  const fromSource =
    'Build it from source: npm rebuild curl-net --build-from-source\n' +
    'It needs a C++17 compiler, make, Python 3, pkg-config and the libcurl, zlib, brotli and zstd headers:\n' +
    '  Debian/Ubuntu: apt-get install build-essential python3 pkg-config libcurl4-openssl-dev zlib1g-dev libbrotli-dev libzstd-dev\n' +
    '  Fedora/RHEL:   dnf install gcc-c++ make python3 pkgconf libcurl-devel zlib-devel brotli-devel libzstd-devel\n' +
    '  Alpine:        apk add build-base python3 pkgconf curl-dev zlib-dev brotli-dev zstd-dev\n' +
    '  macOS:         xcode-select --install';

  if (ctx.override !== undefined) {
    fixes.push(
      fs.existsSync(ctx.override)
        ? `CURL_NET_BINDING points at ${ctx.override}, which exists but does not load (see the cause); ` +
            'point it at a working curl_net.node or unset it.'
        : `CURL_NET_BINDING points at ${ctx.override}, which does not exist: fix the path or unset it ` +
            'to use the installed binary.',
    );
  }
  if (ctx.missingResolver) {
    fixes.push("The dependency 'node-gyp-build' is missing: reinstall curl-net (npm install curl-net).");
  }
  if (code === 'ERR_DLOPEN_DISABLED' || /--no-addons|addons are disabled/i.test(message)) {
    fixes.push('Node runs with --no-addons (check NODE_OPTIONS): curl-net needs native addons; remove the flag.');
  }
  if (napi < REQUIRED_NAPI) {
    fixes.push(`This Node supports Node-API ${napi || 'unknown'}; curl-net needs ${REQUIRED_NAPI}: upgrade Node (>= 20.17).`);
  }
  const needed = /(GLIBC|GLIBCXX|CXXABI)_([0-9.]+)/.exec(message);
  if (needed) {
    fixes.push(
      `The binary needs ${needed[1]}_${needed[2]} but this system has ${libc || 'an older C/C++ runtime'}: ` +
        'use a newer distribution, or build from source (below) so it links against this system.',
    );
  }
  if (/invalid ELF header|wrong ELF class|Exec format error|not a mach-o|not a valid Win32|file too short/i.test(message)) {
    fixes.push(
      'The file is not a binary for this platform/architecture (node_modules copied from another machine, ' +
        'or installed with another --arch/--platform): reinstall on this machine (rm -rf node_modules && npm ci).',
    );
  }
  if (/lib(curl|ssl|crypto|nghttp2)[^ ]*\.so/.test(message) || /undefined symbol: (curl_|SSL_|OPENSSL_)/.test(message)) {
    fixes.push(
      'A locally built binary links against the system libcurl, which is missing or different here: ' +
        'install libcurl (Debian/Ubuntu: apt-get install libcurl4) or rebuild (npm rebuild curl-net --build-from-source).',
    );
  }
  if (/undefined symbol: (napi_|node_api_)/.test(message)) {
    fixes.push('This runtime lacks Node-API functions the binary uses: upgrade Node (>= 20.17) or Electron.');
  }
  if (/did not self-register|NODE_MODULE_VERSION/.test(message)) {
    fixes.push('The binary was built for another Node: rebuild it (npm rebuild curl-net --build-from-source).');
  }
  if (process.env.PREBUILDS_ONLY && ctx.override === undefined) {
    fixes.push('PREBUILDS_ONLY is set, so build/Release and build/Debug were skipped: unset it to use a local build.');
  }
  if (libc === 'musl') {
    fixes.push('There is no prebuilt binary for musl (Alpine) yet: build from source (below).');
  }
  fixes.push(fromSource);
  fixes.push(
    'If install scripts were skipped (npm --ignore-scripts, pnpm without onlyBuiltDependencies, yarn ' +
      'enableScripts: false), run them: npm rebuild curl-net.',
  );
  if (process.versions.electron) {
    fixes.push(
      'Electron: unpack the binary from the asar archive (asarUnpack: "**/node_modules/curl-net/{build,prebuilds}/**"), ' +
        'and rebuild for Electron only if you built from source.',
    );
  }
  fixes.push(
    'Bundlers (webpack, esbuild, …): keep curl-net external, or ship curl_net.node and set ' +
      'CURL_NET_BINDING=/path/to/curl_net.node.',
  );
  fixes.push('Still stuck? Open an issue with this whole message.');
  return fixes.map((fix, i) => `  ${String(i + 1).padStart(2)}. ${fix.split('\n').join('\n      ')}`);
}

/** Builds the error thrown when the addon cannot be loaded. Exported for tests. */
export function explainLoadFailure(cause: unknown, ctx: FailureContext = {}): Error {
  const libc = detectLibc();
  const runtime = process.versions.electron
    ? `Electron ${process.versions.electron} (Node ${process.version})`
    : `Node ${process.version}`;
  const lines = [
    'curl-net could not load its native addon.',
    '',
    `  platform: ${process.platform}-${process.arch}${libc ? `, ${libc}` : ''}`,
    `  runtime:  ${runtime}, Node-API ${process.versions.napi ?? 'unknown'} (curl-net needs ${REQUIRED_NAPI}), ` +
      `modules ABI ${process.versions.modules}`,
    `  package:  ${packageRoot}`,
    `  cause:    ${firstLine(cause)}`,
  ];
  if (!ctx.missingResolver) {
    lines.push('', 'Looked in (in this order):', ...describeSearch(ctx).map((line) => `  - ${line}`));
  }
  lines.push('', 'Possible fixes:', ...suggestFixes(cause, ctx, libc));
  const error = new Error(lines.join('\n'), { cause }) as Error & { code: string };
  error.code = 'ERR_CURL_NET_NATIVE_LOAD';
  return error;
}
