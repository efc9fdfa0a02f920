// The benchmark cells: scenario x concurrency (x mode). Each cell lists the clients that run in it.
import { SIZES } from './servers.mjs';

const NODE_H1 = [
  { client: 'curl-net-request' },
  { client: 'curl-net-fetch' },
  { client: 'undici-request' },
  { client: 'undici-fetch' },
  { client: 'node-http' },
];

// What `npm install` gives users: the prebuilt addon with its own static libcurl, next to the same
// C loop linked against that libcurl (the pair is left out when no prebuild has been made).
const PREBUILT = 'curl-net net.request, prebuilt (bundled libcurl)';
const BUNDLED = [
  { client: 'curl-net-request', variant: 'bundled' },
  { client: 'c-multiloop', variant: 'bundled' },
];

// The JS-thread cost of the webRequest stages: the same adapter with one onBeforeSendHeaders
// listener that answers at once (lib/curl-net-session.mjs).
const WEBREQUEST_HOOK = { client: 'curl-net-request', variant: 'webrequest' };
// The C loop sending the header lines curl-net sends (captured by the round's probe): how much
// of the curl thread's cost above the plain C loop is the request itself.
const C_LOOP_SAME_REQUEST = { client: 'c-multiloop', variant: 'curl-net-headers' };

const NODE_H2 = [
  { client: 'curl-net-request' },
  { client: 'curl-net-fetch' },
  { client: 'undici-request', variant: 'conns' },
  { client: 'undici-request', variant: 'streams' },
  { client: 'undici-fetch', variant: 'streams' },
  { client: 'node-http2' },
];

export function clientLabel(c) {
  const names = {
    'curl-net-request': 'curl-net net.request',
    'curl-net-fetch': 'curl-net net.fetch',
    'undici-request': 'undici.request',
    'undici-fetch': 'undici fetch',
    'node-http': 'node:http keep-alive',
    'node-http2': 'node:http2 (1 session)',
    'c-multiloop': 'C libcurl multi loop',
    'curl-cli': 'curl CLI',
    wrk: 'wrk',
    h2load: 'h2load',
  };
  let label = names[c.client] ?? c.client;
  if (c.variant === 'conns') label += ' h2, c conns × 1 stream';
  if (c.variant === 'streams') label += ' h2, 1 conn × c streams';
  if (c.variant === 'fresh') label = 'node:https, Connection: close';
  if (c.variant === 'proxy') label = 'node:https via CONNECT tunnel agent';
  if (c.variant === 'buf16k') label += ' (16 KiB buffer)';
  if (c.variant === 'buf512k') label += ' (512 KiB buffer)';
  if (c.variant === 'curl-net-headers') label += ", curl-net's request headers";
  if (c.variant === 'webrequest') label += ', one onBeforeSendHeaders listener';
  if (c.variant === 'cookies0') label += ', useSessionCookies, empty store';
  if (c.variant === 'cookies50') label += ', useSessionCookies, 50 cookies sent';
  if (c.variant === 'bundled') label += c.client === 'c-multiloop' ? ' (bundled libcurl)' : ', prebuilt (bundled libcurl)';
  return label;
}

/**
 * cfg: { quick, modes: ['pinned','unpinned'] }. urls/ca/uploadFile from the servers.
 * Returns cells: { id, scenario, title, c, mode, unit, op, url, expectBytes, uploadBytes, h2, fresh,
 *                  proxy, servers, n, warmup, durationS, clients: [{client, variant}] }
 */
