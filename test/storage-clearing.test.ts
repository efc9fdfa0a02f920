// clearStorageData and clearData for what curl-net holds (cookies; the HTTP auth cache goes with
// clearData's cookies), with Electron's option handling: unknown storage names ignored, origin
// filters, origins/excludeOrigins.
import test from 'ava';
import { session, Session } from '../ts/index';

let partitions = 0;

async function seeded(): Promise<Session> {
  const ses = session.fromPartition(`clearing-${partitions++}`);
  await ses.cookies.set({ url: 'https://a.example.test/', name: 'a', value: '1' });
  await ses.cookies.set({ url: 'https://www.example.test/', name: 'wide', value: '1', domain: 'example.test' });
  await ses.cookies.set({ url: 'https://b.example.test/', name: 'b', value: '1' });
  await ses.cookies.set({ url: 'http://other.test/', name: 'o', value: '1', path: '/deep' });
  return ses;
}

const names = async (ses: Session) => (await ses.cookies.get({})).map((c) => c.name).sort();

test('clearStorageData() with no options removes every cookie, reported as explicit', async (t) => {
  const ses = await seeded();
  const causes: string[] = [];
  ses.cookies.on('changed', (_e, _c, cause: string, removed: boolean) => causes.push(`${cause}:${removed}`));
  await ses.clearStorageData();
  t.deepEqual(await names(ses), []);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(causes, ['explicit:true', 'explicit:true', 'explicit:true', 'explicit:true']);
});

test('clearStorageData({ storages }) clears cookies only when listed; unknown names are ignored', async (t) => {
  const ses = await seeded();
  await ses.clearStorageData({ storages: ['localstorage', 'indexdb', 'no-such-storage'] });
  t.is((await names(ses)).length, 4);
  await ses.clearStorageData({ storages: ['cookies', 'bogus'], quotas: ['temporary'] });
  t.deepEqual(await names(ses), []);
});

test('clearStorageData({ origin }) removes the cookies a request to that host would carry, any path', async (t) => {
  const ses = await seeded();
  await ses.clearStorageData({ origin: 'https://a.example.test' });
  t.deepEqual(await names(ses), ['b', 'o']);
  await ses.clearStorageData({ origin: 'http://other.test:8080', storages: ['cookies'] });
  t.deepEqual(await names(ses), ['b']);
  await ses.clearStorageData({ origin: 'not an origin' });
  t.deepEqual(await names(ses), ['b']);
});

test('clearData() removes cookies and the HTTP auth cache', async (t) => {
  const ses = await seeded();
  ses._authCache.add({ isProxy: false, protocol: 'https', scheme: 'basic', host: 'a.example.test', port: 443, realm: 'r', username: 'u', password: 'p' });
  await ses.clearData();
  t.deepEqual(await names(ses), []);
  t.is(ses._authCache.latestFor(false, 'https', 'a.example.test', 443), undefined);
});

test('clearData({ dataTypes }) without cookies leaves them', async (t) => {
  const ses = await seeded();
  await ses.clearData({ dataTypes: ['localStorage', 'cache'] });
  t.is((await names(ses)).length, 4);
  await ses.clearData({ dataTypes: ['cookies'] });
  t.deepEqual(await names(ses), []);
});

test('clearData({ origins }) and ({ excludeOrigins }) match cookies by site (registrable domain)', async (t) => {
  const ses = await seeded();
  await ses.clearData({ excludeOrigins: ['https://b.example.test'] });
  t.deepEqual(await names(ses), ['a', 'b', 'wide']);
  await ses.clearData({ origins: ['https://x.example.test'] });
  t.deepEqual(await names(ses), []);
});

test('clearData refuses origins and excludeOrigins together, and invalid origins', async (t) => {
  const ses = await seeded();
  await t.throwsAsync(ses.clearData({ origins: ['https://a.test'], excludeOrigins: ['https://b.test'] }), {
    message: "Cannot provide both 'origins' and 'excludeOrigins'",
  });
  await t.throwsAsync(ses.clearData({ origins: ['nope'] }), { message: "Invalid origin: 'nope'" });
  t.is((await names(ses)).length, 4);
});
