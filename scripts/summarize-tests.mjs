// Reads ava's output and prints the line CI looks for: "N passed, N failed".
// Exits non-zero when anything failed or when ava itself failed without counting.
import { readFileSync } from 'node:fs';

const [logPath, statusArg] = process.argv.slice(2);
const log = readFileSync(logPath, 'utf8');
const count = (re) => [...log.matchAll(re)].reduce((sum, m) => sum + Number(m[1]), 0);
const passed = count(/^\s*(\d+) tests? passed/gm);
let failed = count(/^\s*(\d+) tests? failed/gm) + count(/^\s*(\d+) uncaught exceptions?/gm) +
  count(/^\s*(\d+) unhandled rejections?/gm) + count(/^\s*(\d+) tests? remained pending/gm);
const status = Number(statusArg ?? 0);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
