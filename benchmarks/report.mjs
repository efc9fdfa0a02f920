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

/** A run's value of a target metric (cpu_s_per_gib is derived). */
function metricValue(run, metric) {
  if (!run.ok) return null;
  if (metric === 'cpu_s_per_gib') return run.mib_s && run.wall_s ? run.cpu_s / gibOf(run) : null;
  return run[metric] ?? null;
}

const METRIC_UNIT = { rss_per_open_kb: 'KB', rps: 'req/s', mib_s: 'MiB/s', main_us_per_req: 'µs', curl_us_per_req: 'µs', cpu_us_per_req: 'µs', p99_ms: 'ms', eld_p99_ms: 'ms', cpu_s_per_gib: 's/GiB' };

/** Per-round ratios for a target: `of` over the best reference of the same round. */
function targetRatios(byLabel, t) {
  const ours = byLabel.get(t.of) ?? [];
  const refs = (Array.isArray(t.vs) ? t.vs : [t.vs]).map((l) => byLabel.get(l) ?? []);
  const out = [];
  const unequal = [];
  for (const run of ours) {
    const x = metricValue(run, t.metric);
    const ys = refs.map((list) => list.find((r) => r.round === run.round)).filter((r) => r && metricValue(r, t.vsMetric ?? t.metric) > 0);
    if (x == null || !ys.length) return null;
    const pick = t.max != null ? Math.min : Math.max;
    const best = pick(...ys.map((r) => metricValue(r, t.vsMetric ?? t.metric)));
    if (t.equalAppWork) {
      const refWork = Math.max(...ys.map((r) => r.app_work?.app_duty_pct ?? 0));
      if ((run.app_work?.app_duty_pct ?? 0) < refWork - 2) unequal.push(`round ${run.round}: ${num(run.app_work?.app_duty_pct, 0)}% vs ${num(refWork, 0)}% app work`);
    }
    out.push(x / best);
  }
  return out.length ? { rs: out, unequal } : null;
}

function evaluateTargets(g) {
  const out = [];
  for (const t of TARGETS) {
    const byLabel = g.get(t.cell);
    const ours = byLabel?.get(t.of);
    if (!byLabel || !ours) { out.push({ t, status: 'not measured', value: 'cell not run' }); continue; }
    const failed = ours.filter((r) => !r.ok);
    if (failed.length) {
      const why = String(failed[0].first_error);
      out.push({ t, status: 'not measured', value: failed[0].skipped ? 'curl-net did not load (see above)' : `FAILED: ${why.slice(0, 100)}` });
      continue;
    }
    if (t.kind === 'ratio') {
      const r = targetRatios(byLabel, t);
      if (!r) { out.push({ t, status: 'not measured', value: 'reference failed or not run' }); continue; }
      const m = median(r.rs);
      const refs = (Array.isArray(t.vs) ? t.vs : [t.vs]).flatMap((l) => byLabel.get(l) ?? []);
      const met = (t.min == null || m >= t.min) && (t.max == null || m <= t.max) && r.unequal.length === 0;
      const note = r.unequal.length ? ` ⚠ unequal app work (${r.unequal.join('; ')})` : '';
      out.push({ t, status: met ? 'met' : 'missed', value: `${m.toFixed(2)}×${r.rs.length > 1 ? ` [${min(r.rs).toFixed(2)}–${max(r.rs).toFixed(2)}]` : ' (1 round)'}${note}${noisyNote([...ours, ...refs])}` });
    } else {
      const v = median(ours.map((r) => metricValue(r, t.metric)));
      const met = v != null && (t.max != null ? (t.strict ? v < t.max : v <= t.max) : v >= t.min);
      const unit = t.metric === 'mib_s' ? ` MiB/s (${(v / 1024).toFixed(2)} GiB/s)` : ` ${METRIC_UNIT[t.metric] ?? ''}`;
      out.push({ t, status: v == null ? 'not measured' : met ? 'met' : 'missed', value: `${num(v, t.metric === 'mib_s' ? 0 : 2)}${unit}${noisyNote(ours)}` });
    }
  }
  return out;
}

const escapeXml = (x) => String(x).replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]);

/** One target's cell as a horizontal bar chart (SVG, drawn here, no dependencies): the median
 * of the target's metric for every client in the cell, ours highlighted, and the bound as a
 * dashed line (for a ratio: the bound times the reference's median). */
