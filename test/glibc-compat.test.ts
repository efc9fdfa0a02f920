// scripts/bundled/glibc-compat.c, the unit that gives the prebuilt addon its glibc 2.28 floor:
// a shared object linked with the same --wrap redirections must need nothing newer than 2.28 and must
// get the same answers as the kernel and as the running glibc (test/fixtures/glibc-compat-check.cc).
// The same program runs inside a Debian 11 root (glibc 2.31) in test/package-install.test.ts.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCompatChecker, glibcVersions, haveCompiler, newerThan, wrappedSymbols } from './helpers/glibc-compat';
import { detectLibc } from '../ts/load-binding';

const applicable = process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch) && detectLibc() !== 'musl';

if (!applicable || !haveCompiler()) {
  test.skip('glibc compat unit: needs glibc on x64/arm64 Linux and a C++ compiler', () => {});
} else {
  test('a shared object linked through glibc-compat.c needs glibc 2.28 at most and behaves like glibc', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-glibc-compat-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const checker = buildCompatChecker(dir);

    const versions = glibcVersions(checker);
    const tooNew = [...versions].filter(([v]) => newerThan(v, '2.28'));
    t.deepEqual(tooNew, [], 'symbols bound to a glibc newer than 2.28');
    // The wrappers really bound the old versions (not just nothing at all).
    const base = process.arch === 'x64' ? 'GLIBC_2.2.5' : 'GLIBC_2.17';
    for (const symbol of ['pthread_create', '__xstat', '__fxstat', 'dlopen']) {
      t.true(versions.get(base)?.includes(symbol), `${symbol}@${base} is referenced`);
    }
    t.true(wrappedSymbols().includes('_dl_find_object'));

    const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(checker)})`], { encoding: 'utf8', timeout: 60_000 });
    t.log(r.stdout.trim().split('\n').filter((l) => l.includes('_dl_find_object')).join('\n'));
    t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    t.regex(r.stdout, /all ok\n$/);
    t.notRegex(r.stdout, /FAIL/);
  });
}
