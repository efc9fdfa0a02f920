// One client, one cell, one fresh process: `node client.mjs '<spec json>'`.
//
// A closed loop: spec.c workers pull request numbers from a shared counter, so exactly spec.c
// requests are in flight. A warm-up phase (not measured) runs first, then the measured phase,
// which ends after spec.n requests or spec.durationS seconds, whichever comes first. The result
// (one JSON object) goes to spec.resultFile. The process exits itself after spec.timeoutS.
//
// Two other shapes of load, for desktop apps' reality:
// - spec.appWork = { sliceMs, duty }: the application keeps the JS thread busy in slices of
//   sliceMs, as much as `duty` of the wall time, while the requests run (a busy renderer-like
//   main thread). The result says how much app work was really done (app_duty_pct), so clients
//   are compared at equal app work.
// - spec.rate (req/s): an open loop. Request i is due at t0 + i/rate whatever happened to the
//   others, and its latency counts from when it was due (no coordinated omission); spec.c is
//   then only a safety cap on requests in flight (a due request over the cap waits, and its
//   wait counts).
//
// spec: { client, variant, op: 'get'|'upload', url, n, warmup, c, expectBytes, uploadBytes, chunk,
//         h2, ca, proxy, fresh, durationS, timeoutS, serverPids: {name: pid}, resultFile,
//         appWork?, rate? }
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { threadCpu, threadSplit, processCpuSeconds, machineCpu } from './lib/procstat.mjs';

const spec = JSON.parse(process.argv[2]);
const MAX_ERRORS = 100;

const result = {
  client: spec.client,
  variant: spec.variant ?? null,
  ok: false,
  requests: 0,
  errors: 0,
  first_error: null,
  bad_status: 0,
  bad_bytes: 0,
};

function finish(code) {
  fs.writeFileSync(spec.resultFile, JSON.stringify(result));
  process.exit(code);
}

const hardTimer = setTimeout(() => {
  result.ok = false;
  result.timed_out = true;
  result.first_error ??= `wall-clock timeout after ${spec.timeoutS} s`;
  finish(3);
}, spec.timeoutS * 1000);
hardTimer.unref();

process.on('uncaughtException', (err) => {
  result.ok = false;
  result.first_error ??= `uncaught: ${err && err.stack ? err.stack.split('\n').slice(0, 3).join(' | ') : err}`;
  finish(4);
});
process.on('unhandledRejection', (err) => {
  result.ok = false;
  result.first_error ??= `unhandled rejection: ${err && err.message ? err.message : err}`;
  finish(4);
});

function noteError(msg) {
  result.errors++;
  if (result.first_error == null) result.first_error = String(msg).slice(0, 500);
}

let adapter;
try {
  const mod = await import(`./clients/${spec.client}.mjs`);
  adapter = await mod.create(spec);
} catch (err) {
  result.first_error = `setup failed: ${err && err.stack ? err.stack.split('\n').slice(0, 4).join(' | ') : err}`;
  result.setup_failed = true;
  finish(2);
}

const chunk = Buffer.alloc(spec.chunk ?? 65536, 'x');

async function one() {
  if (spec.op === 'upload') {
    const { status, body } = await adapter.upload(spec.url, spec.uploadBytes, chunk);
    if (status < 200 || status > 299) { result.bad_status++; throw new Error(`HTTP status ${status}`); }
    if (String(body).trim() !== String(spec.uploadBytes)) {
      result.bad_bytes++;
      throw new Error(`sink counted ${String(body).slice(0, 40)} bytes, sent ${spec.uploadBytes}`);
    }
    return;
  }
  const { status, bytes } = await adapter.get(spec.url);
  if (status < 200 || status > 299) { result.bad_status++; throw new Error(`HTTP status ${status}`); }
  if (spec.expectBytes != null && bytes !== spec.expectBytes) {
    result.bad_bytes++;
    throw new Error(`body ${bytes} bytes, expected ${spec.expectBytes}`);
  }
}

// A stalled client fails fast with a clear message instead of waiting for the wall-clock limit.
const STALL_S = spec.stallS ?? 10;
let lastProgress = Date.now();
let inFlight = 0;
setInterval(() => {
  if (inFlight > 0 && Date.now() - lastProgress > STALL_S * 1000) {
    result.ok = false;
    result.stalled = true;
    result.first_error ??= `stalled: no request finished for ${STALL_S} s with ${inFlight} in flight (${result.requests_done_total} finished so far)`;
    finish(5);
  }
}, 500).unref();
result.requests_done_total = 0;

