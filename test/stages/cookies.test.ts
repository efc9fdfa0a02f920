// The cookies stage by itself: Electron's credentials matrix row by row, the Cookie header per
// hop, Set-Cookie from every head, and SameSite decided from the initiator and the redirect
// chain. A real Session and cookie store; no server.
import test from 'ava';
import type { ClientRequestConstructorOptions } from '../../ts/request-options';
import { cookies } from '../../ts/stages/cookies';
import { harness, head } from '../helpers/stage-harness';

type Options = ClientRequestConstructorOptions;

/** A stage for `options` whose session already holds `stored` (Set-Cookie lines for its URL). */
async function withStored(options: Options, stored: Array<[url: string, setCookie: string]>) {
  const h = harness(cookies, options);
  for (const [url, line] of stored) h.session._storage.store.storeFromResponse(line, new URL(url), 'strict');
  return h;
}

async function cookieLine(options: Options, stored: Array<[string, string]>): Promise<string | undefined> {
  const h = await withStored(options, stored);
  const draft = await h.prepare();
  return draft.lines.find((l) => /^cookie:/i.test(l));
}

/** Whether a Set-Cookie in a response to the request's URL is stored. */
function stores(options: Options, setCookie = 'fresh=1'): boolean {
  const h = harness(cookies, options);
  t_onHead(h, setCookie);
  return h.session._storage.store.size === 1;
}

function t_onHead(h: ReturnType<typeof harness>, setCookie: string, status = 200): unknown {
  return h.stage.onHead?.(head(status, ['Set-Cookie', setCookie]));
}

const URL_A = 'http://a.example.test/';
const STORED: Array<[string, string]> = [[URL_A, 'k=v']];

// ---- the credentials matrix (electron-net-behaviour.md §3.1) -------------------------------

test('matrix: default (no credentials, no useSessionCookies) neither sends nor stores', async (t) => {
  t.is(await cookieLine({ url: URL_A }, STORED), undefined);
  t.false(stores({ url: URL_A }));
});

test('matrix: useSessionCookies: true sends and stores', async (t) => {
  t.is(await cookieLine({ url: URL_A, useSessionCookies: true }, STORED), 'Cookie: k=v');
  t.true(stores({ url: URL_A, useSessionCookies: true }));
});

test('matrix: credentials include sends and stores, whatever useSessionCookies says', async (t) => {
  t.is(await cookieLine({ url: URL_A, credentials: 'include' }, STORED), 'Cookie: k=v');
  t.is(await cookieLine({ url: URL_A, credentials: 'include', useSessionCookies: false }, STORED), 'Cookie: k=v');
  t.true(stores({ url: URL_A, credentials: 'include', useSessionCookies: false }));
});

test('matrix: credentials omit neither sends nor stores, even with useSessionCookies', async (t) => {
  t.is(await cookieLine({ url: URL_A, credentials: 'omit', useSessionCookies: true }, STORED), undefined);
  t.false(stores({ url: URL_A, credentials: 'omit', useSessionCookies: true }));
});

test('matrix: same-origin sends and stores when the URL has the origin of `origin`', async (t) => {
  const options: Options = { url: URL_A, credentials: 'same-origin', origin: 'http://a.example.test' };
  t.is(await cookieLine(options, STORED), 'Cookie: k=v');
  t.true(stores(options));
});

test('matrix: same-origin neither sends nor stores for another origin (even a same-site one)', async (t) => {
  const options: Options = { url: URL_A, credentials: 'same-origin', origin: 'http://b.example.test' };
  t.is(await cookieLine(options, STORED), undefined);
  t.false(stores(options));
});

test('matrix: same-origin is decided per hop: a redirect to another origin carries no cookies', async (t) => {
  const h = await withStored({ url: URL_A, credentials: 'same-origin', origin: 'http://a.example.test' }, [
    [URL_A, 'k=v'],
    ['http://c.example.test/', 'other=1'],
  ]);
  const to = new URL('http://c.example.test/');
  h.stage.onRestart!({ kind: 'redirect', from: h.state.url, to, crossOrigin: true });
  h.state.url = to;
  t.is((await h.prepare()).lines.length, 0);
});

