// Persistent sessions: fromPath()/persist: storage paths, the data directory (API, environment
// variable, per-platform default), cookies surviving a restart (session cookies not), flushStore
// and batched writes, a corrupt store moved aside with a warning, and the lock file against a
// second process. Child processes are real restarts; every one is bounded.
import test from 'ava';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { session } from '../ts/index';
import { COOKIE_FILE, LOCK_FILE, readCookieFile } from '../ts/cookies/cookie-file';
import { defaultUserDataPath, getUserDataPath, USER_DATA_ENV } from '../ts/cookies/storage-path';
import { boundedStep } from './helpers/bounded';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-cookies-'));
test.after.always(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => path.join(root, `store-${dirs++}`);

const CHILD = path.join(__dirname, 'fixtures', 'cookie-child.js');

interface ChildRun {
  code: number | null;
  lines: string[];
  stderr: string;
}

function runChild(mode: string, dir: string): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: stdout.trim().split('\n').filter(Boolean), stderr });
    });
  });
}

test('fromPath() refuses empty and relative paths with Electron’s messages', (t) => {
  t.throws(() => session.fromPath(''), { message: 'An empty path was specified' });
  t.throws(() => session.fromPath('relative/dir'), { message: 'An absolute path was not provided' });
});

test('fromPath(): one session per path, persistent, storagePath and getStoragePath(); in-memory sessions have null', (t) => {
  const dir = freshDir();
  const ses = session.fromPath(dir);
  t.is(session.fromPath(`${dir}/`), ses);
  t.is(ses.storagePath, dir);
  t.is(ses.getStoragePath(), dir);
  t.true(ses.isPersistent());
  t.true(fs.existsSync(path.join(dir, LOCK_FILE)));
  const memory = session.fromPartition('in-memory-partition');
  t.is(memory.storagePath, null);
  t.false(memory.isPersistent());
});

test.serial('data directory: environment variable, then setUserDataPath(); persist:NAME lives in Partitions/<name>', (t) => {
  const fromEnv = path.join(root, 'env-data');
  process.env[USER_DATA_ENV] = fromEnv;
  t.is(getUserDataPath(), fromEnv);
  const byApi = path.join(root, 'api-data');
  t.throws(() => session.setUserDataPath('relative'), { message: 'An absolute path was not provided' });
  session.setUserDataPath(byApi);
  t.is(session.getUserDataPath(), byApi);
  delete process.env[USER_DATA_ENV];
  const ses = session.fromPartition('persist:My.App');
  t.is(ses.storagePath, path.join(byApi, 'Partitions', 'my%2Eapp'));
  t.true(ses.isPersistent());
  t.is(session.fromPartition('persist:My.App'), ses);
  t.is(session.fromPath(ses.storagePath!), ses, 'the same directory is the same session');
  // No partition name can leave the Partitions directory.
  t.is(path.dirname(session.fromPartition('persist:../../escape').storagePath!), path.join(byApi, 'Partitions'));
});

test('default data directory per platform', (t) => {
  t.is(defaultUserDataPath('linux', {}, '/home/u'), '/home/u/.config/curl-net');
  t.is(defaultUserDataPath('linux', { XDG_CONFIG_HOME: '/xdg' }, '/home/u'), '/xdg/curl-net');
  t.is(defaultUserDataPath('darwin', {}, '/Users/u'), '/Users/u/Library/Application Support/curl-net');
  t.is(defaultUserDataPath('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\curl-net');
});

test('after a restart persistent cookies are back with their expiry; session cookies are not', async (t) => {
  const dir = freshDir();
  const written = await boundedStep(t, 'writer child', 30_000, runChild('write', dir));
  t.is(written.code, 0, written.stderr);
  const before = JSON.parse(written.lines[0]) as Array<{ name: string }>;
  t.deepEqual(before.map((c) => c.name).sort(), ['kept', 'session_only', 'wide']);
  t.false(fs.existsSync(path.join(dir, LOCK_FILE)), 'a normal exit lets go of the lock');
  const read = await boundedStep(t, 'reader child', 30_000, runChild('read', dir));
  t.is(read.code, 0, read.stderr);
  const after = JSON.parse(read.lines[0]);
  t.deepEqual(
    after,
    before.filter((c) => c.name !== 'session_only'),
  );
});

test('flushStore() writes at once; a change without it is written by the batch (within a second)', async (t) => {
  const dir = freshDir();
  const ses = session.fromPath(dir);
  const file = path.join(dir, COOKIE_FILE);
  const expirationDate = Date.now() / 1000 + 3600;
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'flushed', value: '1', expirationDate });
  await ses.cookies.flushStore();
  t.deepEqual(readCookieFile(file)!.cookies.map((c) => c.key), ['flushed']);
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'batched', value: '2', expirationDate });
  await boundedStep(
    t,
    'the batched write',
    10_000,
    (async () => {
      while (!readCookieFile(file)!.cookies.some((c) => c.key === 'batched')) await new Promise((r) => setTimeout(r, 50));
    })(),
  );
  t.pass();
});