async function phase(total, lat, durationS) {
  let next = 0;
  let done = 0;
  let stop = false;
  const stopAt = durationS ? performance.now() + durationS * 1000 : Infinity;
  async function worker() {
    while (!stop && next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      inFlight++;
      try {
        await one();
      } catch (err) {
        noteError(err && err.message ? err.message : err);
        if (result.errors >= MAX_ERRORS) stop = true;
      }
      inFlight--;
      if (lat) lat[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      done++;
      result.requests_done_total++;
      lastProgress = Date.now();
      if (performance.now() >= stopAt) {
        if (!stop) result.capped = true;
        stop = true;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(spec.c, total) }, worker));
  return done;
}

/** Application work in slices: spins sliceMs whenever the work done so far is below `duty` of
 * the wall time since start(), then yields to the event loop (setImmediate, so I/O callbacks
 * run between slices). */
function appWorkLoop({ sliceMs, duty }) {
  let t0 = 0;
  let busyMs = 0;
  let slices = 0;
  let running = false;
  function turn() {
    if (!running) return;
    const now = performance.now();
    if (busyMs < (now - t0) * duty) {
      const end = now + sliceMs;
      let x = 0;
      while (performance.now() < end) x += Math.sqrt(x + 1);
      busyMs += performance.now() - now;
      slices++;
    }
    setImmediate(turn);
  }
  return {
    start() { t0 = performance.now(); running = true; setImmediate(turn); },
    stop() {
      running = false;
      const wall = performance.now() - t0;
      return { app_slices: slices, app_busy_ms: busyMs, app_duty_pct: wall > 0 ? (busyMs / wall) * 100 : 0 };
    },
  };
}

/** The open loop: n requests, request i due at i/rate seconds; at most cap in flight. */
async function openLoop(total, rate, cap, lat, durationS) {
  const t0 = performance.now();
  const stopAt = durationS ? t0 + durationS * 1000 : Infinity;
  let issued = 0;
  let done = 0;
  let waiting = 0;
  let maxInFlight = 0;
  return new Promise((resolve) => {
    const settle = () => { if (done === issued && (issued === total || performance.now() >= stopAt)) resolve({ done, maxInFlight, late: waiting }); };
    function launch(i, due) {
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      one().catch((err) => noteError(err && err.message ? err.message : err)).finally(() => {
        inFlight--;
        lat[i] = performance.now() - due;
        done++;
        result.requests_done_total++;
        lastProgress = Date.now();
        settle();
      });
    }
    function tick() {
      const now = performance.now();
      while (issued < total && now >= t0 + (issued * 1000) / rate && now < stopAt) {
        if (inFlight >= cap) { waiting++; break; }
        const i = issued++;
        launch(i, t0 + (i * 1000) / rate);
      }
      if (issued < total && performance.now() < stopAt && result.errors < MAX_ERRORS) {
        const next = t0 + (issued * 1000) / rate - performance.now();
        setTimeout(tick, Math.max(0, Math.floor(next)));
      } else {
        settle();
      }
    }
    tick();
  });
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
}

const serverPids = spec.serverPids ?? {};

/** Physical bytes of V8's young generation and of everything else it holds. */
function v8HeapPhysical() {
  let young = 0, rest = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') young += space.physical_space_size;
    else rest += space.physical_space_size;
  }
  return { new: young, old: rest };
}

/** The open-responses cell: spec.n requests at once, each answered with a head and a body that
 * never comes; RSS per open request once every head is in, and how long the heads took. */
async function holdAll() {
  for (let i = 0; i < spec.warmup; i++) (await adapter.hold(spec.url)).close();
  await new Promise((resolve) => setTimeout(resolve, 200));
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const spaces0 = v8HeapPhysical();
  const th0 = threadCpu();
  const t0 = process.hrtime.bigint();
  const open = await Promise.all(Array.from({ length: spec.n }, () => adapter.hold(spec.url)));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const th1 = threadCpu();
  globalThis.gc?.();
  const rss1 = process.memoryUsage().rss;
  const spaces1 = v8HeapPhysical();
  const bad = open.filter((o) => o.status !== 200).length;
  for (const o of open) o.close();
  const split = threadSplit(th0, th1);
  Object.assign(result, {
    requests: open.length,
    bad_status: bad,
    wall_s: wall,
    rps: open.length / wall,
    heads_s: wall,
    rss_per_open_kb: (rss1 - rss0) / open.length / 1024,
    // Where that RSS is: V8's young and old generations (physical pages), the rest is native
    // (malloc: libcurl, the addon, Node's own).
    v8_new_per_open_kb: (spaces1.new - spaces0.new) / open.length / 1024,
    v8_old_per_open_kb: (spaces1.old - spaces0.old) / open.length / 1024,
    rss_before_mb: rss0 / 1048576,
    rss_after_mb: rss1 / 1048576,
    threads: split,
    main_us_per_req: (split.main_s / open.length) * 1e6,
    curl_us_per_req: (split.curl_s / open.length) * 1e6,
    cpu_us_per_req: ((split.main_s + split.curl_s + split.other_s) / open.length) * 1e6,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
    info: adapter.info ?? null,
  });
  result.ok = bad === 0 && result.errors === 0;
}

