// The suite fails, never hangs: no test may suspend ava's global timeout (see
// test/helpers/bounded.ts for why a t.timeout() above it can hang a whole run for good).
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../ts/load-binding';
import { boundedStep } from './helpers/bounded';

const globalTimeoutMs = (() => {
  const spec = String(JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).ava.timeout);
  const m = /^(\d+)(ms|s|m)?$/.exec(spec);
  if (!m) throw new Error(`unexpected ava.timeout ${spec}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2] ?? 'ms'];
})();

function testSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testSources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

test(`no test or hook sets t.timeout() at or above ava's global timeout`, (t) => {
  t.true(globalTimeoutMs > 0);
  const offenders: string[] = [];
  for (const file of testSources(path.join(packageRoot, 'test'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/\bt\.timeout\(\s*([^,)]+)/g)) {
      const expression = match[1].trim();
      // Only literal arithmetic such as 600_000 or 30 * 60_000; anything else must be a name
      // this check cannot follow, which is refused too.
      const value = /^[\d_\s*+]+$/.test(expression)
        ? expression.split('+').reduce((sum, term) => sum + term.split('*').reduce((p, f) => p * Number(f.trim().replace(/_/g, '')), 1), 0)
        : Number.NaN;
      if (!(value < globalTimeoutMs)) {
        const line = text.slice(0, match.index).split('\n').length;
        offenders.push(`${path.relative(packageRoot, file)}:${line}: timeout of ${expression}`);
      }
    }
  }
  t.deepEqual(offenders, [], `use boundedStep() from test/helpers/bounded.ts instead:\n${offenders.join('\n')}`);
});

test('boundedStep fails a step that does not finish within its bound, names it, and stops it', async (t) => {
  let stopped = false;
  const never = new Promise<never>(() => {});
  const error = await t.throwsAsync(boundedStep(t, 'a step that never ends', 1000, never, () => (stopped = true)));
  t.is(error?.message, 'a step that never ends did not finish within 1 s');
  t.true(stopped);
});