for (const [what, contents] of [
  ['garbage', 'not json at all \u0000'],
  ['a truncated file', '{"format":"curl-net cookies","version":1,"cookies":[{"key":"a","val'],
  ['a file of another format', '{"cookies":{}}'],
] as const) {
  test(`a store holding ${what} is moved aside with a warning and the session starts empty`, async (t) => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, COOKIE_FILE), contents);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const ses = session.fromPath(dir);
      t.deepEqual(await ses.cookies.get({}), []);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    const mine = warnings.filter((w) => w.message.includes(dir));
    t.is(mine.length, 1);
    t.is(mine[0].name, 'CurlNetWarning');
    const aside = fs.readdirSync(dir).filter((name) => name.startsWith(`${COOKIE_FILE}.corrupt-`));
    t.is(aside.length, 1);
    t.is(fs.readFileSync(path.join(dir, aside[0]), 'utf8'), contents);
    t.false(fs.existsSync(path.join(dir, COOKIE_FILE)));
  });
}

test('a second process opening the same storage path gets a clear error; a stale lock is taken over', async (t) => {
  const dir = freshDir();
  const holder = spawn(process.execPath, [CHILD, 'hold', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => holder.kill('SIGKILL'));
  await boundedStep(
    t,
    'the holder child',
    30_000,
    new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => (d.toString().includes('ready') ? resolve() : undefined));
      holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    }),
  );
  const error = t.throws(() => session.fromPath(dir));
  t.is(error?.message, `The storage path ${dir} is in use by another process (pid ${holder.pid}); two sessions cannot share one storage path`);
  // Killed, the holder leaves its lock behind: its process is gone, so the lock is stale.
  const exited = new Promise((resolve) => holder.on('exit', resolve));
  holder.kill('SIGKILL');
  await exited;
  t.true(fs.existsSync(path.join(dir, LOCK_FILE)));
  const ses = session.fromPath(dir);
  t.is(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'), String(process.pid));
  t.is(ses.storagePath, dir);
});

test('under constant churn the store is written at most once a second', async (t) => {
  const dir = freshDir();
  const ses = session.fromPath(dir);
  const file = path.join(dir, COOKIE_FILE);
  const expirationDate = Date.now() / 1000 + 3600;
  // Every write renames a new file over the old one: the (inode, mtime) pair changes. Sampled
  // after every change, so writes are counted (at worst undercounted between two samples).
  let writes = 0;
  let last = '';
  const started = Date.now();
  let changes = 0;
  await boundedStep(
    t,
    'the churn',
    20_000,
    (async () => {
      while (Date.now() - started < 2500) {
        await ses.cookies.set({ url: 'http://a.example.test/', name: 'c', value: String(changes++), expirationDate });
        try {
          const stat = fs.statSync(file);
          const now = `${stat.ino} ${stat.mtimeMs}`;
          if (now !== last) writes += 1;
          last = now;
        } catch {
          // Not written yet.
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })(),
  );
  const seconds = (Date.now() - started) / 1000;
  t.true(changes > 20, `only ${changes} changes`);
  t.true(writes >= 1, 'the batch wrote');
  // The first write may come at once; after it, one per second at most.
  t.true(writes <= Math.ceil(seconds) + 1, `${writes} writes in ${seconds} s for ${changes} changes`);
});
