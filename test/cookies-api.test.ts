// ses.cookies: Electron's Cookies class — get filters, set defaults and refusals (Electron's
// messages), remove, the 'changed' event with Chromium's causes, and Chromium's limits.
import test from 'ava';
import { session, Session } from '../ts/index';
import { LIMITS } from '../ts/cookies/cookie-store';

let partitions = 0;
const fresh = (): Session => session.fromPartition(`cookies-api-${partitions++}`);

interface Change {
  name: string;
  value: string;
  cause: string;
  removed: boolean;
}

/** Records 'changed' events; `settle()` waits for the ones already queued. */
function recordChanges(ses: Session): { changes: Change[]; settle(): Promise<void> } {
  const changes: Change[] = [];
  ses.cookies.on('changed', (event: { preventDefault(): void }, cookie: { name: string; value: string }, cause: string, removed: boolean) => {
    if (typeof event.preventDefault !== 'function') throw new Error('no event object');
    changes.push({ name: cookie.name, value: cookie.value, cause, removed });
  });
  return { changes, settle: () => new Promise((resolve) => setImmediate(resolve)) };
}

test('Session is an EventEmitter and cookies is an EventEmitter with get/set/remove/flushStore', (t) => {
  const ses = fresh();
  t.is(typeof ses.on, 'function');
  t.is(typeof ses.cookies.on, 'function');
  t.is(ses.cookies, ses.cookies);
  for (const method of ['get', 'set', 'remove', 'flushStore'] as const) t.is(typeof ses.cookies[method], 'function');
  t.is(ses.storagePath, null);
  t.is(ses.getStoragePath(), null);
});

test('set() defaults: host-only, path /, sameSite lax, session cookie; a domain gets its leading dot', async (t) => {
  const ses = fresh();
  await ses.cookies.set({ url: 'http://a.example.test/some/page', name: 'n', value: 'v' });
  const expirationDate = Math.floor(Date.now() / 1000) + 100 * 86400 + 0.5;
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'd', value: 'w', domain: 'example.test', path: '/p', httpOnly: true, expirationDate });
  const cookies = await ses.cookies.get({});
  // Longest path first, as Chromium lists them.
  t.deepEqual(cookies, [
    { name: 'n', value: 'v', domain: 'a.example.test', hostOnly: true, path: '/some', secure: false, httpOnly: false, session: true, sameSite: 'lax' },
    { name: 'd', value: 'w', domain: '.example.test', hostOnly: false, path: '/p', secure: false, httpOnly: true, session: false, expirationDate, sameSite: 'lax' },
  ]);
  t.deepEqual(Object.keys(cookies[1]), ['name', 'value', 'domain', 'hostOnly', 'path', 'secure', 'httpOnly', 'session', 'expirationDate', 'sameSite']);
});

test('set() maps sameSite both ways; no_restriction defaults to Secure', async (t) => {
  const ses = fresh();
  for (const sameSite of ['unspecified', 'no_restriction', 'lax', 'strict'] as const) {
    await ses.cookies.set({ url: 'https://a.example.test/', name: sameSite, value: '1', sameSite });
  }
  const got = await ses.cookies.get({});
  t.deepEqual(
    got.map((c) => [c.name, c.sameSite, c.secure]),
    [
      ['unspecified', 'unspecified', false],
      ['no_restriction', 'no_restriction', true],
      ['lax', 'lax', false],
      ['strict', 'strict', false],
    ],
  );
});