test('matrix: default mode leaves an explicit Cookie header alone', async (t) => {
  const h = await withStored({ url: URL_A, headers: { Cookie: 'mine=1' } }, STORED);
  const draft = h.draft();
  draft.lines.push('Cookie: mine=1');
  h.stage.beforeHop?.(draft);
  t.deepEqual(draft.lines, ['Cookie: mine=1']);
  t.is(h.stage.beforeHop, undefined, 'a request that uses no cookies pays for no stage');
});

test('include mode: stored cookies replace an explicit Cookie header; with none stored it goes as is', async (t) => {
  const h = await withStored({ url: URL_A, credentials: 'include', headers: { cookie: 'mine=1' } }, STORED);
  const draft = h.draft();
  draft.lines.push('X-Other: 1', 'cookie: mine=1');
  h.stage.beforeHop!(draft);
  t.deepEqual(draft.lines, ['X-Other: 1', 'Cookie: k=v']);

  const empty = harness(cookies, { url: URL_A, credentials: 'include' });
  const kept = empty.draft();
  kept.lines.push('Cookie: mine=1');
  empty.stage.beforeHop!(kept);
  t.deepEqual(kept.lines, ['Cookie: mine=1']);
});

// ---- Set-Cookie from every head ----------------------------------------------------------

test('Set-Cookie is stored from a redirect and from a 401, and the stage leaves the decision to others', (t) => {
  const h = harness(cookies, { url: URL_A, credentials: 'include' });
  t.is(h.stage.onHead!(head(302, ['Location', '/next', 'Set-Cookie', 'r=1'])), undefined);
  t.is(h.stage.onHead!(head(401, ['WWW-Authenticate', 'Basic realm="x"', 'set-cookie', 'u=2', 'SET-COOKIE', 'w=3'])), undefined);
  t.deepEqual(
    h.session._storage.store.all().map((c) => `${c.key}=${c.value}`),
    ['r=1', 'u=2', 'w=3'],
  );
});

test("a proxy's 407 sets no cookie for the origin", (t) => {
  const h = harness(cookies, { url: URL_A, credentials: 'include' });
  t.is(h.stage.onHead!(head(407, ['Proxy-Authenticate', 'Basic realm="p"', 'Set-Cookie', 'injected=1'])), undefined);
  t.is(h.session._storage.store.size, 0);
});

test('each hop carries the cookies of its own URL, longest path first', async (t) => {
  const h = await withStored({ url: 'http://a.example.test/app/page', credentials: 'include' }, [
    ['http://a.example.test/', 'root=1'],
    ['http://a.example.test/app/x', 'deep=2; Path=/app'],
    ['http://b.example.test/', 'elsewhere=3'],
    ['http://a.example.test/', 'wide=4; Domain=example.test'],
  ]);
  t.deepEqual((await h.prepare()).lines, ['Cookie: deep=2; root=1; wide=4']);
  const to = new URL('http://b.example.test/');
  h.stage.onRestart!({ kind: 'redirect', from: h.state.url, to, crossOrigin: true });
  h.state.url = to;
  t.deepEqual((await h.prepare()).lines, ['Cookie: elsewhere=3; wide=4']);
});

test('HttpOnly cookies are sent; Secure ones only to trustworthy URLs (https, localhost, 127/8)', async (t) => {
  const stored: Array<[string, string]> = [
    ['https://a.example.test/', 'h=1; HttpOnly'],
    ['https://a.example.test/', 's=2; Secure'],
    ['http://127.0.0.1/', 'local=3; Secure'],
  ];
  t.is(await cookieLine({ url: 'http://a.example.test/', credentials: 'include' }, stored), 'Cookie: h=1');
  t.is(await cookieLine({ url: 'https://a.example.test/', credentials: 'include' }, stored), 'Cookie: h=1; s=2');
  t.is(await cookieLine({ url: 'http://127.0.0.1:8080/', credentials: 'include' }, stored), 'Cookie: local=3');
});