export function targetChart(t, byLabel) {
  const rows = [];
  for (const [label, list] of byLabel) {
    const metric = label === t.of || t.vsMetric == null ? t.metric : (Array.isArray(t.vs) ? t.vs : [t.vs]).includes(label) ? t.vsMetric : t.metric;
    const v = median(list.map((r) => metricValue(r, metric)));
    // A metric a client does not have (no curl thread in undici) is left out, not drawn as 0.
    if (v != null && v > 0) rows.push({ label, v, ours: label === t.of, ref: (Array.isArray(t.vs) ? t.vs : [t.vs]).includes(label) });
  }
  if (!rows.length) return null;
  let bound = null;
  if (t.kind === 'value') bound = t.max ?? t.min;
  else {
    const refs = rows.filter((r) => r.ref).map((r) => r.v);
    if (refs.length) bound = (t.max ?? t.min) * (t.max != null ? Math.min(...refs) : Math.max(...refs));
  }
  const W = 740, labelW = 300, barH = 18, gap = 6, top = 34, right = 110;
  const H = top + rows.length * (barH + gap) + 24;
  const top1 = Math.max(...rows.map((r) => r.v), bound ?? 0) || 1;
  const x = (v) => labelW + (v / top1) * (W - labelW - right);
  const unit = METRIC_UNIT[t.metric] ?? '';
  const lines = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-weight="bold">${escapeXml(t.text)}</text>`];
  rows.forEach((r, i) => {
    const y = top + i * (barH + gap);
    lines.push(`<text x="${labelW - 6}" y="${y + 13}" text-anchor="end"${r.ours ? ' font-weight="bold"' : ''}>${escapeXml(r.label.length > 46 ? `${r.label.slice(0, 45)}…` : r.label)}</text>`);
    lines.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, x(r.v) - labelW).toFixed(1)}" height="${barH}" fill="${r.ours ? '#d9480f' : r.ref ? '#1c7ed6' : '#adb5bd'}"/>`);
    lines.push(`<text x="${(x(r.v) + 4).toFixed(1)}" y="${y + 13}">${escapeXml(num(r.v, r.v < 1 ? 2 : r.v < 100 ? 1 : 0))} ${escapeXml(unit)}</text>`);
  });
  if (bound != null) {
    const bx = x(bound).toFixed(1);
    lines.push(`<line x1="${bx}" y1="${top - 6}" x2="${bx}" y2="${H - 20}" stroke="#2b8a3e" stroke-width="2" stroke-dasharray="5,4"/>`);
    lines.push(`<text x="${bx}" y="${H - 6}" text-anchor="middle" fill="#2b8a3e">target ${escapeXml(num(bound, bound < 1 ? 2 : bound < 100 ? 1 : 0))} ${escapeXml(unit)}</text>`);
  }
  lines.push('</svg>');
  return lines.join('\n');
}

export function renderReport(data, chartDir = null, chartLink = 'charts', source = 'benchmarks/results/latest.json') {
  const g = group(data.runs);
  const env = data.env;
  const L = [];
  const quick = data.options.quick;
  L.push('# curl-net benchmark results');
  L.push('');
  L.push(`Generated by \`benchmarks/run.mjs\` (${quick ? '**quick run**: one round, small counts — a smoke test of the harness, not a verdict' : `full run, ${data.options.rounds} interleaved rounds`}) on ${env.date.slice(0, 16).replace('T', ' ')} UTC. Raw data: \`${source}\`. Re-run with \`npm run bench\` (full) or \`npm run bench -- --quick\` from the repository root.`);
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
  L.push('## Targets (issue #16)');
  L.push('');
  L.push('Each target names its cell (pinned: client on CPU0, servers on CPU1; unpinned: the client may use both). Medians over rounds; ratios are per-round ratios. Cells not in this run are "not measured". Each target cell\'s chart is next to its table below.');
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
    for (const t of TARGETS.filter((x) => x.cell === cell.key)) {
      const svg = targetChart(t, byLabel);
      if (svg === null || chartDir === null) continue;
      fs.mkdirSync(chartDir, { recursive: true });
      fs.writeFileSync(path.join(chartDir, `${t.id}.svg`), svg);
      L.push(`![${t.text}](${chartLink}/${t.id}.svg)`);
      L.push('');
    }
    L.push(cellTable(cell, byLabel));
    L.push('');
  }

  L.push('## Not measured / notes');
  L.push('');
  L.push(`- node-libcurl: ${v.node_libcurl}. On this machine \`npm install node-libcurl@5.1.2\` fails (engines >= 22.14, prebuilt download from GitHub unreachable, source build against libcurl 7.88.1 fails on \`curl_ws_start_frame\`), and 4.1.0 needs a git dependency from GitHub; the C libcurl loop is the libcurl yardstick instead.`);
  L.push('- h2c (HTTP/2 cleartext) is not benchmarked: Debian\'s libcurl 7.88.1 breaks prior-knowledge h2c on connection reuse (curl #10634, fixed in 8.0).');
  L.push('- The open-loop cell (S10) is the tail-latency view: requests arrive at a fixed rate whatever the client does, and latency counts from when each was due.');
  L.push('- Not in the harness yet: the 1 GiB download with nginx `tcp_nopush off` (the cell runs with nginx as configured above: on).');
  L.push('- The open-responses cell (S11) reports heads per second as req/s; its RSS per open request is `rss_per_open_kb` in the raw data and in the target line, and `v8_new_per_open_kb` / `v8_old_per_open_kb` say how much of it is V8\'s young generation (which grows to its maximum during the burst whatever a request keeps) and the rest of V8\'s heap; the remainder is native memory.');
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
    cookies: 'S8 — cookies on the JS thread',
    busy: 'S9 — a busy main thread (desktop app)',
    openloop: 'S10 — open loop (fixed arrival rate)',
    open: 'S11 — 5,000 open responses',
  }[s] ?? s;
}

export function writeReport(data, file, source = undefined) {
  const base = path.basename(file, '.md');
  // RESULTS.md's charts are charts/<id>.svg; another report's are charts/<report>/<id>.svg.
  const chartDir = base === 'RESULTS' ? 'charts' : `charts/${base}`;
  fs.writeFileSync(file, renderReport(data, path.join(path.dirname(file), chartDir), chartDir, source));
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // node report.mjs [results.json] [--out FILE.md]: another run's report next to RESULTS.md
  // (its charts go to charts/ as well, named by target).
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt === -1 ? path.join(here, 'RESULTS.md') : path.resolve(args[outAt + 1]);
  if (outAt !== -1) args.splice(outAt, 2);
  const src = args[0] ?? path.join(here, 'results', 'latest.json');
  const data = JSON.parse(fs.readFileSync(src, 'utf8'));
  console.log(writeReport(data, out, `benchmarks/${path.relative(here, path.resolve(src))}`));
}
