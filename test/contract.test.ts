// The contract between ts/ and native/ (native/contract.json): the generated files are current,
// the generator refuses an inconsistent table, the addon reports exactly what the JavaScript
// was generated with, and a mismatch stops the load with an error that names the difference.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBinding, packageRoot } from '../ts/load-binding';
import { checkNativeContract, native, type NativeBinding, type NativeContract } from '../ts/native';
import { NATIVE_CONTRACT } from '../ts/native-contract';

const generator = path.join(packageRoot, 'scripts', 'generate-contract.mjs');
const TABLE = path.join('native', 'contract.json');
const OUTPUTS = [path.join('native', 'contract.h'), path.join('ts', 'native-contract.ts')];

function runGenerator(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

/** A scratch checkout holding the table (as `edit` leaves it) and the committed outputs. */
function scratchCheckout(t: import('ava').ExecutionContext, edit: (table: any) => void): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-contract-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'native'));
  fs.mkdirSync(path.join(root, 'ts'));
  const table = JSON.parse(fs.readFileSync(path.join(packageRoot, TABLE), 'utf8'));
  edit(table);
  fs.writeFileSync(path.join(root, TABLE), JSON.stringify(table, null, 2));
  for (const file of OUTPUTS) fs.copyFileSync(path.join(packageRoot, file), path.join(root, file));
  return root;
}

test('the committed native/contract.h and ts/native-contract.ts are what contract.json generates', (t) => {
  const r = runGenerator('--check', '--root', packageRoot);
  t.is(r.status, 0, r.stderr);
});

test('a table edited without regenerating is reported stale; regenerating carries the edit to both sides', (t) => {
  const root = scratchCheckout(t, (table) => {
    table.doneFlags.bits.push({ name: 'ProbeFlag', bit: 30 });
    table.hopExtras.fields.push({ name: 'probeOption', type: 'integer' });
  });
  const stale = runGenerator('--check', '--root', root);
  t.is(stale.status, 1);
  t.true(stale.stderr.includes('native/contract.h and ts/native-contract.ts do not match native/contract.json'), stale.stderr);

  t.is(runGenerator('--root', root).status, 0);
  const header = fs.readFileSync(path.join(root, OUTPUTS[0]), 'utf8');
  const ts = fs.readFileSync(path.join(root, OUTPUTS[1]), 'utf8');
  t.true(header.includes('kDoneProbeFlag = 1u << 30,'));
  t.true(header.includes('long probe_option = 0;'));
  t.true(header.includes('visit("probeOption", &extras.probe_option);'));
  t.true(header.includes('{"hopExtras", "probeOption", static_cast<double>(1)},'));
  t.true(ts.includes('ProbeFlag = 1 << 30,'));
  t.true(ts.includes('probeOption?: number;'));
  t.is(runGenerator('--check', '--root', root).status, 0);
});

test('the generator refuses a table that breaks flow control or reuses a bit', (t) => {
  const quantum = scratchCheckout(t, (table) => {
    table.constants.find((c: { name: string }) => c.name === 'ackQuantum').value = 256 * 1024;
  });
  const r1 = runGenerator('--root', quantum);
  t.is(r1.status, 1);
  t.true(r1.stderr.includes('ackQuantum must be at most half of minResponseWindow'), r1.stderr);

  const bits = scratchCheckout(t, (table) => {
    table.hopFlags.bits.push({ name: 'Again', bit: 0 });
  });
  const r2 = runGenerator('--root', bits);
  t.is(r2.status, 1);
  t.true(r2.stderr.includes('hopFlags bits: 0 appears twice'), r2.stderr);
  // Nothing was written over the outputs.
  t.is(fs.readFileSync(path.join(bits, OUTPUTS[0]), 'utf8'), fs.readFileSync(path.join(packageRoot, OUTPUTS[0]), 'utf8'));
});

test('the loaded addon reports exactly the contract the JavaScript was generated with', (t) => {
  native(); // loads the addon, which runs the check
  const addon = loadBinding() as NativeBinding;
  t.deepEqual(addon.contract(), NATIVE_CONTRACT);
  // Spot checks against the values the rest of the code relies on.
  t.is(NATIVE_CONTRACT.eventLayout.Stride, 17); // the Done event: 2 header + 15 numbers
  t.is(NATIVE_CONTRACT.constants.ackQuantum * 2, NATIVE_CONTRACT.constants.minResponseWindow);
});

function copyOf(contract: NativeContract): Record<string, Record<string, number>> {
  return JSON.parse(JSON.stringify(contract));
}

function mismatch(t: import('ava').ExecutionContext, reported: NativeContract | undefined): string {
  const error = t.throws(() => checkNativeContract(reported, NATIVE_CONTRACT)) as Error & { code?: string };
  t.is(error.code, 'ERR_CURL_NET_NATIVE_CONTRACT');
  t.true(error.message.startsWith('curl-net: the native addon does not match this JavaScript (native/contract.json):'), error.message);
  t.true(error.message.includes('npm rebuild curl-net --build-from-source'), error.message);
  return error.message;
}

test('checkNativeContract names every difference between the two sides', (t) => {
  t.notThrows(() => checkNativeContract(copyOf(NATIVE_CONTRACT), NATIVE_CONTRACT));

  const moved = copyOf(NATIVE_CONTRACT);
  moved.doneFlags.Connected = 64;
  moved.eventLayout.Stride = 14;
  const message = mismatch(t, moved);
  t.true(message.includes('  - doneFlags.Connected: JavaScript 32, addon 64'), message);
  t.true(message.includes('  - eventLayout.Stride: JavaScript 17, addon 14'), message);

  const changed = copyOf(NATIVE_CONTRACT);
  delete changed.hopExtras.streamWeight;
  changed.hopExtras.newOption = 1;
  const second = mismatch(t, changed);
  t.true(second.includes('hopExtras.streamWeight: the addon lacks it (JavaScript: 1)'), second);
  t.true(second.includes('hopExtras.newOption: only the addon has it (1)'), second);

  t.true(mismatch(t, undefined).includes('the addon has no contract() (it predates native/contract.json)'));
});

test('native() refuses an addon whose contract differs, naming the addon file', (t) => {
  const file = process.env.CURL_NET_BINDING
    ? path.resolve(process.env.CURL_NET_BINDING)
    : (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
  const nativeModule = require.resolve('../ts/native');
  // The child loads the real addon, then stands a copy in for it whose contract() disagrees
  // on one flag; native() must refuse before the engine starts.
  const script = `
    const addon = require(${JSON.stringify(file)});
    // defineProperty: the addon's methods are read-only, and so is what inherits them.
    const liar = Object.create(addon, { contract: { value: () => {
      const c = addon.contract();
      c.hopFlags.StreamBody = 64;
      return c;
    } } });
    require.cache[${JSON.stringify(file)}].exports = liar;
    try {
      require(${JSON.stringify(nativeModule)}).native();
      console.log(JSON.stringify({ loaded: true }));
    } catch (e) {
      console.log(JSON.stringify({ loaded: false, code: e.code, message: e.message }));
    }`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, CURL_NET_BINDING: file },
  });
  t.is(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { loaded: boolean; code?: string; message?: string };
  t.false(result.loaded);
  t.is(result.code, 'ERR_CURL_NET_NATIVE_CONTRACT');
  t.true(result.message!.includes('  - hopFlags.StreamBody: JavaScript 4, addon 64'), result.message);
  t.true(result.message!.includes(`${file} was built from another version of curl-net`), result.message);
});
