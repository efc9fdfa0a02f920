// Turns results/latest.json into RESULTS.md. Also runs standalone: node report.mjs [file.json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './lib/scenarios.mjs';

const OURS = ['curl-net net.request', 'curl-net net.fetch'];
const UNDICI = 'undici.request';
const UNDICI_H2 = ['undici.request h2, 1 conn × c streams', 'undici.request h2, c conns × 1 stream'];
const C_LOOP = ['C libcurl multi loop', 'C libcurl multi loop (512 KiB buffer)'];

const median = (xs) => {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const min = (xs) => { const v = xs.filter((x) => x != null && Number.isFinite(x)); return v.length ? Math.min(...v) : null; };
const max = (xs) => { const v = xs.filter((x) => x != null && Number.isFinite(x)); return v.length ? Math.max(...v) : null; };

function num(x, digits = 0) {
  if (x == null || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1000 && digits === 0) return Math.round(x).toLocaleString('en-US');
  return x.toFixed(digits);
}

const metricOf = (unit) => (unit === 'mib' ? 'mib_s' : 'rps');

/** Runs grouped: cellKey → label → [run per round] */
function group(runs) {
  const g = new Map();
  for (const r of runs) {
    if (!g.has(r.cell)) g.set(r.cell, new Map());
    const byLabel = g.get(r.cell);
    if (!byLabel.has(r.label)) byLabel.set(r.label, []);
    byLabel.get(r.label).push(r);
  }
  return g;
}

function roundValues(list, metric) {
  const m = new Map();
  for (const r of list) m.set(r.round, r.ok ? r[metric] : null);
  return m;
}

/** Per-round ratio a/b; for an array of b labels, the best b of each round. */
function ratios(byLabel, a, b, metric) {
  const ra = byLabel.get(a);
  const bs = (Array.isArray(b) ? b : [b]).map((l) => byLabel.get(l)).filter(Boolean);
  if (!ra || !bs.length) return null;
  const va = roundValues(ra, metric);
  const out = [];
  for (const [round, x] of va) {
    const ys = bs.map((l) => roundValues(l, metric).get(round)).filter((y) => y != null && y > 0);
    if (x == null || !ys.length) return null; // a failed round makes the ratio unpublishable
    out.push(x / Math.max(...ys));
  }
  return out.length ? out : null;
}

/** "1.42× [1.30–1.55]", or a note when the spread overlaps 1.0 by more than the claimed difference. */
function ratioText(rs) {
  if (!rs) return '–';
  const m = median(rs);
  if (rs.length === 1) return `${m.toFixed(2)}×¹`;
  const lo = min(rs);
  const hi = max(rs);
  const claimed = Math.abs(m - 1);
  const overlap = m >= 1 ? Math.max(0, 1 - lo) : Math.max(0, hi - 1);
  if (overlap > claimed) return `≈1 (n.s., ${lo.toFixed(2)}–${hi.toFixed(2)})`;
  return `${m.toFixed(2)}× [${lo.toFixed(2)}–${hi.toFixed(2)}]`;
}

const gibOf = (r) => (r.mib_s * r.wall_s) / 1024;

function aggregate(list, unit) {
  const ok = list.filter((r) => r.ok);
  const metric = metricOf(unit);
  const a = {
    rounds: list.length,
    ok: ok.length === list.length,
    failed: list.filter((r) => !r.ok),
    value: median(ok.map((r) => r[metric])),
    lo: min(ok.map((r) => r[metric])),
    hi: max(ok.map((r) => r[metric])),
    p50: median(ok.map((r) => r.p50_ms ?? r.mean_ms)),
    p99: median(ok.map((r) => r.p99_ms)),
    cpu: median(ok.map((r) => r.cpu_us_per_req)),
    main: median(ok.map((r) => r.main_us_per_req)),
    curl: median(ok.map((r) => r.curl_us_per_req)),
    other: median(ok.map((r) => r.other_us_per_req)),
    cpuPerGib: median(ok.map((r) => (r.mib_s && r.wall_s ? r.cpu_s / gibOf(r) : null))),
    mainPerGib: median(ok.map((r) => (r.mib_s && r.wall_s ? (r.threads?.main_s ?? r.cpu_s) / gibOf(r) : null))),
    curlPerGib: median(ok.map((r) => (r.mib_s && r.wall_s ? (r.threads?.curl_s ?? 0) / gibOf(r) : null))),
    otherPerGib: median(ok.map((r) => (r.mib_s && r.wall_s ? (r.threads?.other_s ?? 0) / gibOf(r) : null))),
    hasThreads: ok.some((r) => r.threads?.main_s != null && r.client !== 'c-multiloop'),
    rss: median(ok.map((r) => r.max_rss_mb)),
    eld: median(ok.map((r) => r.eld_p99_ms)),
    server: max(list.flatMap((r) => Object.values(r.server_cpu_pct ?? {}))),
    conns: median(list.map((r) => r.conns)),
    foreign: max(list.map((r) => r.machine?.foreign_pct)),
    flags: [...new Set(list.flatMap((r) => r.flags ?? []).map((f) => f.replace(/\s*\(.*\)$/, '')))],
    procStart: list.some((r) => r.includes_process_start),
    meanOnly: list.some((r) => r.mean_ms != null && r.p50_ms == null),
  };
  return a;
}

function cellTable(cell, byLabel) {
  const unit = cell.unit;
  const metric = metricOf(unit);
  const h2 = cell.scenario === 'h2-12b';
  const undiciRef = h2 ? UNDICI_H2 : UNDICI;
  const cRef = C_LOOP.find((l) => byLabel.has(l));
  const rows = [];
  const head = unit === 'mib'
    ? ['client', 'MiB/s median [min–max]', 'p50 ms', 'p99 ms', 'CPU s/GiB', 'main / curl / other s/GiB', 'peak RSS MB', 'ELD p99 ms', 'conns', 'server CPU %', `vs ${h2 ? 'best undici.request' : 'undici.request'}`, 'vs C loop']
    : ['client', 'req/s median [min–max]', 'p50 ms', 'p99 ms', 'CPU µs/req', 'main / curl / other µs', 'peak RSS MB', 'ELD p99 ms', 'conns', 'server CPU %', `vs ${h2 ? 'best undici.request' : 'undici.request'}`, 'vs C loop'];
  rows.push(`| ${head.join(' | ')} |`);
  rows.push(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const [label, list] of byLabel) {
    const a = aggregate(list, unit);
    const name = OURS.includes(label) ? `**${label}**` : label;
    if (!a.ok) {
      const f = a.failed[0];
      const why = String(f.first_error ?? 'failed').replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 220);
      rows.push(`| ${name} | **FAILED** ${a.failed.length}/${a.rounds}: ${why} |${' |'.repeat(head.length - 2)}`);
      continue;
    }
    const spread = a.rounds > 1 ? ` [${num(a.lo, unit === 'mib' ? 0 : 0)}–${num(a.hi, 0)}]` : '';
    const flag = a.flags.length ? ` ⚠ ${a.flags.join(', ')}` : '';
    const isRef = (Array.isArray(undiciRef) ? undiciRef.includes(label) : label === undiciRef);
    const vsU = isRef ? (h2 ? '–' : '1.00') : ratioText(ratios(byLabel, label, undiciRef, metric));
    const vsC = cRef && label === cRef ? '1.00' : cRef ? ratioText(ratios(byLabel, label, cRef, metric)) : '–';
    const split = !a.hasThreads ? '–' : unit === 'mib'
      ? `${num(a.mainPerGib, 2)} / ${num(a.curlPerGib, 2)} / ${num(a.otherPerGib, 2)}`
      : `${num(a.main, 1)} / ${num(a.curl, 1)} / ${num(a.other, 1)}`;
    const p50 = a.meanOnly ? `${num(a.p50, 3)} (mean)` : num(a.p50, 3);
    rows.push(`| ${name}${a.procStart ? ' †' : ''} | ${num(a.value, 0)}${spread} | ${p50} | ${num(a.p99, 3)} | ${unit === 'mib' ? num(a.cpuPerGib, 2) : num(a.cpu, 1)} | ${split} | ${num(a.rss, 0)} | ${num(a.eld, 2)} | ${num(a.conns, 0)} | ${num(a.server, 0)}${flag} | ${vsU} | ${vsC} |`);
  }
  return rows.join('\n');
}

