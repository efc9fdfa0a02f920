// Builds test/fixtures/glibc-compat-check.cc against scripts/bundled/glibc-compat.c the way
// scripts/bundled/bundled.cmake links the addon: one --wrap per wrapper the compat unit defines,
// static libstdc++/libgcc (whose unwinder calls _dl_find_object), and libpthread/libdl in NEEDED.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot as repo } from '../../ts/load-binding';

export const compatSource = path.join(repo, 'scripts', 'bundled', 'glibc-compat.c');
const checkerSource = path.join(repo, 'test', 'fixtures', 'glibc-compat-check.cc');

/** The symbols glibc-compat.c wraps, read the same way bundled.cmake reads them. */
export function wrappedSymbols(): string[] {
  const text = fs.readFileSync(compatSource, 'utf8');
  return [...new Set([...text.matchAll(/__wrap_([A-Za-z0-9_]+)/g)].map((m) => m[1]))];
}

/** The compilers: this machine's, or a cross toolchain's (`aarch64-linux-gnu-`). */
export interface Toolchain {
  cc: string;
  cxx: string;
}
export const hostToolchain: Toolchain = { cc: 'cc', cxx: 'c++' };
export const crossToolchain = (triplet: string): Toolchain => ({ cc: `${triplet}-gcc`, cxx: `${triplet}-g++` });

export function haveCompiler(toolchain: Toolchain = hostToolchain): boolean {
  return spawnSync(toolchain.cxx, ['--version']).status === 0 && spawnSync(toolchain.cc, ['--version']).status === 0;
}

/** Compiles the checker into `dir`; returns its path (load it with `node -e 'require(path)'`).
 * Throws with the compiler's output. */
export function buildCompatChecker(dir: string, toolchain: Toolchain = hostToolchain): string {
  const object = path.join(dir, 'glibc-compat.o');
  const binary = path.join(dir, 'glibc-compat-check.node');
  const steps: Array<[string, string[]]> = [
    [toolchain.cc, ['-O2', '-fPIC', '-ffunction-sections', '-fdata-sections', '-c', compatSource, '-o', object]],
    [toolchain.cxx, [
      '-O2', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden', checkerSource, object, '-o', binary,
      '-static-libstdc++', '-static-libgcc', '-Wl,--gc-sections',
      ...wrappedSymbols().map((s) => `-Wl,--wrap=${s}`),
      '-Wl,--push-state,--no-as-needed', '-l:libpthread.so.0', '-l:libdl.so.2', '-Wl,--pop-state',
    ]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  }
  return binary;
}

/** The GLIBC_x.y versions a binary's dynamic symbols are bound to, with the symbols. */
export function glibcVersions(file: string): Map<string, string[]> {
  const r = spawnSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`readelf failed: ${r.stderr}`);
  const versions = new Map<string, string[]>();
  for (const m of r.stdout.matchAll(/ ([A-Za-z0-9_]+)@(GLIBC_[0-9][0-9.]*)/g)) {
    versions.set(m[2], [...(versions.get(m[2]) ?? []), m[1]]);
  }
  return versions;
}

/** True when version a.b[.c] is newer than b. */
export function newerThan(version: string, floor: string): boolean {
  const a = version.replace(/^GLIBC_/, '').split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return false;
}