// ---- SameSite ----------------------------------------------------------------------------

const SAME_SITE_MIX: Array<[string, string]> = [
  ['https://a.example.test/', 'strict=1; SameSite=Strict'],
  ['https://a.example.test/', 'lax=2; SameSite=Lax'],
  ['https://a.example.test/', 'none=3; SameSite=None; Secure'],
  ['https://a.example.test/', 'plain=4'],
];

test('without an initiator a request is same-site: every SameSite value is sent', async (t) => {
  t.is(await cookieLine({ url: 'https://a.example.test/', credentials: 'include' }, SAME_SITE_MIX), 'Cookie: strict=1; lax=2; none=3; plain=4');
});

test('a same-site initiator on another origin still gets Strict cookies', async (t) => {
  t.is(
    await cookieLine({ url: 'https://a.example.test/', credentials: 'include', origin: 'https://www.example.test' }, SAME_SITE_MIX),
    'Cookie: strict=1; lax=2; none=3; plain=4',
  );
});

test('a cross-site initiator gets only SameSite=None (no attribute counts as Lax)', async (t) => {
  t.is(await cookieLine({ url: 'https://a.example.test/', credentials: 'include', origin: 'https://elsewhere.test' }, SAME_SITE_MIX), 'Cookie: none=3');
  // The initiator may come from an Origin header too; "null" is an opaque, cross-site origin.
  t.is(await cookieLine({ url: 'https://a.example.test/', credentials: 'include', headers: { Origin: 'null' } }, SAME_SITE_MIX), 'Cookie: none=3');
  // Schemeful: http and https of one host are different sites.
  t.is(await cookieLine({ url: 'https://a.example.test/', credentials: 'include', origin: 'http://a.example.test' }, SAME_SITE_MIX), 'Cookie: none=3');
});

test('after a cross-site redirect only SameSite=None cookies go, also back on the first site', async (t) => {
  const h = await withStored({ url: 'https://a.example.test/', credentials: 'include' }, [
    ...SAME_SITE_MIX,
    ['https://other.test/', 'o_lax=1; SameSite=Lax'],
    ['https://other.test/', 'o_none=2; SameSite=None; Secure'],
  ]);
  const away = new URL('https://other.test/');
  h.stage.onRestart!({ kind: 'redirect', from: h.state.url, to: away, crossOrigin: true });
  h.state.url = away;
  t.deepEqual((await h.prepare()).lines, ['Cookie: o_none=2']);
  const back = new URL('https://a.example.test/back');
  h.stage.onRestart!({ kind: 'redirect', from: away, to: back, crossOrigin: true });
  h.state.url = back;
  t.deepEqual((await h.prepare()).lines, ['Cookie: none=3']);
});

test('a same-site redirect keeps Strict cookies', async (t) => {
  const h = await withStored({ url: 'https://a.example.test/', credentials: 'include' }, SAME_SITE_MIX);
  const to = new URL('https://www.example.test/');
  h.stage.onRestart!({ kind: 'redirect', from: h.state.url, to, crossOrigin: true });
  h.state.url = to;
  t.deepEqual((await h.prepare()).lines, []); // host-only cookies of a.example.test
  h.session._storage.store.storeFromResponse('d=1; Domain=example.test; SameSite=Strict', new URL('https://a.example.test/'), 'strict');
  t.deepEqual((await h.prepare()).lines, ['Cookie: d=1']);
});

test('in a cross-site context Set-Cookie stores only SameSite=None cookies', (t) => {
  const h = harness(cookies, { url: 'https://a.example.test/', credentials: 'include', origin: 'https://elsewhere.test' });
  for (const line of ['s=1; SameSite=Strict', 'l=2; SameSite=Lax', 'p=3', 'n=4; SameSite=None; Secure']) t_onHead(h, line);
  t.deepEqual(h.session._storage.store.all().map((c) => c.key), ['n']);
});