function noisyNote(runs) {
  const f = new Set(runs.flatMap((r) => (r.flags ?? []).map((x) => x.replace(/\s*\(.*\)$/, ''))));
  return f.size ? ` ⚠ ${[...f].join(', ')}` : '';
}

function evaluateTargets(g) {
  const out = [];
  for (const t of TARGETS) {
    const byLabel = g.get(t.cell);
    const ours = byLabel?.get(t.of);
    if (!byLabel || !ours) { out.push({ t, status: 'not measured', value: 'cell not run' }); continue; }
    const a = aggregate(ours, t.cell.startsWith('dl') || t.cell.startsWith('ul') || t.cell.startsWith('eld') ? 'mib' : 'rps');
    if (!a.ok) {
      const why = String(a.failed[0].first_error);
      out.push({ t, status: 'not measured', value: a.failed[0].skipped ? 'curl-net did not load (see above)' : `curl-net FAILED: ${why.slice(0, 100)}` });
      continue;
    }
    if (t.kind === 'ratio') {
      const metric = t.cell.startsWith('dl') || t.cell.startsWith('ul') ? 'mib_s' : 'rps';
      const rs = ratios(byLabel, t.of, t.vs, metric);
      if (!rs) { out.push({ t, status: 'not measured', value: 'reference failed' }); continue; }
      const m = median(rs);
      const refs = (Array.isArray(t.vs) ? t.vs : [t.vs]).flatMap((l) => byLabel.get(l) ?? []);
      out.push({ t, status: m >= t.min ? 'met' : 'missed', value: `${m.toFixed(2)}×${rs.length > 1 ? ` [${min(rs).toFixed(2)}–${max(rs).toFixed(2)}]` : ' (1 round)'}${noisyNote([...ours, ...refs])}` });
    } else {
      const v = median(ours.filter((r) => r.ok).map((r) => r[t.metric]));
      const met = t.max != null ? (t.strict ? v < t.max : v <= t.max) : v >= t.min;
      const unit = t.metric === 'mib_s' ? ` MiB/s (${(v / 1024).toFixed(2)} GiB/s)` : t.metric === 'eld_p99_ms' ? ' ms' : ' µs';
      out.push({ t, status: v == null ? 'not measured' : met ? 'met' : 'missed', value: `${num(v, t.metric === 'mib_s' ? 0 : 2)}${unit}${noisyNote(ours)}` });
    }
  }
  return out;
}

