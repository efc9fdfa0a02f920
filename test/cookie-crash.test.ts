// Crash consistency of a persistent session's cookie store: a child churns cookies (every turn
// of its event loop rewrites 20 cookies to a new generation, toggles one, and flushes now and
// then) and is killed with SIGKILL at a random moment, many times over one storage path. After
// every kill the store on disk must be one complete generation (never a mix, never unreadable),
// hold nothing older than what flushStore() had confirmed, hold no session cookie, and be what
// the next process restores (taking over the dead process's lock).
import test from 'ava';
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COOKIE_FILE, readCookieFile } from '../ts/cookies/cookie-file';
import { boundedStep } from './helpers/bounded';

const KILLS = 60;
const CHURN_COOKIES = 20; // test/fixtures/cookie-child.ts
const CHILD = path.join(__dirname, 'fixtures', 'cookie-child.js');

interface Snapshot {
  generation: number;
  /** name → value, as restored */
  cookies: Map<string, string>;
}

/** Checks that the file holds one whole generation; returns it (0 when there is no file yet). */
function checkedSnapshot(file: string): Snapshot {
  const contents = readCookieFile(file);
  if (contents === null) return { generation: 0, cookies: new Map() };
  const cookies = new Map(contents.cookies.map((c) => [c.key, c.value]));
  if (cookies.has('session_only')) throw new Error('a session cookie was written');
  const generation = Number(cookies.get('c0'));
  for (let i = 0; i < CHURN_COOKIES; i++) {
    if (cookies.get(`c${i}`) !== String(generation)) throw new Error(`mixed generations: c${i}=${cookies.get(`c${i}`)} but c0=${generation}`);
  }
  const odd = generation % 2 === 1;
  if (odd !== cookies.has('odd') || (odd && cookies.get('odd') !== String(generation))) throw new Error(`"odd" does not match generation ${generation}`);
  if (cookies.size !== CHURN_COOKIES + (odd ? 1 : 0)) throw new Error(`unexpected cookies: ${[...cookies.keys()].join()}`);
  return { generation, cookies };
}

interface Round {
  loaded: Array<[string, string, boolean]>;
  flushed: number;
}

/** Starts a churning child, kills it `delayMs` after it is ready, reports what it said. */
function killRound(dir: string, delayMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CHILD, 'churn', dir]);
    let loaded: Round['loaded'] | null = null;
    let flushed = 0;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('loaded ')) loaded = JSON.parse(line.slice('loaded '.length));
        else if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
        else if (line.startsWith('flushed ')) flushed = Math.max(flushed, Number(line.slice('flushed '.length)));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' || loaded === null) reject(new Error(`child ended with ${code ?? signal}: ${stderr}`));
      else resolve({ loaded, flushed });
    });
  });
}

test('SIGKILL at random moments during heavy cookie churn leaves a consistent store every time', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-crash-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, COOKIE_FILE);
  let previous: Snapshot = { generation: 0, cookies: new Map() };
  let rounds = 0;
  let highest = 0;
  await boundedStep(
    t,
    `${KILLS} kills`,
    240_000,
    (async () => {
      for (; rounds < KILLS; rounds++) {
        // Kill moments from "as soon as it is ready" to a few batched writes later.
        const delay = rounds % 6 === 0 ? 0 : Math.floor(Math.random() * 1500);
        const round = await killRound(dir, delay);
        // What this child restored is exactly what the last kill left on disk.
        t.deepEqual(
          new Map(round.loaded.map(([name, value, session]) => [name, `${value}${session ? ' (session)' : ''}`])),
          previous.cookies,
          `round ${rounds}: restored state`,
        );
        const now = checkedSnapshot(file);
        if (now.generation < round.flushed) throw new Error(`round ${rounds}: generation ${round.flushed} was flushed, the file holds ${now.generation}`);
        if (now.generation < previous.generation) throw new Error(`round ${rounds}: the store went back from ${previous.generation} to ${now.generation}`);
        previous = now;
        highest = Math.max(highest, now.generation);
      }
    })(),
  );
  t.is(rounds, KILLS);
  t.true(highest > 0, 'the churn got some generations to disk');
  t.log(`${KILLS} SIGKILLs, every store consistent; last generation on disk ${highest}`);
});