// ---- RFC 6265bis refusals on Set-Cookie --------------------------------------------------

test('Set-Cookie refusals: public suffix, foreign domain, prefixes, Secure over http, SameSite=None without Secure, oversize', (t) => {
  const h = harness(cookies, { url: 'http://a.example.co.uk/', credentials: 'include' });
  for (const line of [
    'ps=1; Domain=co.uk',
    'foreign=1; Domain=other.test',
    '__Host-x=1; Secure; Path=/',
    '__Secure-y=1',
    'sec=1; Secure',
    'n=1; SameSite=None',
    `big=${'x'.repeat(4094)}`,
  ]) {
    t_onHead(h, line);
  }
  t.is(h.session._storage.store.size, 0);
  t_onHead(h, 'ok=1; Domain=example.co.uk');
  t_onHead(h, `fits=${'x'.repeat(4092)}`);
  t.deepEqual(h.session._storage.store.all().map((c) => c.key), ['ok', 'fits']);
});

test('__Host- and __Secure- cookies are accepted when their rules are met', (t) => {
  const h = harness(cookies, { url: 'https://a.example.test/', credentials: 'include' });
  t_onHead(h, '__Host-a=1; Secure; Path=/');
  t_onHead(h, '__Host-b=1; Secure; Path=/; Domain=example.test');
  t_onHead(h, '__Secure-c=1; Secure; Domain=example.test');
  t.deepEqual(h.session._storage.store.all().map((c) => c.key), ['__Host-a', '__Secure-c']);
});

test('the Cookie header follows every change to the store and every expiry, though it is remembered between them', async (t) => {
  const h = await withStored({ url: URL_A, credentials: 'include' }, [[URL_A, 'k=v']]);
  const line = async () => (await h.prepare()).lines.join();
  t.is(await line(), 'Cookie: k=v');
  t.is(await line(), 'Cookie: k=v');
  const store = h.session._storage.store;
  store.storeFromResponse('soon=1; Max-Age=1', new URL(URL_A), 'strict');
  t.is(await line(), 'Cookie: k=v; soon=1');
  await h.session.cookies.set({ url: URL_A, name: 'k', value: 'changed' });
  t.is(await line(), 'Cookie: k=changed; soon=1', 'an overwrite keeps its creation time (and place), as in Chromium');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.is(await line(), 'Cookie: k=changed', 'the expired cookie is not sent from the remembered header');
  await h.session.cookies.remove(URL_A, 'k');
  t.deepEqual((await h.prepare()).lines, []);
});

test('an insecure URL cannot shadow a Secure cookie of the same name (RFC 6265bis "leave secure cookies alone")', async (t) => {
  const h = harness(cookies, { url: 'http://a.example.test/', credentials: 'include' });
  const store = h.session._storage.store;
  store.storeFromResponse('s=good; Secure; Domain=example.test', new URL('https://www.example.test/'), 'strict');
  t_onHead(h, 's=evil');
  t_onHead(h, 's=evil; Path=/sub');
  t_onHead(h, 'other=fine');
  t.deepEqual(store.all().map((c) => `${c.key}=${c.value}`), ['s=good', 'other=fine']);
  await t.throwsAsync(h.session.cookies.set({ url: 'http://a.example.test/', name: 's', value: 'evil' }), {
    message: 'Failed to set cookie - The cookie was not set because it would have overwritten a Secure cookie from an insecure context.',
  });
  // Over https (or a local URL) the cookie may be replaced.
  store.storeFromResponse('s=new; Domain=example.test', new URL('https://a.example.test/'), 'strict');
  t.deepEqual(store.all().map((c) => `${c.key}=${c.value}:${c.secure}`), ['s=new:false', 'other=fine:false']);
});