export function buildCells(cfg, srv) {
  const q = cfg.quick;
  const small = { n: q ? 5000 : 50000, warmup: q ? 500 : 5000, durationS: q ? 3 : 10, timeoutS: q ? 30 : 60 };
  const cells = [];
  const add = (cell, modes = ['pinned']) => {
    for (const mode of modes) {
      if (!cfg.modes.includes(mode)) continue;
      cells.push({ ...cell, mode, key: `${cell.id}|${mode}` });
    }
  };
  const keyModes = ['pinned', 'unpinned'];
  const only = (list) => cfg.only == null || cfg.only.some((s) => list.includes(s));
  // A name that selects nothing is a typo (a cell id such as dl-1g instead of dl), not an
  // empty selection: say so rather than silently running less.
  const unknown = (cfg.only ?? []).filter((s) => !SCENARIO_NAMES.includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIO_NAMES.join(', ')}`);

  // S1: many small GETs over HTTP/1.1 keep-alive, 12 B and 64 KiB bodies.
  for (const [body, path, bytes] of [['12b', '/hello', SIZES.small], ['64k', '/64k', SIZES.k64]]) {
    if (!only([`h1-${body}`, 'h1'])) continue;
    for (const c of [1, 16, 64, 256]) {
      add({
        id: `h1-${body}-c${c}`, scenario: `h1-${body}`, title: `HTTP/1.1 GET, ${body === '12b' ? '12 B' : '64 KiB'} body, c=${c}`,
        c, unit: 'rps', op: 'get', url: `${srv.urls.h1}${path}`, expectBytes: bytes, servers: ['nginx'], ...small,
        clients: [...NODE_H1, { client: 'c-multiloop' }, { client: 'curl-cli' }, { client: 'wrk' }, ...(c === 64 && body === '12b' ? [...BUNDLED, WEBREQUEST_HOOK, C_LOOP_SAME_REQUEST] : c === 64 ? [...BUNDLED, WEBREQUEST_HOOK] : [])],
      }, c === 64 ? keyModes : ['pinned']);
    }
  }

  // S2: HTTP/2 over TLS, one connection, N streams.
  if (only(['h2'])) {
    for (const c of [16, 64, 256]) {
      add({
        id: `h2-12b-s${c}`, scenario: 'h2-12b', title: `HTTP/2 over TLS GET, 12 B body, ${c} streams`,
        c, unit: 'rps', op: 'get', url: `${srv.urls.h2}/hello`, expectBytes: SIZES.small, h2: true, servers: ['nginx'], ...small,
        clients: [...NODE_H2, { client: 'c-multiloop' }, { client: 'curl-cli' }, { client: 'h2load' }, ...(c === 64 ? BUNDLED : [])],
      }, c === 64 ? keyModes : ['pinned']);
    }
  }

  // S3: 1 GiB download, one transfer at a time.
  if (only(['dl'])) {
    add({
      id: 'dl-1g', scenario: 'dl-1g', title: '1 GiB download (HTTP/1.1, sendfile), one transfer',
      c: 1, unit: 'mib', op: 'get', url: `${srv.urls.h1}/1g`, expectBytes: SIZES.g1, servers: ['nginx'],
      n: q ? 2 : 5, warmup: 1, durationS: 0, timeoutS: 120, stallS: 60,
      clients: [...NODE_H1, { client: 'c-multiloop', variant: 'buf512k' }, { client: 'c-multiloop', variant: 'buf16k' }, { client: 'curl-cli' }, ...BUNDLED],
    }, keyModes);
  }

  // S4: 100 MiB chunked upload to the Node sink.
  if (only(['ul'])) {
    add({
      id: 'ul-100m', scenario: 'ul-100m', title: '100 MiB chunked upload (64 KiB chunks) to the Node sink',
      c: 1, unit: 'mib', op: 'upload', url: `${srv.urls.sink}/upload`, uploadBytes: SIZES.upload, chunk: 65536, servers: ['sink'],
      n: q ? 3 : 10, warmup: 1, durationS: 0, timeoutS: 90, stallS: 30,
      clients: [...NODE_H1, { client: 'c-multiloop' }, { client: 'curl-cli' }, ...BUNDLED],
    }, keyModes);
  }

  // S5: new TLS connections per second, full handshake (no resumption on either side).
  if (only(['tls'])) {
    for (const [alg, url] of [['ecdsa', srv.urls.tlsEcdsa], ['rsa', srv.urls.tlsRsa]]) {
      add({
        id: `tls-${alg}-c16`, scenario: `tls-${alg}`, title: `New TLS connection per request (full handshake, ${alg === 'ecdsa' ? 'ECDSA P-256' : 'RSA-2048'}), c=16`,
        c: 16, unit: 'rps', op: 'get', url: `${url}/hello`, expectBytes: SIZES.small, fresh: true, servers: ['nginx'],
        n: q ? 1000 : 5000, warmup: q ? 50 : 200, durationS: q ? 3 : 10, timeoutS: q ? 30 : 60,
        clients: [{ client: 'curl-net-request' }, { client: 'undici-request' }, { client: 'node-http', variant: 'fresh' }, { client: 'c-multiloop' }, { client: 'curl-cli' }],
      });
    }
  }

  // S6: HTTPS through a CONNECT proxy, keep-alive tunnels, c=16.
  if (only(['proxy'])) {
    add({
      id: 'proxy-c16', scenario: 'proxy', title: `HTTPS GET through a CONNECT proxy (${srv.proxyKind}), 12 B body, c=16`,
      c: 16, unit: 'rps', op: 'get', url: `${srv.urls.tlsEcdsa}/hello`, expectBytes: SIZES.small, proxy: srv.urls.proxy, servers: ['nginx', 'proxy'],
      n: q ? 3000 : 20000, warmup: q ? 200 : 1000, durationS: q ? 3 : 10, timeoutS: q ? 30 : 60,
      clients: [{ client: 'curl-net-request' }, { client: 'undici-request' }, { client: 'node-http', variant: 'proxy' }, { client: 'c-multiloop' }, { client: 'curl-cli' }],
    });
  }

  // S7: event-loop delay of the JS thread while 64 downloads (16 MiB each) run.
  if (only(['eld'])) {
    add({
      id: 'eld-64dl', scenario: 'eld', title: 'Event-loop delay while 64 downloads run (64 × 16 MiB in flight, HTTP/1.1)',
      c: 64, unit: 'mib', op: 'get', url: `${srv.urls.h1}/16m`, expectBytes: SIZES.m16, servers: ['nginx'],
      n: q ? 128 : 256, warmup: 64, durationS: 0, timeoutS: 120, stallS: 30,
      clients: [...NODE_H1, { client: 'c-multiloop', variant: 'buf512k' }],
    }, keyModes);
  }
  // S8: what cookies cost the JS thread: the h1 12 B c=64 cell with the cookie stage on
  // (useSessionCookies) and an empty store, and with 50 cookies for the URL in the store.
  if (only(['cookies'])) {
    add({
      id: 'cookies-h1-12b-c64', scenario: 'cookies', title: 'HTTP/1.1 GET, 12 B body, c=64: no cookies vs 50 cookies per request',
      c: 64, unit: 'rps', op: 'get', url: `${srv.urls.h1}/hello`, expectBytes: SIZES.small, servers: ['nginx'], ...small,
      clients: [{ client: 'curl-net-request' }, { client: 'curl-net-request', variant: 'cookies0' }, { client: 'curl-net-request', variant: 'cookies50' }],
    });
  }
  // S9: a busy main thread, as in a desktop app: app work in 8 ms slices takes about 85% of the
  // JS thread while 64 or 256 small GETs run, unpinned (the curl thread may use the other core,
  // as it would on a user's machine). Compared at equal app work (app_duty_pct in the result).
  if (only(['busy'])) {
    for (const c of [64, 256]) {
      add({
        id: `busy-h1-12b-c${c}`, scenario: 'busy', title: `Busy main thread (8 ms slices, 85% app work) + HTTP/1.1 12 B GETs, c=${c}`,
        c, unit: 'rps', op: 'get', url: `${srv.urls.h1}/hello`, expectBytes: SIZES.small, servers: ['nginx'],
        appWork: { sliceMs: 8, duty: 0.85 },
        n: q ? 5000 : 50000, warmup: q ? 500 : 2000, durationS: q ? 3 : 10, timeoutS: q ? 30 : 60,
        clients: [{ client: 'curl-net-request' }, { client: 'undici-request' }, ...(c === 64 ? [BUNDLED[0]] : [])],
      }, ['unpinned']);
    }
  }

  // S10: an open loop (fixed arrival rate) at 60% of undici.request's closed-loop maximum in the
  // h1 12 B c=64 cell of the same round and mode: latency from when each request was due, so a
  // client that falls behind shows it in p99 (a closed loop hides that). At most 64 in flight,
  // as in the closed-loop cell: a request due while 64 are in flight waits, and its wait counts.
  // (Without a cap an overloaded client opens a connection per waiting request: curl-net,
  // unlimited per host by default, opened 7,000 on one pinned core and fell further behind.)
  if (only(['openloop'])) {
    add({
      id: 'open-h1-12b', scenario: 'openloop', title: 'Open loop at 60% of undici.request\'s closed-loop max (HTTP/1.1 12 B GETs, ≤ 64 in flight), latency from due time',
      c: 64, unit: 'rps', op: 'get', url: `${srv.urls.h1}/hello`, expectBytes: SIZES.small, servers: ['nginx'],
      rateOf: { cell: 'h1-12b-c64', client: 'undici.request', fraction: 0.6 },
      n: q ? 20000 : 200000, warmup: q ? 500 : 5000, durationS: q ? 3 : 10, timeoutS: q ? 30 : 60,
      clients: [{ client: 'curl-net-request' }, { client: 'undici-request' }, ...BUNDLED.slice(0, 1)],
    }, ['pinned', 'unpinned']);
  }
  // S11: 5,000 responses open at once: the server sends each head and holds the body. What one
  // open request costs in memory (RSS after a full GC, per request) and how long the heads take.
  if (only(['open'])) {
    add({
      id: 'open-5000', scenario: 'open', title: '5,000 concurrent open responses (heads sent, bodies held): RSS per open request',
      c: 5000, unit: 'rps', op: 'hold', url: `${srv.urls.sink}/hold`, servers: ['sink'],
      n: 5000, warmup: q ? 20 : 200, durationS: 0, timeoutS: 120, stallS: 60,
      clients: [{ client: 'curl-net-request' }, { client: 'undici-request' }, BUNDLED[0]],
    });
  }
  return cells;
}

/** What --scenarios selects by: the names the only([...]) calls in buildCells test. */
export const SCENARIO_NAMES = ['h1', 'h1-12b', 'h1-64k', 'h2', 'dl', 'ul', 'tls', 'proxy', 'eld', 'cookies', 'busy', 'openloop', 'open'];

// Targets of issue #16 ("speed, round two"), each evaluated on one cell. kind 'ratio': median of
// per-round ratios `of` / best `vs` (best = the highest reference for a minimum, the lowest for a
// maximum), on `metric` (and `vsMetric` for the reference when it differs); kind 'value': the
// median of `metric` for `of`. Metrics are run fields, or cpu_s_per_gib (client CPU per GiB).
// `equalAppWork`: a round counts only when `of` did at least the reference's app work.
const C_SYS = 'C libcurl multi loop';
const C_BUNDLED = 'C libcurl multi loop (bundled libcurl)';
export const TARGETS = [
  { id: 'curl-thread-vs-c', cell: 'h1-12b-c64|pinned', text: 'curl thread CPU per small request ≤ 1.2× the C libcurl loop on the same libcurl (h1 12 B, c=64)', kind: 'ratio', of: 'curl-net net.request', metric: 'curl_us_per_req', vs: C_SYS, vsMetric: 'cpu_us_per_req', max: 1.2 },
  { id: 'curl-thread-vs-c-prebuilt', cell: 'h1-12b-c64|pinned', text: 'Prebuilt: curl thread CPU per small request ≤ 1.2× the C loop on the bundled libcurl', kind: 'ratio', of: PREBUILT, metric: 'curl_us_per_req', vs: C_BUNDLED, vsMetric: 'cpu_us_per_req', max: 1.2 },
  { id: 'js-cpu', cell: 'h1-12b-c64|pinned', text: 'JS-thread CPU per small request (net.request) ≤ 4.5 µs', kind: 'value', of: 'curl-net net.request', metric: 'main_us_per_req', max: 4.5 },
  { id: 'h1-vs-undici-unpinned', cell: 'h1-12b-c64|unpinned', text: 'h1 12 B c=64 vs undici.request, unpinned ≥ 1.0×', kind: 'ratio', of: 'curl-net net.request', metric: 'rps', vs: 'undici.request', min: 1.0 },
  { id: 'h1-vs-undici-pinned', cell: 'h1-12b-c64|pinned', text: 'h1 12 B c=64 vs undici.request, pinned ≥ 0.9×', kind: 'ratio', of: 'curl-net net.request', metric: 'rps', vs: 'undici.request', min: 0.9 },
  { id: 'h1-vs-undici-prebuilt', cell: 'h1-12b-c64|pinned', text: 'Prebuilt: h1 12 B c=64 vs undici.request, pinned ≥ 0.9×', kind: 'ratio', of: PREBUILT, metric: 'rps', vs: 'undici.request', min: 0.9 },
  { id: 'fetch-vs-undici', cell: 'h1-12b-c64|pinned', text: 'net.fetch vs undici fetch, h1 12 B c=64 ≥ 1.5×', kind: 'ratio', of: 'curl-net net.fetch', metric: 'rps', vs: 'undici fetch', min: 1.5 },
  { id: 'fetch-js-cpu', cell: 'h1-12b-c64|pinned', text: 'net.fetch main thread ≤ 10 µs per request', kind: 'value', of: 'curl-net net.fetch', metric: 'main_us_per_req', max: 10 },
  { id: 'h2-vs-node-prebuilt', cell: 'h2-12b-s64|pinned', text: 'Prebuilt: h2 over TLS, 64 streams, one connection vs node:http2 ≥ 1.0×', kind: 'ratio', of: PREBUILT, metric: 'rps', vs: 'node:http2 (1 session)', min: 1.0 },
  { id: 'prebuilt-vs-system', cell: 'h1-12b-c64|pinned', text: 'Prebuilt per-request CPU ≤ the system-libcurl build (curl-net)', kind: 'ratio', of: PREBUILT, metric: 'cpu_us_per_req', vs: 'curl-net net.request', max: 1.0 },
  { id: 'prebuilt-c-vs-system-c', cell: 'h1-12b-c64|pinned', text: 'Bundled libcurl per-request CPU ≤ system libcurl (C loop)', kind: 'ratio', of: C_BUNDLED, metric: 'cpu_us_per_req', vs: C_SYS, max: 1.0 },
  { id: 'dl-cpu-vs-undici', cell: 'dl-1g|pinned', text: '1 GiB download: client CPU per GiB ≤ 0.9× undici.request (nginx as configured: sendfile, tcp_nopush on)', kind: 'ratio', of: 'curl-net net.request', metric: 'cpu_s_per_gib', vs: 'undici.request', max: 0.9 },
  { id: 'busy-c64', cell: 'busy-h1-12b-c64|unpinned', text: 'Busy main thread (85% app work), c=64: ≥ 3× undici.request req/s at equal app work', kind: 'ratio', of: 'curl-net net.request', metric: 'rps', vs: 'undici.request', min: 3, equalAppWork: true },
  { id: 'busy-c256', cell: 'busy-h1-12b-c256|unpinned', text: 'Busy main thread (85% app work), c=256: ≥ 3× undici.request req/s at equal app work', kind: 'ratio', of: 'curl-net net.request', metric: 'rps', vs: 'undici.request', min: 3, equalAppWork: true },
  { id: 'open-loop-p99', cell: 'open-h1-12b|pinned', text: 'Open loop at 60% of undici\'s max: p99 latency ≤ undici.request\'s', kind: 'ratio', of: 'curl-net net.request', metric: 'p99_ms', vs: 'undici.request', max: 1.0 },
  { id: 'open-loop-p99-unpinned', cell: 'open-h1-12b|unpinned', text: 'Open loop at 60% of undici\'s max, unpinned: p99 latency ≤ undici.request\'s', kind: 'ratio', of: 'curl-net net.request', metric: 'p99_ms', vs: 'undici.request', max: 1.0 },
  { id: 'open-5000-rss', cell: 'open-5000|pinned', text: '5,000 concurrent open responses: RSS per open request ≤ 16 KB', kind: 'value', of: 'curl-net net.request', metric: 'rss_per_open_kb', max: 16 },
  { id: 'open-5000-rss-prebuilt', cell: 'open-5000|pinned', text: 'Prebuilt: 5,000 concurrent open responses: RSS per open request ≤ 16 KB', kind: 'value', of: PREBUILT, metric: 'rss_per_open_kb', max: 16 },
  { id: 'tls-guard', cell: 'tls-ecdsa-c16|pinned', text: 'Guard: new TLS connections c=16 ≥ 1.8× undici.request', kind: 'ratio', of: 'curl-net net.request', metric: 'rps', vs: 'undici.request', min: 1.8 },
  { id: 'eld-guard', cell: 'eld-64dl|pinned', text: 'Guard: event-loop delay p99 < 3 ms with 64 downloads', kind: 'value', of: 'curl-net net.request', metric: 'eld_p99_ms', max: 3, strict: true },
  { id: 'ul-vs-c', cell: 'ul-100m|pinned', text: 'Guard: 100 MiB upload ≥ 95% of the C loop', kind: 'ratio', of: 'curl-net net.request', metric: 'mib_s', vs: C_SYS, min: 0.95 },
];
