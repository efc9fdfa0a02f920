// The request-headers stage by itself: what each hop sends besides the application's headers.
import test from 'ava';
import { fromPartition } from '../../ts/session';
import { requestHeaders } from '../../ts/stages/request-headers';
import { harness } from '../helpers/stage-harness';

const names = (lines: string[]) => lines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase());

test('the application headers go out as spelled, plus User-Agent', async (t) => {
  const h = harness(requestHeaders, { url: 'http://example.test/', headers: { 'X-Thing': 'a' } });
  const draft = await h.prepare();
  t.true(draft.lines.includes('X-Thing: a'));
  t.true(draft.lines.some((l) => l.startsWith('User-Agent: ')));
  t.is(draft.acceptEncoding, 'gzip, deflate');
  t.false(names(draft.lines).includes('sec-fetch-site'), 'no Sec-Fetch-* on a plain http URL');
});

test('a session user agent and Accept-Language are used unless the request sets its own', async (t) => {
  const session = fromPartition('request-headers-ua');
  session.setUserAgent('UA/1', 'de-CH');
  const own = await harness(requestHeaders, { url: 'http://example.test/', headers: { 'User-Agent': 'Mine' } }, { session }).prepare();
  t.true(own.lines.includes('User-Agent: Mine'));
  t.false(own.lines.includes('User-Agent: UA/1'));
  const theirs = await harness(requestHeaders, 'http://example.test/', { session }).prepare();
  t.true(theirs.lines.includes('User-Agent: UA/1'));
  t.true(theirs.lines.some((l) => /^Accept-Language: de-CH/.test(l)));
});

test('https hops get Sec-Fetch-*, priority and a stream weight', async (t) => {
  const draft = await harness(requestHeaders, { url: 'https://example.test/', priority: 'highest' }).prepare();
  t.true(draft.lines.includes('Sec-Fetch-Site: none'));
  t.true(draft.lines.includes('Sec-Fetch-Mode: no-cors'));
  t.true(draft.lines.some((l) => l.startsWith('priority: u=0')));
  t.is(typeof draft.extras.streamWeight, 'number');
  t.regex(draft.acceptEncoding, /^gzip, deflate/);
});

test('Sec-Fetch-Site only gets less trusted over redirects', async (t) => {
  const h = harness(requestHeaders, { url: 'https://a.example.test/', origin: 'https://a.example.test' });
  t.true((await h.prepare()).lines.includes('Sec-Fetch-Site: same-origin'));
  const to = new URL('https://other.test/');
  h.state.url = to;
  h.stage.onRestart!({ kind: 'redirect', from: new URL('https://a.example.test/'), to, crossOrigin: true });
  t.true((await h.prepare()).lines.includes('Sec-Fetch-Site: cross-site'));
  const back = new URL('https://a.example.test/again');
  h.state.url = back;
  h.stage.onRestart!({ kind: 'redirect', from: to, to: back, crossOrigin: true });
  t.true((await h.prepare()).lines.includes('Sec-Fetch-Site: cross-site'), 'never more trusted again');
});

test('Origin is added to state-changing requests with an initiator', async (t) => {
  const post = await harness(requestHeaders, { url: 'http://example.test/', method: 'POST', origin: 'http://app.test' }).prepare();
  t.true(post.lines.includes('Origin: http://app.test'));
  const get = await harness(requestHeaders, { url: 'http://example.test/', origin: 'http://app.test' }).prepare();
  t.false(names(get.lines).includes('origin'));
});

test('the Referer follows the referrer policy on each hop', async (t) => {
  const h = harness(requestHeaders, { url: 'https://example.test/page', headers: { Referer: 'https://example.test/from?q=1' } });
  t.true((await h.prepare()).lines.includes('Referer: https://example.test/from?q=1'));
  h.state.url = new URL('https://elsewhere.test/');
  t.true((await h.prepare()).lines.includes('Referer: https://example.test/'), 'cross-origin: the origin only');
});