try {
  if (spec.op === 'hold') {
    await holdAll();
    try { await Promise.race([adapter.close?.(), new Promise((r) => setTimeout(r, 2000).unref())]); } catch {}
    finish(result.ok ? 0 : 1);
  }
  if (spec.warmup > 0) await phase(spec.warmup, null, 0);
  const warmErrors = result.errors;
  result.warmup_errors = warmErrors;

  const lat = new Float64Array(spec.n);
  // The histogram holds the time between timer runs (resolution included); we report how late
  // the timer ran: value - resolution. The event-loop cell samples every 1 ms, the others every 10 ms.
  const eldRes = spec.eldResolutionMs ?? 10;
  const eld = monitorEventLoopDelay({ resolution: eldRes });
  const srv0 = Object.fromEntries(Object.entries(serverPids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  const m0 = machineCpu();
  const th0 = threadCpu();
  const cpu0 = process.cpuUsage();
  eld.enable();
  const app = spec.appWork ? appWorkLoop(spec.appWork) : null;
  app?.start();
  const t0 = process.hrtime.bigint();
  let open = null;
  if (spec.rate) open = await openLoop(spec.n, spec.rate, spec.c, lat, spec.durationS);
  const done = open ? open.done : await phase(spec.n, lat, spec.durationS);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const appWork = app?.stop() ?? null;
  eld.disable();
  const cpu = process.cpuUsage(cpu0);
  const th1 = threadCpu();
  const m1 = machineCpu();
  const srv1 = Object.fromEntries(Object.entries(serverPids).map(([k, pid]) => [k, processCpuSeconds(pid)]));

  const sorted = Array.from(lat.subarray(0, done)).sort((a, b) => a - b);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const split = threadSplit(th0, th1);
  const serverCpu = {};
  let serverTotal = 0;
  for (const k of Object.keys(serverPids)) {
    const d = srv1[k] - srv0[k];
    serverTotal += d;
    serverCpu[k] = Number(((d / wall) * 100).toFixed(1));
  }
  const busy = m1.busy - m0.busy;
  const bytes = spec.op === 'upload' ? spec.uploadBytes * done : (spec.expectBytes ?? 0) * done;
  Object.assign(result, {
    requests: done,
    errors: result.errors - warmErrors,
    wall_s: wall,
    rps: done / wall,
    mib_s: bytes ? bytes / wall / 1048576 : null,
    p50_ms: pct(sorted, 0.5),
    p99_ms: pct(sorted, 0.99),
    max_ms: sorted.length ? sorted[sorted.length - 1] : null,
    cpu_s: cpuS,
    cpu_user_s: cpu.user / 1e6,
    cpu_sys_s: cpu.system / 1e6,
    cpu_us_per_req: done ? (cpuS / done) * 1e6 : null,
    threads: split,
    main_us_per_req: done ? (split.main_s / done) * 1e6 : null,
    curl_us_per_req: done ? (split.curl_s / done) * 1e6 : null,
    other_us_per_req: done ? (split.other_s / done) * 1e6 : null,
    eld_resolution_ms: eldRes,
    eld_samples: eld.count,
    eld_p50_ms: eld.count ? Math.max(0, eld.percentile(50) / 1e6 - eldRes) : null,
    eld_p99_ms: eld.count ? Math.max(0, eld.percentile(99) / 1e6 - eldRes) : null,
    eld_max_ms: eld.count ? Math.max(0, eld.max / 1e6 - eldRes) : null,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
    ...(appWork ? { app_work: appWork } : {}),
    ...(open ? { open_loop: { rate: spec.rate, achieved_rps: done / wall, max_in_flight: open.maxInFlight, over_cap: open.late } } : {}),
    memory_mb: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Number((v / 1048576).toFixed(1))])),
    server_cpu_pct: serverCpu,
    machine: {
      busy_pct: Number(((busy / wall) * 100).toFixed(1)),
      steal_pct: Number((((m1.steal - m0.steal) / wall) * 100).toFixed(1)),
      foreign_pct: Number((((busy - cpuS - serverTotal) / wall) * 100).toFixed(1)),
    },
    info: adapter.info ?? null,
  });
  result.ok = result.errors === 0 && result.warmup_errors === 0 && (done === spec.n || result.capped === true || (open !== null && done > 0));
} catch (err) {
  noteError(err && err.stack ? err.stack : err);
}

try {
  await Promise.race([adapter.close?.(), new Promise((r) => setTimeout(r, 2000).unref())]);
} catch {}
finish(result.ok ? 0 : 1);