test('set() refusals carry Electron messages', async (t) => {
  const ses = fresh();
  const set = (details: object) => ses.cookies.set(details as never);
  await t.throwsAsync(set({ name: 'a', value: 'b' }), { message: "Missing required option 'url'" });
  await t.throwsAsync(set({ url: 'http://a.test/', name: 'a', sameSite: 'sideways' }), {
    message: "Failed to convert 'sideways' to an appropriate cookie same site value",
  });
  const invalidDomain = 'Failed to set cookie - The cookie was set with an invalid Domain attribute.';
  await t.throwsAsync(set({ url: 'not a url', name: 'a' }), { message: invalidDomain });
  await t.throwsAsync(set({ url: 'http://a.example.test/', name: 'a', domain: 'other.test' }), { message: invalidDomain });
  await t.throwsAsync(set({ url: 'http://a.example.co.uk/', name: 'a', domain: 'co.uk' }), { message: invalidDomain });
  await t.throwsAsync(set({ url: 'http://a.example.test/', name: 'a\u0001b', value: '1' }), { message: 'Failed to set cookie - The cookie contains ASCII control characters' });
  await t.throwsAsync(set({ url: 'http://a.example.test/', name: 'a', secure: true }), { message: /^Failed to set cookie - The cookie was Secure/ });
  await t.throwsAsync(set({ url: 'https://a.example.test/', name: '__Host-a', value: '1', domain: 'example.test', secure: true }), {
    message: 'Failed to set cookie - The cookie was set with an invalid prefix.',
  });
  await t.throwsAsync(set({ url: 'file:///etc/passwd', name: 'a' }), { message: /^Failed to set cookie - .*scheme that is not cookieable/ });
  await t.throwsAsync(set({ url: 'http://a.example.test/', name: 'big', value: 'x'.repeat(LIMITS.nameValueBytes) }), { message: /^Failed to set cookie - The cookie was too large/ });
  t.deepEqual(await ses.cookies.get({}), []);
});

test('get() filters: url (path, Secure, HttpOnly included), name, domain (subdomains too), path, secure, session, httpOnly', async (t) => {
  const ses = fresh();
  const far = Date.now() / 1000 + 3600;
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'root', value: '1', expirationDate: far });
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'deep', value: '2', path: '/app' });
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'sec', value: '3', secure: true, httpOnly: true });
  await ses.cookies.set({ url: 'https://b.example.test/', name: 'wide', value: '4', domain: 'example.test' });
  const names = async (filter: object) => (await ses.cookies.get(filter)).map((c) => c.name);
  t.deepEqual(await names({ url: 'https://a.example.test/app/x' }), ['deep', 'root', 'sec', 'wide']);
  t.deepEqual(await names({ url: 'http://a.example.test/' }), ['root', 'wide']);
  t.deepEqual(await names({ name: 'deep' }), ['deep']);
  t.deepEqual(await names({ domain: 'example.test' }), ['deep', 'root', 'sec', 'wide']);
  t.deepEqual(await names({ domain: 'a.example.test' }), ['deep', 'root', 'sec']);
  t.deepEqual(await names({ domain: '.b.example.test' }), []);
  t.deepEqual(await names({ path: '/app' }), ['deep']);
  t.deepEqual(await names({ secure: true }), ['sec']);
  t.deepEqual(await names({ session: false }), ['root']);
  t.deepEqual(await names({ httpOnly: true }), ['sec']);
  t.deepEqual(await names({ url: 'https://a.example.test/', name: 'root', session: false }), ['root']);
});

test('remove(url, name) removes what that URL sees under that name, and resolves when nothing matches', async (t) => {
  const ses = fresh();
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'x', value: '1' });
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'y', value: '2' });
  await ses.cookies.set({ url: 'http://b.example.test/', name: 'x', value: '3' });
  await ses.cookies.remove('http://a.example.test/', 'x');
  await ses.cookies.remove('http://a.example.test/', 'nothing');
  await ses.cookies.remove('not a url', 'x');
  t.deepEqual((await ses.cookies.get({})).map((c) => `${c.domain}:${c.name}`), ['a.example.test:y', 'b.example.test:x']);
});

test("'changed': inserted, overwrite + inserted-no-change-overwrite / inserted-no-value-change-overwrite, explicit", async (t) => {
  const ses = fresh();
  const { changes, settle } = recordChanges(ses);
  const url = 'http://a.example.test/';
  await ses.cookies.set({ url, name: 'c', value: '1' });
  await ses.cookies.set({ url, name: 'c', value: '1' });
  await ses.cookies.set({ url, name: 'c', value: '1', httpOnly: true });
  await ses.cookies.set({ url, name: 'c', value: '2', httpOnly: true });
  await ses.cookies.remove(url, 'c');
  await settle();
  t.deepEqual(changes, [
    { name: 'c', value: '1', cause: 'inserted', removed: false },
    { name: 'c', value: '1', cause: 'overwrite', removed: true },
    { name: 'c', value: '1', cause: 'inserted-no-change-overwrite', removed: false },
    { name: 'c', value: '1', cause: 'overwrite', removed: true },
    { name: 'c', value: '1', cause: 'inserted-no-value-change-overwrite', removed: false },
    { name: 'c', value: '1', cause: 'overwrite', removed: true },
    { name: 'c', value: '2', cause: 'inserted', removed: false },
    { name: 'c', value: '2', cause: 'explicit', removed: true },
  ]);
});