export function renderReport(data) {
  const g = group(data.runs);
  const env = data.env;
  const L = [];
  const quick = data.options.quick;
  L.push('# curl-net benchmark results');
  L.push('');
  L.push(`Generated by \`benchmarks/run.mjs\` (${quick ? '**quick run**: one round, small counts — a smoke test of the harness, not a verdict' : `full run, ${data.options.rounds} interleaved rounds`}) on ${env.date.slice(0, 16).replace('T', ' ')} UTC. Raw data: \`benchmarks/results/latest.json\`. Re-run with \`npm run bench\` (full) or \`npm run bench -- --quick\` from the repository root.`);
  L.push('');
  const cn = data.runs.filter((r) => r.client.startsWith('curl-net'));
  const cnOk = cn.filter((r) => r.ok).length;
  const probes = data.curl_net_probe ?? [];
  if (!cn.length) L.push('> **curl-net was not part of this run.**');
  else if (cnOk === 0) L.push(`> **curl-net did not run successfully in any cell** (${cn.length} attempts). First reason: \`${String((cn.find((r) => r.first_error) ?? {}).first_error).slice(0, 300)}\`. Its rows below say FAILED; no numbers are published for it.`);
  else if (cnOk < cn.length) L.push(`> curl-net ran in ${cnOk} of ${cn.length} client runs; the others are marked FAILED with their first error.`);
  else L.push(`> curl-net ran in all ${cn.length} of its client runs.`);
  if (probes.length) L.push(`>\n> Load probe per round: ${probes.map((p) => `round ${p.round}: ${p.ok ? 'ok' : p.error}`).join('; ')}`);
  L.push('');

  // targets
  L.push('## Targets (issue #4)');
  L.push('');
  L.push('Evaluated on the pinned cells (client on CPU0, servers on CPU1), medians over rounds; ratios are per-round ratios.');
  L.push('');
  L.push('| target | measured (curl-net net.request; "prebuilt" rows: the npm prebuild) | status |');
  L.push('|---|---|---|');
  for (const e of evaluateTargets(g)) L.push(`| ${e.t.text} | ${e.value} | ${e.status === 'met' ? '✅ met' : e.status === 'missed' ? '❌ missed' : '– not measured'} |`);
  L.push('');

  // machine
  L.push('## Machine and versions');
  L.push('');
  const h = env.host;
  const v = env.versions;
  L.push(`- CPU: ${h.cpu_model} (${h.cpu_family_model}), ${h.cpus} vCPU${h.hypervisor ? ', virtual machine' : ''}; RAM ${h.mem_gib} GiB; ${h.os}; kernel ${h.kernel}`);
  L.push(`- Node ${v.node} (OpenSSL ${v.node_openssl}, bundled undici ${v.node_bundled_undici}); **undici ${v.undici}** (npm, pinned)`);
  L.push(`- libcurl (system, used by the C loop and the addon): \`${v.libcurl}\`; curl CLI: \`${v.curl_cli}\``);
  if (v.libcurl_bundled) L.push(`- Bundled libcurl (the prebuilt addon \`prebuilds/linux-x64/curl-net.napi.glibc.node\`, loaded with \`PREBUILDS_ONLY=1\`, and \`c/multiloop-bundled\` linked against the same static libraries): \`${v.libcurl_bundled}\``);
  L.push(`- ${v.nginx}; ${v.openssl}; ${v.tinyproxy ?? 'no tinyproxy'}; ${v.wrk}; h2load ${v.h2load}; gcc ${v.gcc}`);
  L.push(`- curl-net ${v.curl_net} at \`${v.curl_net_git}\` (loaded from ${v.curl_net_path ?? "require('../')"}); node-libcurl: ${v.node_libcurl}`);
  L.push(`- Setup: servers pinned to CPU${env.setup.server_cpu} (${env.setup.nginx}; Node upload sink; ${env.setup.proxy} CONNECT proxy). Pinned mode: client on CPU${env.setup.client_cpu_pinned} with \`taskset -c 0\`. Unpinned mode: the client may use both CPUs and competes with the server on CPU1.`);
  L.push('');
  L.push('| round | start (UTC) | wall s | loadavg start → end | steal % | machine busy % | noisy runs | noisy? |');
  L.push('|---:|---|---:|---|---:|---:|---:|---|');
  for (const r of data.rounds) {
    L.push(`| ${r.round} | ${r.start.slice(11, 19)} | ${r.wall_s.toFixed(0)} | ${r.loadavg_start.join(' ')} → ${r.loadavg_end.join(' ')} | ${r.steal_pct} | ${r.busy_pct} | ${r.noisy_runs} | ${r.noisy ? '**yes**' : 'no'} |`);
  }
  L.push('');

  // method
  L.push('## How to read the tables');
  L.push('');
  L.push('- Every client runs in its own fresh process per cell and round; rounds are interleaved (A B C …, A B C …). Values are medians over rounds with [min–max]; ratio columns are medians of per-round ratios with [min–max]. `¹` = one round only, no spread. A ratio whose spread overlaps 1.0 by more than the difference it would claim is shown as `≈1 (n.s.)`.');
  L.push('- Same in-flight concurrency for everyone, no pipelining: undici `Agent({connections: c, pipelining: 1})`, node:http `Agent({keepAlive: true, maxSockets: c})`, C loop `CURLMOPT_MAX_HOST_CONNECTIONS = c`, curl `--parallel-max c`, wrk `-c c`. HTTP/2: node:http2 one session with c streams; C loop and curl multiplex on one connection (PIPEWAIT); undici is shown with both settings (`c conns × 1 stream` is pipelining 1; undici 7 multiplexes h2 only with pipelining > 1, so `1 conn × c streams` uses pipelining c); h2load `-c1 -m c`.');
  L.push('- Latency is per request, from the API call to the end of the body (closed loop, so tails are understated). CPU is `process.cpuUsage()` over the measured phase; the thread split reads `/proc/self/task/*/schedstat`: main = the JS thread, curl = the thread named `curl-net`, other = libuv pool, V8 and the rest. Peak RSS is `process.resourceUsage().maxRSS` (whole process lifetime, one client per process). ELD = how late a timer runs on the JS thread: `perf_hooks.monitorEventLoopDelay` p99 minus its resolution (1 ms in the event-loop cell, 10 ms elsewhere), over the measured phase.');
  L.push('- conns = TCP connections nginx accepted during the client\'s whole process (warm-up included; read from nginx `stub_status`), the check that everyone used c connections (HTTP/1.1), one connection (HTTP/2) or one per request (TLS handshake cells). Through the proxy it counts the proxy\'s upstream connections, and a run fails unless the proxy logged at least one CONNECT from it.');
  L.push('- Server CPU % = the server process(es) CPU time over the measured phase; ⚠ server-bound marks > 70% of its core (the number is then a server limit, expected for wrk/h2load). ⚠ noisy marks > 25% of a core used by other processes on the machine during the run. † = includes process start-up (curl CLI), no warm-up.');
  L.push('- Correctness gates: every status 2xx, every body the expected size (uploads: the sink\'s byte count), 0 errors, in warm-up and measured phase. A run that fails a gate is FAILED, never slow.');
  L.push('');

  // tables
  const cells = data.cells ?? [];
  let lastScenario = null;
  for (const cell of cells) {
    const byLabel = g.get(cell.key);
    if (!byLabel) continue;
    if (cell.scenario !== lastScenario) {
      L.push(`## ${sectionTitle(cell.scenario)}`);
      L.push('');
      lastScenario = cell.scenario;
    }
    const first = [...byLabel.values()][0][0];
    L.push(`### ${cell.title} — ${cell.mode}`);
    L.push('');
    L.push(`${cell.n} requests${cell.durationS ? ` or ${cell.durationS} s` : ''} after ${cell.warmup} warm-up, c = ${cell.c}${first ? '' : ''}.`);
    L.push('');
    L.push(cellTable(cell, byLabel));
    L.push('');
  }

  L.push('## Not measured / notes');
  L.push('');
  L.push(`- node-libcurl: ${v.node_libcurl}. On this machine \`npm install node-libcurl@5.1.2\` fails (engines >= 22.14, prebuilt download from GitHub unreachable, source build against libcurl 7.88.1 fails on \`curl_ws_start_frame\`), and 4.1.0 needs a git dependency from GitHub; the C libcurl loop is the libcurl yardstick instead.`);
  L.push('- h2c (HTTP/2 cleartext) is not benchmarked: Debian\'s libcurl 7.88.1 breaks prior-knowledge h2c on connection reuse (curl #10634, fixed in 8.0).');
  L.push('- No open-loop (fixed-rate) latency pass yet; the closed loop understates tail latency.');
  L.push('- Bulk downloads over loopback: the kernel copies the data in the sender\'s context, so nginx\'s core (sendfile) is busy in proportion to the rate; the fastest clients reach nginx\'s one-core limit (⚠ server-bound). Those cells measure "at least this fast", and the 2.5 GiB/s target sits close to that limit.');
  L.push('- Full run: estimated at about 15 minutes per round from its counts and time caps (≈ 45 minutes for the default 3 rounds); not timed yet.');
  L.push('');
  return L.join('\n');
}

function sectionTitle(s) {
  return {
    'h1-12b': 'S1 — small GETs, HTTP/1.1 keep-alive, 12 B body',
    'h1-64k': 'S1 — GETs, HTTP/1.1 keep-alive, 64 KiB body',
    'h2-12b': 'S2 — HTTP/2 over TLS, one connection, N streams',
    'dl-1g': 'S3 — 1 GiB download',
    'ul-100m': 'S4 — 100 MiB chunked upload',
    'tls-ecdsa': 'S5 — new TLS connections, ECDSA P-256',
    'tls-rsa': 'S5 — new TLS connections, RSA-2048',
    proxy: 'S6 — CONNECT proxy',
    eld: 'S7 — event-loop delay while 64 downloads run',
  }[s] ?? s;
}

export function writeReport(data, file) {
  fs.writeFileSync(file, renderReport(data));
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const src = process.argv[2] ?? path.join(here, 'results', 'latest.json');
  const data = JSON.parse(fs.readFileSync(src, 'utf8'));
  console.log(writeReport(data, path.join(here, 'RESULTS.md')));
}
