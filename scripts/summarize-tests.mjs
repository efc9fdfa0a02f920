// Reads ava's output and prints the line CI looks for: "N passed, N failed".
// ava prints one line per test (✔ passed or expected failure, ✘ failed or unexpected pass) but
// leaves out the passed total when anything failed, so the lines are counted. Problems that are
// not a test line (uncaught exceptions, unhandled rejections, timeouts, files that did not
// exit) count as failures too, and so does a non-zero exit status with nothing else to show.
import { readFileSync } from 'node:fs';

const [logPath, statusArg] = process.argv.slice(2);
const log = readFileSync(logPath, 'utf8');
const lines = log.split('\n');
const passed = lines.filter((l) => /^\s*✔ /.test(l)).length;
const failedTests = lines.filter((l) => /^\s*✘ \[(fail|unexpected pass)\]/.test(l)).length;
const sum = (re) => [...log.matchAll(re)].reduce((total, m) => total + Number(m[1]), 0);
const otherProblems =
  sum(/^\s*(\d+) uncaught exceptions?/gm) +
  sum(/^\s*(\d+) unhandled rejections?/gm) +
  sum(/^\s*(\d+) tests? remained pending/gm) +
  lines.filter((l) => /Failed to exit when running|Timed out while running tests/.test(l)).length;
let failed = failedTests + otherProblems;
const status = Number(statusArg ?? 0);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