test("'changed': an already-expired cookie deletes its equivalent (expired-overwrite) and is not stored", async (t) => {
  const ses = fresh();
  const { changes, settle } = recordChanges(ses);
  const url = 'http://a.example.test/';
  await ses.cookies.set({ url, name: 'c', value: '1' });
  await ses.cookies.set({ url, name: 'c', value: 'gone', expirationDate: 0 });
  await ses.cookies.set({ url, name: 'never', value: 'x', expirationDate: 1 });
  await settle();
  t.deepEqual(changes, [
    { name: 'c', value: '1', cause: 'inserted', removed: false },
    { name: 'c', value: '1', cause: 'expired-overwrite', removed: true },
  ]);
  t.deepEqual(await ses.cookies.get({}), []);
});

test("'changed': a cookie found expired is removed with cause expired", async (t) => {
  const ses = fresh();
  const { changes, settle } = recordChanges(ses);
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'short', value: '1', expirationDate: Date.now() / 1000 + 0.05 });
  await new Promise((resolve) => setTimeout(resolve, 120));
  t.deepEqual(await ses.cookies.get({}), []);
  await settle();
  t.deepEqual(changes.map((c) => c.cause), ['inserted', 'expired']);
});

test("'changed' is asynchronous: a listener never runs inside set()", async (t) => {
  const ses = fresh();
  let ran = false;
  ses.cookies.on('changed', () => (ran = true));
  const pending = ses.cookies.set({ url: 'http://a.example.test/', name: 'a', value: '1' });
  t.false(ran);
  await pending;
  await new Promise((resolve) => setImmediate(resolve));
  t.true(ran);
});

test('expiry is capped at 400 days', async (t) => {
  const ses = fresh();
  await ses.cookies.set({ url: 'http://a.example.test/', name: 'forever', value: '1', expirationDate: Date.now() / 1000 + 10 * 365 * 86400 });
  const [cookie] = await ses.cookies.get({});
  t.true(cookie.expirationDate! <= Date.now() / 1000 + 400 * 86400 + 1);
  t.true(cookie.expirationDate! > Date.now() / 1000 + 399 * 86400);
});

test('past 180 cookies for one site, the least recently used go (non-Secure first) down to 150, reported as evicted', async (t) => {
  const ses = fresh();
  const { changes, settle } = recordChanges(ses);
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'secure-old', value: '1', secure: true });
  for (let i = 0; i < LIMITS.perSite - 1; i++) await ses.cookies.set({ url: `https://h${i % 7}.example.test/`, name: `c${i}`, value: '1' });
  await ses.cookies.set({ url: 'https://other.test/', name: 'elsewhere', value: '1' });
  t.is((await ses.cookies.get({ domain: 'example.test' })).length, LIMITS.perSite);
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'one-more', value: '1' });
  await settle();
  const evicted = changes.filter((c) => c.cause === 'evicted').map((c) => c.name);
  t.is(evicted.length, LIMITS.perSite + 1 - LIMITS.perSiteAfterPurge);
  t.deepEqual(evicted.slice(0, 3), ['c0', 'c1', 'c2'], 'oldest first');
  t.false(evicted.includes('secure-old'), 'non-Secure cookies go before Secure ones');
  const left = (await ses.cookies.get({})).map((c) => c.name);
  t.is(left.length, LIMITS.perSiteAfterPurge + 1);
  t.true(left.includes('elsewhere') && left.includes('one-more') && left.includes('secure-old'));
});

test('past 3300 cookies in all, the least recently used go down to 3000', async (t) => {
  const ses = fresh();
  const { changes, settle } = recordChanges(ses);
  for (let i = 0; i <= LIMITS.total; i++) await ses.cookies.set({ url: `http://s${i % 40}.test${Math.floor(i / 40)}.example/`, name: `c${i}`, value: '1' });
  await settle();
  t.is((await ses.cookies.get({})).length, LIMITS.totalAfterPurge);
  t.is(changes.filter((c) => c.cause === 'evicted').length, LIMITS.total + 1 - LIMITS.totalAfterPurge);
  t.is(changes.find((c) => c.cause === 'evicted')?.name, 'c0');
});

test('flushStore() resolves for an in-memory session', async (t) => {
  await t.notThrowsAsync(fresh().cookies.flushStore());
});
