// Hostile PAC scripts, served by a real HTTP server on 127.0.0.1: sandbox escapes, memory bombs
// and endless loops in every position. Each must leave the host untouched (no file written, no
// environment read, bounded memory), end within the time limit with the documented fallback
// (DIRECT, reason in `pacError`), and leave the next lookup working.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { session } from '../ts/index';
import { formatProxyList, PacTimeoutError, ProxyResolver } from '../ts/proxy';
import { KILL_GRACE_MS } from '../ts/proxy/pac-evaluator';

let server: http.Server;
let base: string;
const routes = new Map<string, string>();
let tmp: string;
const SECRET = `curlnet-secret-${process.pid}-${Date.now()}`;

test.before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'curlnet-pac-sandbox-'));
  process.env.CURLNET_PAC_SECRET = SECRET;
  server = http.createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/x-ns-proxy-autoconfig' });
    res.end(body ?? 'not found');
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(async () => {
  delete process.env.CURLNET_PAC_SECRET;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

let routeId = 0;
async function withPac(script: string, fn: (r: ProxyResolver) => Promise<void>, pacTimeoutMs = 1500): Promise<void> {
  const route = `/hostile-${++routeId}.pac`;
  routes.set(route, script);
  const r = new ProxyResolver({ pacTimeoutMs });
  try {
    await r.setConfig({ mode: 'pac_script', pacScript: base + route });
    await fn(r);
  } finally {
    r.close();
  }
}

const fmt = async (r: ProxyResolver, url: string) => formatProxyList(await r.resolve(url));
const rssMb = () => process.memoryUsage().rss / 1048576;

// ---------------------------------------------------------------- escapes

// Each attempt tries to get the host's `process` (directly or through a promise). Whatever it
// gets is used the way the original exploit did: write a marker file, read the environment,
// change the environment. The PAC reports what it found through its result.
const ESCAPES: Record<string, string> = {
  'import() rejection': `import('x').catch(function (e) { return e.constructor.constructor('return process')(); })`,
  'import() of a node: module': `import('node:fs')`,
  'Function from a thrown error': `(function () { try { null.x; } catch (e) { return e.constructor.constructor('return process')(); } })()`,
  'Function from new Error()': `new Error('x').constructor.constructor('return process')()`,
  'Function from a rejected promise': `Promise.reject(new Error('x')).catch(function (e) { return e.constructor.constructor('return process')(); })`,
  'Function from Promise.prototype.then': `Promise.resolve().then.constructor('return process')()`,
  'AsyncFunction constructor': `(async function () {}).constructor('return process')()`,
  'GeneratorFunction constructor': `(function* () {}).constructor('return process')().next().value`,
  'AsyncGeneratorFunction constructor': `(async function* () {}).constructor('return process')().next().then(function (r) { return r.value; })`,
  'array iterator prototype': `Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).constructor.constructor('return process')()`,
  'globalThis.constructor': `globalThis.constructor.constructor('return process')()`,
  'prototype of globalThis': `Object.getPrototypeOf(globalThis).constructor.constructor('return process')()`,
  'sloppy this': `(function () { return this; })().constructor.constructor('return process')()`,
  'new Function this': `new Function('return this')().process`,
  'arguments.callee / caller chain': `(function walk() {
      var f = arguments.callee, seen = 0;
      while (f && seen++ < 50) { var p = f.constructor('return process')(); if (p) return p; f = f.caller; }
    })()`,
  'Reflect.construct(Function)': `Reflect.construct(Function, ['return process'])()`,
  'Symbol.for registry': `Symbol.for('nodejs.util.inspect.custom').constructor.constructor('return process')()`,
  'helper function constructor': `dnsResolve.constructor('return process')()`,
  'helper function prototype chain': `Object.getPrototypeOf(alert).constructor('return process')()`,
  'arguments of a helper call': `(function () { var a; sortIpAddressList({ toString: function () { a = arguments.callee.caller; return '1.2.3.4'; } }); return a && a.constructor('return process')(); })()`,
  'indirect eval': `(0, eval)('typeof process === "undefined" ? undefined : process')`,
  'globals by name': `(typeof process !== 'undefined' && process) || (typeof require !== 'undefined' && require('process')) ||
      (typeof Deno !== 'undefined' && Deno) || (typeof Bun !== 'undefined' && Bun) || (typeof global !== 'undefined' && global.process) ||
      (typeof module !== 'undefined' && module.require && module.require('process'))`,
  'V8 stack frames (prepareStackTrace)': `(function () {
      Error.prepareStackTrace = function (e, frames) { return frames; };
      var frames = new Error().stack; Error.prepareStackTrace = undefined;
      if (!frames || typeof frames === 'string') return undefined;
      for (var i = 0; i < frames.length; i++) { var f = frames[i].getFunction && frames[i].getFunction(); if (f) return f.constructor('return process')(); }
    })()`,
};

function escapeScript(marker: string): string {
  return `
    var found = [];
    function use(name, p) {
      if (!p || (typeof p !== 'object' && typeof p !== 'function')) return;
      var fs = null;
      try { fs = p.getBuiltinModule ? p.getBuiltinModule('fs') : p.writeFileSync ? p : null; } catch (e) {}
      try { if (fs) fs.writeFileSync(${JSON.stringify(marker)}, name); } catch (e) {}
      try { if (p.env) { found.push(String(p.env.CURLNET_PAC_SECRET)); p.env.CURLNET_PAC_PWNED = '1'; } } catch (e) {}
      if (typeof p.pid === 'number' || fs) found.push('process-' + name.length);
    }
    function attempt(name, get) {
      try {
        var p = get();
        if (p && typeof p.then === 'function') p.then(function (q) { use(name, q); }, function () {});
        else use(name, p);
      } catch (e) {}
    }
    ${Object.entries(ESCAPES)
      .map(([name, expr]) => `attempt(${JSON.stringify(name)}, function () { return ${expr}; });`)
      .join('\n    ')}
    function FindProxyForURL(url, host) {
      ${Object.entries(ESCAPES)
        .map(([name, expr]) => `attempt(${JSON.stringify(name)}, function () { return ${expr}; });`)
        .join('\n      ')}
      return found.length ? "PROXY leak-" + found.join("-").replace(/[^a-zA-Z0-9-]/g, "") + ":1" : "PROXY sealed.test:1";
    }`;
}

test('no escape reaches the host process, its files or its environment', async (t) => {
  const marker = path.join(tmp, 'escaped.txt');
  await withPac(escapeScript(marker), async (r) => {
    // Two lookups: promise-based attempts of the first run report in the second.
    t.is(await fmt(r, 'http://one.test/'), 'PROXY sealed.test:1', String(r.pacError));
    t.is(await fmt(r, 'http://two.test/'), 'PROXY sealed.test:1', String(r.pacError));
  });
  t.false(existsSync(marker), 'the PAC wrote a file on the host');
  t.is(process.env.CURLNET_PAC_PWNED, undefined);
  t.is(process.env.CURLNET_PAC_SECRET, SECRET);
});

test('the original exploit: no process, and a throwing PAC falls back to DIRECT', async (t) => {
  const marker = path.join(tmp, 'exploit.txt');
  await withPac(
    `var stolen = null;
     import('x').catch(function (e) {
       var p = e.constructor.constructor('return process')();
       p.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'owned');
       stolen = p.env.CURLNET_PAC_SECRET || 'pid' + p.pid;
     });
     function FindProxyForURL(url, host) {
       if (stolen) return "PROXY " + stolen + ":1";
       return e.constructor.constructor('return process')().env.CURLNET_PAC_SECRET; // ReferenceError: e
     }`,
    async (r) => {
      t.is(await fmt(r, 'http://one.test/'), 'DIRECT');
      t.regex(r.pacError?.message ?? '', /ReferenceError/);
      t.is(await fmt(r, 'http://two.test/'), 'DIRECT');
    },
  );
  t.false(existsSync(marker), 'the exploit wrote a file on the host');
});

test('only the ECMAScript built-ins and the PAC helpers are in the sandbox', async (t) => {
  const standard = new Set(
    ('Error EvalError RangeError ReferenceError SyntaxError TypeError URIError InternalError AggregateError Array Object ' +
      'Function Iterator parseInt parseFloat isNaN isFinite decodeURI decodeURIComponent encodeURI encodeURIComponent ' +
      'escape unescape Infinity NaN undefined eval Number Boolean String Math Reflect Symbol globalThis BigInt Date RegExp ' +
      'JSON Proxy Map Set WeakMap WeakSet ArrayBuffer SharedArrayBuffer Uint8ClampedArray Int8Array Uint8Array Int16Array ' +
      'Uint16Array Int32Array Uint32Array BigInt64Array BigUint64Array Float16Array Float32Array Float64Array DataView ' +
      'Promise WeakRef FinalizationRegistry').split(' '),
  );
  const helpers =
    'isPlainHostName dnsDomainIs localHostOrDomainIs isResolvable isInNet dnsResolve dnsDomainLevels myIpAddress shExpMatch ' +
    'weekdayRange dateRange timeRange alert isResolvableEx isInNetEx dnsResolveEx myIpAddressEx sortIpAddressList getClientVersion';
  // The script lists what is not allowed and which helpers are missing.
  await withPac(
    `function FindProxyForURL() {
       var names = Object.getOwnPropertyNames(globalThis);
       var odd = [];
       var allowed = ${JSON.stringify([...standard, ...helpers.split(' '), 'FindProxyForURL'])};
       for (var i = 0; i < names.length; i++) if (allowed.indexOf(names[i]) === -1) odd.push(names[i]);
       var missing = [];
       ${JSON.stringify(helpers.split(' '))}.forEach(function (h) { if (typeof globalThis[h] !== 'function') missing.push(h); });
       if (!odd.length && !missing.length) return "PROXY clean.test:1";
       return "unexpected: " + odd.join(",") + " missing: " + missing.join(",");
     }`,
    async (r) => {
      t.is(await fmt(r, 'http://e.test/'), 'PROXY clean.test:1', String(r.pacError));
    },
  );
});

test('polluted prototypes, host-object lookalikes and tricky return values only affect the script', async (t) => {
  const marker = path.join(tmp, 'pollution.txt');
  await withPac(
    `Object.prototype.toString = function () { return "PROXY polluted:1"; };
     String.prototype.toString = function () { return "PROXY polluted:2"; };
     Object.defineProperty(Object.prototype, "then", { get: function () { while (true) {} }, configurable: true });
     Array.prototype.join = function () { return "PROXY polluted:3"; };
     dnsResolve = function () { return "6.6.6.6"; };
     function FindProxyForURL(url, host) {
       if (host === "string-object") return new String("PROXY boxed:1");
       if (host === "proto") return { __proto__: String.prototype, valueOf: function () { return "PROXY proto:1"; } };
       if (host === "toprimitive") { var o = {}; o[Symbol.toPrimitive] = function () { while (true) {} }; return o; }
       if (host === "tostring") return { toString: function () { while (true) {} } };
       if (host === "args") return url.constructor.constructor("return typeof process")() + ".test";
       if (host === "helper") return "PROXY " + dnsResolve("localhost") + ":1";
       return "PROXY fine.test:1";
     }`,
    async (r) => {
      for (const host of ['string-object', 'proto', 'toprimitive', 'tostring']) {
        t.is(await fmt(r, `http://${host}/`), 'DIRECT', host);
        t.regex(r.pacError?.message ?? '', /not a string/, host);
      }
      t.is(await fmt(r, 'http://args/'), 'DIRECT', 'the url string argument leads to no process');
      t.regex(r.pacError?.message ?? '', /"undefined\.test"/);
      t.is(await fmt(r, 'http://helper/'), 'PROXY 6.6.6.6:1', 'replacing a helper changes only the script');
      t.is(await fmt(r, 'http://e.test/'), 'PROXY fine.test:1');
    },
  );
  t.false(existsSync(marker));
  t.is(Object.prototype.toString.call([]), '[object Array]');
  t.false('then' in Object.prototype);
});

test.serial('through the public API: a session whose PAC escapes and bombs answers DIRECT, then works', async (t) => {
  const marker = path.join(tmp, 'session.txt');
  const route = `/session-${++routeId}.pac`;
  routes.set(
    route,
    `import('x').catch(function (e) { e.constructor.constructor('return process')().getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'owned'); });
     function FindProxyForURL(url, host) {
       if (host === "bomb") { var a = []; for (var i = 0; i < 512; i++) a.push(new Uint8Array(1048576).fill(1)); }
       return "PROXY ok.test:3128";
     }`,
  );
  const ses = session.fromPartition(`pac-sandbox-${process.pid}`);
  await ses.setProxy({ pacScript: base + route });
  const before = rssMb();
  t.is(await ses.resolveProxy('http://bomb/'), 'DIRECT');
  t.true(rssMb() - before < 200, `host RSS grew by ${(rssMb() - before).toFixed(0)} MB`);
  t.is(await ses.resolveProxy('http://fine.test/'), 'PROXY ok.test:3128');
  t.false(existsSync(marker));
  await ses.setProxy({ mode: 'direct' });
});

test('only strings come out, and not unbounded ones', async (t) => {
  await withPac(
    `function FindProxyForURL(url, host) {
       if (host === "long") return new Array(10001).join("PROXY a.test:1; ");
       return "PROXY fine.test:1";
     }`,
    async (r) => {
      t.is(await fmt(r, 'http://long/'), 'DIRECT');
      t.regex(r.pacError?.message ?? '', /returned 160000 characters, more than the 65536 allowed/);
      t.is(await fmt(r, 'http://e.test/'), 'PROXY fine.test:1');
    },
  );
});

// ---------------------------------------------------------------- memory bombs

// The bomb goes off only for host "bomb"; anything else answers normally. The bombs that fill
// typed arrays and strings stop by themselves at 512 MiB, so that running this file against an
// unbounded engine cannot take the machine down: 512 MiB is far above the bound asserted.
const BOMBS: Record<string, string> = {
  'typed arrays': 'var a = []; for (var i = 0; i < 512; i++) a.push(new Uint8Array(1048576).fill(i));',
  'ArrayBuffers': 'var a = []; for (var i = 0; i < 512; i++) { var b = new ArrayBuffer(1048576); new Int32Array(b).fill(i); a.push(b); }',
  'strings doubled': 'var s = "x"; for (var i = 0; i < 29; i++) { s = s + s; s.charCodeAt(s.length - 1); } var k = s.split("");',
  'many strings': 'var a = []; for (var i = 0; i < 512; i++) a.push(("y" + i).repeat(1048576 / 4));',
  'arrays': 'var a = []; while (true) a.push(new Array(100000).fill(1.5));',
  'objects': 'var a = []; for (var i = 0; ; i++) a.push({ i: i, s: "k" + i, o: { j: [i] } });',
  'objects kept in a global': 'kept = []; for (var i = 0; ; i++) kept.push({ i: i, s: "k" + i });',
  'deep recursion': 'function f(n) { return f(n + 1) + 1; } f(0);',
  'deep recursion through catch': 'function g(n) { try { return g(n + 1); } catch (e) { return g(n + 1); } } g(0);',
  'deeply nested source (parser recursion)': 'eval(new Array(1000000).join("["));',
  'regexp backtracking': '/^(a+)+$/.test(new Array(40).join("a") + "b");',
  'huge sparse join': 'var a = []; a.length = 100000000; a.join("xx");',
};

for (const [name, bomb] of Object.entries(BOMBS)) {
  test.serial(`memory bomb: ${name}`, async (t) => {
    await withPac(
      `function FindProxyForURL(url, host) {
         if (host === "bomb") { ${bomb} return "PROXY survived:1"; }
         return "PROXY fine.test:1";
       }`,
      async (r) => {
        t.is(await fmt(r, 'http://warm.test/'), 'PROXY fine.test:1');
        const before = rssMb();
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
        const started = Date.now();
        const out = await fmt(r, 'http://bomb/');
        const elapsed = Date.now() - started;
        clearInterval(sampler);
        peak = Math.max(peak, rssMb());
        t.log(`${name}: rss ${before.toFixed(0)} MB before, peak +${(peak - before).toFixed(0)} MB; ${out}; ${r.pacError?.message}; ${elapsed} ms`);
        t.is(out, 'DIRECT');
        t.truthy(r.pacError);
        t.true(peak - before < 200, `host RSS grew by ${(peak - before).toFixed(0)} MB`);
        t.true(elapsed < 4000 + KILL_GRACE_MS + 3000, `the lookup took ${elapsed} ms`);
        t.is(await fmt(r, 'http://next.test/'), 'PROXY fine.test:1', 'the next lookup works');
      },
      4000,
    );
  });
}

test.serial('a memory bomb at the top level makes the script unusable, not the host', async (t) => {
  const before = rssMb();
  await withPac('var a = []; for (var i = 0; i < 512; i++) a.push(new Uint8Array(1048576).fill(1)); function FindProxyForURL() { return "PROXY never:1"; }', async (r) => {
    t.true(rssMb() - before < 200, `host RSS grew by ${(rssMb() - before).toFixed(0)} MB`);
    t.is(await fmt(r, 'http://e.test/'), 'DIRECT');
    t.regex(r.pacError?.message ?? '', /cannot be used: .*out of memory/);
  });
});

// ---------------------------------------------------------------- endless loops

const LOOPS: Record<string, string> = {
  'FindProxyForURL body': 'while (true) {}',
  'a loop that catches and restarts': 'for (;;) { try { for (;;) {} } catch (e) {} finally { continue; } }',
  'a sort comparator': '[3, 1, 2].sort(function () { while (true) {} });',
  'a helper calling toString on its argument': 'dnsDomainIs({ toString: function () { while (true) {} } }, ".test");',
  'a getter': 'var o = {}; Object.defineProperty(o, "x", { get: function () { while (true) {} } }); o.x;',
  'a getter on FindProxyForURL itself':
    'var first = true; var fine = function () { return "PROXY fine.test:1"; };' +
    'Object.defineProperty(globalThis, "FindProxyForURL", { get: function () { if (first) { first = false; while (true) {} } return fine; } });' +
    'return FindProxyForURL(url, host);',
  'toString of a thrown object': 'throw { toString: function () { while (true) {} } };',
  'the message getter of a thrown Error': 'var e = new Error("x"); Object.defineProperty(e, "message", { get: function () { while (true) {} } }); throw e;',
  'a pending promise job': 'Promise.resolve().then(function () { while (true) {} }); return "PROXY job:1";',
  'an endless chain of promise jobs': 'var n = function () { Promise.resolve().then(n); }; n(); return "PROXY chain:1";',
  'an async function': '(async function () { await null; while (true) {} })(); return "PROXY async:1";',
  'a generator': 'var it = (function* () { while (true) yield 1; })(); for (var v of it) {}',
  'a Proxy trap': 'var p = new Proxy({}, { get: function () { while (true) {} } }); p.x;',
  'regexp backtracking': '/^(a|a)*$/.test(new Array(64).join("a") + "b");',
  'a native loop the interrupt cannot reach': 'var a = []; a.length = 4294967295; a.lastIndexOf(1);',
  'after a DNS question': 'dnsResolve("127.3"); while (true) {}',
};

for (const [name, loop] of Object.entries(LOOPS)) {
  test(`endless loop in ${name}: the lookup falls back within the limit`, async (t) => {
    const limit = 800;
    await withPac(
      `function FindProxyForURL(url, host) {
         if (host === "loop") { ${loop} }
         return "PROXY fine.test:1";
       }`,
      async (r) => {
        const started = Date.now();
        const out = await fmt(r, 'http://loop/');
        const elapsed = Date.now() - started;
        t.is(out, 'DIRECT');
        t.true(r.pacError instanceof PacTimeoutError, String(r.pacError));
        // Bounds on a hang (the deadline, plus the kill grace, plus a busy machine's slack). That
        // the JS thread stays free meanwhile is asserted in pac.test.ts.
        t.true(elapsed < limit + KILL_GRACE_MS + 3000, `answered after ${elapsed} ms`);
        t.is(await fmt(r, 'http://next.test/'), 'PROXY fine.test:1', 'the next lookup works');
      },
      limit,
    );
  });
}

test('a lookup asked while a stuck worker is replaced gets its whole limit once the new worker is ready', async (t) => {
  // The limit (300 ms) is shorter than the kill grace (500 ms): a lookup whose clock ran while it
  // waited for the stuck worker to be killed and a new one to load the script would always
  // time out, though its own evaluation takes no time at all.
  const limit = 300;
  t.true(limit < KILL_GRACE_MS);
  await withPac(
    `function FindProxyForURL(url, host) {
       if (host === "loop") { var a = []; a.length = 4294967295; a.lastIndexOf(1); }
       return "PROXY fine.test:1";
     }`,
    async (r) => {
      const stuck = fmt(r, 'http://loop/');
      const next = fmt(r, 'http://next.test/');
      t.is(await stuck, 'DIRECT');
      t.is(await next, 'PROXY fine.test:1');
    },
    limit,
  );
});

test('an endless loop at the top level: setConfig ends, and every lookup is DIRECT', async (t) => {
  const started = Date.now();
  await withPac(
    'for (;;) { try { while (true) {} } catch (e) {} } function FindProxyForURL() { return "PROXY never:1"; }',
    async (r) => {
      t.true(Date.now() - started < 800 + 10_000, 'setConfig returned');
      t.is(await fmt(r, 'http://e.test/'), 'DIRECT');
      t.regex(r.pacError?.message ?? '', /cannot be used: .*in time/);
    },
    800,
  );
});

// ---------------------------------------------------------------- DNS bridge

test('DNS answers reach the script, also at the top level, which starts over with them', async (t) => {
  await withPac(
    `var runs = 0; runs++;
     var base = dnsResolve("127.1");
     function FindProxyForURL(url, host) {
       var ex = dnsResolveEx("127.2").split(";");
       return "PROXY " + base + ":" + runs + "; PROXY " + (isResolvable("127.3") ? ex[0] : "none") + ":2";
     }`,
    async (r) => {
      t.is(await fmt(r, 'http://e.test/'), 'PROXY 127.0.0.1:1; PROXY 127.0.0.2:2');
    },
  );
});

test('a script that keeps asking new names gives up after a bounded number of DNS rounds', async (t) => {
  await withPac(
    `function FindProxyForURL(url, host) {
       for (var i = 1; i < 250; i++) dnsResolve("127." + i);
       return "PROXY all-answered:1";
     }
     `,
    async (r) => {
      t.is(await fmt(r, 'http://e.test/'), 'DIRECT');
      t.regex(r.pacError?.message ?? '', /DNS answers more than \d+ times/);
    },
    5000,
  );
  await withPac(
    `function FindProxyForURL(url, host) {
       var got = [];
       for (var i = 1; i <= 20; i++) got.push(dnsResolve("127." + i));
       return got[19] === "127.0.0.20" ? "PROXY twenty:1" : "PROXY wrong-" + got.join("-") + ":1";
     }`,
    async (r) => {
      t.is(await fmt(r, 'http://e.test/'), 'PROXY twenty:1');
    },
    5000,
  );
});
