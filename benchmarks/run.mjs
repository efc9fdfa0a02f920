// The benchmark harness: starts the servers, runs every client of every cell in its own fresh
// process, in interleaved rounds (A B C …, A B C …), and writes results/latest.json and RESULTS.md.
//
//   node run.mjs [--quick] [--rounds N] [--scenarios h1,h2,dl,ul,tls,proxy,eld,h1-12b,h1-64k,cookies,busy,openloop,open]
//                [--modes pinned,unpinned] [--clients substr,substr] [--no-report]
//
// From the repository root: npm run bench -- --quick --scenarios=h1,h2 (npm turns the flags into
// npm_config_* variables, so options with a value need the --name=value form there).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServers, serverVersions, nginxAccepts, proxyConnects } from './lib/servers.mjs';
import { buildCells, clientLabel } from './lib/scenarios.mjs';
import { processCpuSeconds, machineCpu, loadavg } from './lib/procstat.mjs';
import { writeReport } from './report.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(benchDir, 'results');
const C_DIR = path.join(benchDir, 'c');

// ---------------------------------------------------------------- options
function parseOptions(argv) {
  const env = process.env;
  // Through `npm run bench -- …` from the repository root the flags reach us as npm config
  // (npm_config_*); values only survive in the --name=value form there.
  const fromNpm = (name) => (env[`npm_config_${name}`] && env[`npm_config_${name}`] !== 'true' ? env[`npm_config_${name}`] : null);
  const o = {
    quick: env.npm_config_quick === 'true',
    rounds: fromNpm('rounds') ? Number(fromNpm('rounds')) : null,
    only: fromNpm('scenarios')?.split(',') ?? null,
    modes: fromNpm('modes')?.split(',') ?? ['pinned', 'unpinned'],
    clients: fromNpm('clients')?.split(',') ?? null,
    report: env.npm_config_report !== 'false',
  };
  const valued = ['rounds', 'scenarios', 'modes', 'clients'];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let val = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { val = a.slice(eq + 1); a = a.slice(0, eq); }
    const v = () => val ?? argv[++i];
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--scenarios') o.only = v().split(',');
    else if (a === '--modes') o.modes = v().split(',');
    else if (a === '--clients') o.clients = v().split(',');
    else if (a === '--no-report') o.report = false;
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 10).join('\n'));
      process.exit(0);
    } else {
      const hint = valued.some((k) => env[`npm_config_${k}`] === 'true')
        ? ' (through npm from the repository root write options as --name=value, e.g. --scenarios=h1,h2)' : '';
      throw new Error(`unknown option ${a}${hint}`);
    }
  }
  o.rounds ??= o.quick ? 1 : 3;
  return o;
}

const opts = parseOptions(process.argv.slice(2));
fs.mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const logFile = path.join(resultsDir, `run-${stamp}.log`);
const log = (msg) => {
  const line = `[${new Date().toISOString().slice(11, 19)}] ${msg}`;
  console.log(line);
  fs.appendFileSync(logFile, line + '\n');
};

// ---------------------------------------------------------------- helpers
function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return (String(e.stdout || '') + String(e.stderr || '')).trim() || null;
  }
}

const childEnv = (() => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(http|https|all|no|ftp)_proxy$/i.test(k) || k.startsWith('npm_')) delete env[k];
  }
  return env;
})();

function pinPrefix(mode) {
  return mode === 'pinned' ? ['taskset', '-c', '0'] : [];
}

function runProcess(argv, { timeoutS, stdout = 'pipe', stderrFile = null, env = childEnv, cwd = benchDir }) {
  return new Promise((resolve) => {
    const errFd = stderrFile ? fs.openSync(stderrFile, 'w') : 'pipe';
    const outFd = stdout === 'null' ? fs.openSync('/dev/null', 'w') : stdout;
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', outFd, errFd], detached: true });
    current.child = child;
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => { out += d; if (out.length > 1e6) out = out.slice(-1e6); });
    child.stderr?.on('data', (d) => { err += d; if (err.length > 20000) err = err.slice(-20000); });
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current.child = null;
      if (typeof errFd === 'number') fs.closeSync(errFd);
      if (typeof outFd === 'number') fs.closeSync(outFd);
      resolve({ code, signal, out, err });
    });
    child.on('error', (e) => { err += String(e); });
  });
}

const current = { child: null };

function serverPidsFor(cell, srv) {
  return Object.fromEntries(cell.servers.map((s) => [s, srv.pids[s]]));
}

function sampleOutside(cell, srv) {
  const pids = serverPidsFor(cell, srv);
  return { t: process.hrtime.bigint(), m: machineCpu(), srv: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, processCpuSeconds(p)])) };
}

function outsideMetrics(before, after, clientCpuS) {
  const wall = Number(after.t - before.t) / 1e9;
  const server = {};
  let total = 0;
  for (const k of Object.keys(before.srv)) {
    const d = after.srv[k] - before.srv[k];
    total += d;
    server[k] = Number(((d / wall) * 100).toFixed(1));
  }
  const busy = after.m.busy - before.m.busy;
  return {
    server_cpu_pct: server,
    machine: {
      busy_pct: Number(((busy / wall) * 100).toFixed(1)),
      steal_pct: Number((((after.m.steal - before.m.steal) / wall) * 100).toFixed(1)),
      foreign_pct: Number((((busy - clientCpuS - total) / wall) * 100).toFixed(1)),
    },
  };
}

// ---------------------------------------------------------------- runners
async function runNode(cell, cl, srv, tmp) {
  const resultFile = path.join(tmp, `r-${process.pid}-${Date.now()}.json`);
  const spec = {
    client: cl.client, variant: cl.variant ?? null, op: cell.op, url: cell.url, n: cell.n, warmup: cell.warmup, c: cell.c,
    expectBytes: cell.expectBytes ?? null, uploadBytes: cell.uploadBytes ?? null, chunk: cell.chunk ?? 65536,
    h2: !!cell.h2, ca: srv.ca, proxy: cell.proxy ?? null, fresh: !!cell.fresh, durationS: cell.durationS,
    eldResolutionMs: cell.scenario === 'eld' ? 1 : 10, timeoutS: cell.timeoutS ?? 60, stallS: cell.stallS ?? 10, serverPids: serverPidsFor(cell, srv), resultFile,
    appWork: cell.appWork ?? null, rate: cell.rate ?? null,
  };
  const env = { ...childEnv, NODE_EXTRA_CA_CERTS: srv.ca };
  if (cl.variant === 'bundled') env.PREBUILDS_ONLY = '1';
  const gcFlag = cell.op === 'hold' ? ['--expose-gc'] : []; // RSS is read after a full collection
  const r = await runProcess([...pinPrefix(cell.mode), process.execPath, ...gcFlag, 'client.mjs', JSON.stringify(spec)], { timeoutS: spec.timeoutS + 15, env });
  let res;
  try {
    res = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
    fs.rmSync(resultFile, { force: true });
  } catch {
    res = { ok: false, first_error: `client process ended (code ${r.code}, signal ${r.signal}) without a result: ${r.err.trim().split('\n').slice(-3).join(' | ')}` };
  }
  if (!res.ok && r.err.trim()) res.stderr_tail = r.err.trim().split('\n').slice(-5).join('\n');
  return res;
}

async function runMultiloop(cell, cl, srv) {
  const args = [path.join(C_DIR, cl.variant === 'bundled' ? 'multiloop-bundled' : 'multiloop'), '--url', cell.url, '--n', String(cell.n), '--c', String(cell.c),
    '--warmup', String(cell.warmup), '--timeout', String(cell.timeoutS ?? 60),
    '--server-pids', cell.servers.map((s) => srv.pids[s]).join(',')];
  if (cell.durationS) args.push('--duration', String(cell.durationS));
  if (cell.expectBytes != null) args.push('--expect', String(cell.expectBytes));
  if (cell.op === 'upload') args.push('--upload', String(cell.uploadBytes), '--chunk', String(cell.chunk ?? 65536));
  if (cell.h2) args.push('--h2');
  if (cell.url.startsWith('https:')) args.push('--cacert', srv.ca);
  if (cell.proxy) args.push('--proxy', cell.proxy);
  if (cell.fresh) args.push('--fresh');
  if (cl.variant === 'buf512k') args.push('--bufsize', String(512 * 1024));
  if (cl.variant === 'curl-net-headers') {
    const sent = curlNetRequestHeaders;
    if (!sent) return { ok: false, first_error: 'not run: the curl-net probe did not capture its request headers' };
    // libcurl adds Accept: */* unless told not to; curl-net sends none (as Chromium).
    if (!sent.some((line) => /^accept:/i.test(line))) args.push('--header', 'Accept:');
    for (const line of sent) {
      const encoding = /^accept-encoding:\s*(.*)$/i.exec(line);
      if (encoding) args.push('--accept-encoding', encoding[1]);
      else args.push('--header', line);
    }
  }
  const r = await runProcess([...pinPrefix(cell.mode), ...args], { timeoutS: (cell.timeoutS ?? 60) + 15 });
  try {
    const res = JSON.parse(r.out.trim().split('\n').pop());
    const pct = res.server_cpu_pct;
    res.server_cpu_pct = Object.fromEntries(cell.servers.map((s, i) => [s, pct[i]]));
    res.main_us_per_req = res.cpu_us_per_req;
    res.curl_us_per_req = 0;
    res.other_us_per_req = 0;
    res.info = { libcurl: res.libcurl, bufsize: cl.variant === 'buf512k' ? 524288 : 'default (16 KiB)', argv: args.slice(1).join(' ') };
    delete res.libcurl;
    return res;
  } catch {
    return { ok: false, first_error: `multiloop failed (code ${r.code}): ${r.err.trim().slice(-300)}` };
  }
}

async function runCurlCli(cell, cl, srv, tmp) {
  const n = cell.unit === 'mib' ? cell.n : cell.n;
  const args = ['-s', '--no-progress-meter', '-w', '%{stderr}%{http_code} %{size_download} %{size_upload}\\n'];
  if (cell.c > 1) args.push('-Z', '--parallel-max', String(Math.min(cell.c, 300)));
  args.push(cell.h2 ? '--http2' : '--http1.1');
  if (cell.url.startsWith('https:')) args.push('--cacert', srv.ca);
  if (cell.proxy) args.push('-x', cell.proxy);
  if (cell.fresh) args.push('-H', 'Connection: close', '--no-sessionid');
  if (cell.op === 'upload') args.push('-T', srv.uploadFile, '-H', 'Transfer-Encoding: chunked', '-H', 'Expect:');
  args.push(`${cell.url}?[1-${n}]`);
  const statFile = path.join(tmp, 'runstat.json');
  const errFile = path.join(tmp, 'curl.stderr');
  const timeoutS = (cell.timeoutS ?? 60) * 2;
  const before = sampleOutside(cell, srv);
  const r = await runProcess([...pinPrefix(cell.mode), path.join(C_DIR, 'runstat'), statFile, String(timeoutS), '--', 'curl', ...args],
    { timeoutS: timeoutS + 15, stdout: cell.op === 'upload' ? 'pipe' : 'null', stderrFile: errFile });
  const after = sampleOutside(cell, srv);
  let st;
  try { st = JSON.parse(fs.readFileSync(statFile, 'utf8')); } catch { return { ok: false, first_error: `curl CLI did not run (code ${r.code})` }; }
  const lines = fs.readFileSync(errFile, 'utf8').split('\n').filter(Boolean);
  let errors = 0;
  let first = null;
  for (const line of lines) {
    const m = /^(\d{3}) (\d+) (\d+)$/.exec(line);
    const bad = !m ? `curl: ${line}` : (Number(m[1]) < 200 || Number(m[1]) > 299) ? `HTTP status ${m[1]}`
      : cell.op === 'upload' ? (Number(m[3]) < cell.uploadBytes ? `uploaded ${m[3]} bytes (with chunk framing)` : null)
        : Number(m[2]) !== cell.expectBytes ? `body ${m[2]} bytes, expected ${cell.expectBytes}` : null;
    if (bad) { errors++; first ??= bad; }
  }
  const done = lines.filter((l) => /^\d{3} /.test(l)).length;
  if (done !== n) { errors += n - done; first ??= `${done} of ${n} transfers reported`; }
  if (cell.op === 'upload' && r.out !== String(cell.uploadBytes).repeat(n)) { errors++; first ??= `sink answered "${r.out.slice(0, 60)}"`; }
  const cpuS = st.cpu_user_s + st.cpu_sys_s;
  const bytes = cell.op === 'upload' ? cell.uploadBytes * n : (cell.expectBytes ?? 0) * n;
  return {
    ok: errors === 0 && st.exit === 0 && !st.timed_out,
    requests: done, errors, first_error: first ?? (st.exit ? `curl exit ${st.exit}` : null),
    wall_s: st.wall_s, rps: done / st.wall_s, mib_s: bytes ? bytes / st.wall_s / 1048576 : null,
    cpu_s: cpuS, cpu_us_per_req: (cpuS / n) * 1e6, main_us_per_req: (cpuS / n) * 1e6, curl_us_per_req: 0, other_us_per_req: 0,
    max_rss_mb: st.max_rss_mb, includes_process_start: true,
    ...outsideMetrics(before, after, cpuS),
    info: { argv: `curl ${args.join(' ')}` },
  };
}

function parseDuration(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s);
  if (!m) return null;
  const v = Number(m[1]);
  return { us: v / 1000, ms: v, s: v * 1000, m: v * 60000 }[m[2]];
}

async function runWrk(cell, cl, srv, tmp) {
  const d = Math.max(2, cell.durationS);
  const args = ['-t1', `-c${cell.c}`, `-d${d}s`, '--latency', cell.url];
  const statFile = path.join(tmp, 'runstat.json');
  const before = sampleOutside(cell, srv);
  const r = await runProcess([...pinPrefix(cell.mode), path.join(C_DIR, 'runstat'), statFile, String(d + 30), '--', 'wrk', ...args], { timeoutS: d + 45 });
  const after = sampleOutside(cell, srv);
  const out = r.out;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: (.*)/.exec(out)?.[1] ?? null;
  let st = {};
  try { st = JSON.parse(fs.readFileSync(statFile, 'utf8')); } catch {}
  const cpuS = (st.cpu_user_s ?? 0) + (st.cpu_sys_s ?? 0);
  const ok = Number.isFinite(rps) && rps > 0 && non2xx === 0 && !sockErr;
  return {
    ok, requests: total, errors: non2xx + (sockErr ? 1 : 0), first_error: ok ? null : (sockErr ? `socket errors: ${sockErr}` : non2xx ? `${non2xx} non-2xx` : `wrk: ${(out + r.err).slice(-200)}`),
    wall_s: d, rps, mib_s: cell.expectBytes ? (rps * cell.expectBytes) / 1048576 : null,
    p50_ms: parseDuration(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''), p99_ms: parseDuration(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    cpu_s: cpuS, cpu_us_per_req: total ? (cpuS / total) * 1e6 : null, main_us_per_req: total ? (cpuS / total) * 1e6 : null, max_rss_mb: st.max_rss_mb ?? null,
    ...outsideMetrics(before, after, cpuS),
    info: { argv: `wrk ${args.join(' ')}` },
  };
}

async function runH2load(cell, cl, srv, tmp) {
  const n = Math.max(cell.n, 20000);
  const args = ['-n', String(n), '-c', '1', '-m', String(cell.c), cell.url];
  const statFile = path.join(tmp, 'runstat.json');
  const before = sampleOutside(cell, srv);
  const r = await runProcess([...pinPrefix(cell.mode), path.join(C_DIR, 'runstat'), statFile, '60', '--', 'h2load', ...args], { timeoutS: 75 });
  const after = sampleOutside(cell, srv);
  const out = r.out;
  const fin = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const codes2xx = Number(/status codes: (\d+) 2xx/.exec(out)?.[1] ?? 0);
  const proto = /Application protocol: (\S+)/.exec(out)?.[1] ?? null;
  const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(out)?.[1];
  let st = {};
  try { st = JSON.parse(fs.readFileSync(statFile, 'utf8')); } catch {}
  const cpuS = (st.cpu_user_s ?? 0) + (st.cpu_sys_s ?? 0);
  const ok = !!fin && !!req && Number(req[4]) === n && codes2xx === n && proto === 'h2';
  const wall = fin ? Number(fin[1]) / (fin[2] === 'ms' ? 1000 : 1) : null;
  return {
    ok, requests: req ? Number(req[4]) : 0, errors: req ? Number(req[5]) + Number(req[6]) : 1,
    first_error: ok ? null : `h2load: protocol ${proto}, ${req ? req[0] : (out + r.err).slice(-200)}`,
    wall_s: wall, rps: fin ? Number(fin[3]) : null, mean_ms: mean ? parseDuration(mean) : null,
    cpu_s: cpuS, cpu_us_per_req: (cpuS / n) * 1e6, main_us_per_req: (cpuS / n) * 1e6, max_rss_mb: st.max_rss_mb ?? null,
    ...outsideMetrics(before, after, cpuS),
    info: { argv: `h2load ${args.join(' ')}` },
  };
}

// ---------------------------------------------------------------- curl-net probe
/** What the last probe saw curl-net send for a plain GET (header lines, Host left out). */
let curlNetRequestHeaders = null;
async function probeCurlNet() {
  const code = `
    const t0 = Date.now();
    const m = require('./load-curl-net.cjs');
    const out = { net: typeof m.net, request: typeof m.net?.request, fetch: typeof m.net?.fetch, session: typeof m.session,
                  exports: Object.keys(m).slice(0, 30), ms: Date.now() - t0 };
    // The header lines curl-net sends for a plain GET, as a server reads them (for the C loop
    // row that sends the same request).
    const server = require('node:net').createServer((socket) => socket.once('data', (bytes) => {
      out.requestHeaders = bytes.toString('latin1').split('\\r\\n').slice(1).filter((line) => line && !/^host:/i.test(line));
      socket.end('HTTP/1.1 200 OK\\r\\ncontent-length: 0\\r\\nconnection: close\\r\\n\\r\\n');
    }));
    const done = () => { console.log(JSON.stringify(out)); process.exit(0); };
    server.listen(0, '127.0.0.1', () => {
      if (typeof m.net?.request !== 'function') return done();
      const request = m.net.request('http://127.0.0.1:' + server.address().port + '/');
      request.on('response', (response) => { response.resume(); response.on('end', done); });
      request.on('error', done);
      request.end();
    });`;
  const r = await runProcess([process.execPath, '-e', code], { timeoutS: 30 });
  try {
    const p = JSON.parse(r.out.trim().split('\n').pop());
    p.ok = p.request === 'function';
    if (!p.ok) p.error = `curl-net loads but net.request is ${p.request} (exports: ${p.exports.join(', ')})`;
    return p;
  } catch {
    const msg = r.err.split('\n').find((l) => /Error|Cannot/.test(l)) ?? r.err.split('\n')[0];
    return { ok: false, error: `require('../') failed: ${msg.trim()}` };
  }
}

// ---------------------------------------------------------------- environment
function describeEnv(srv) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const undiciPkg = JSON.parse(fs.readFileSync(path.join(benchDir, 'node_modules/undici/package.json'), 'utf8'));
  let curlNetPkg = null;
  try { curlNetPkg = JSON.parse(fs.readFileSync(path.join(benchDir, '..', 'package.json'), 'utf8')).version; } catch {}
  const nodeLibcurl = fs.existsSync(path.join(benchDir, 'node_modules/node-libcurl/package.json'));
  return {
    date: new Date().toISOString(),
    host: {
      cpu_model: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1],
      cpu_family_model: `family ${/cpu family\s*:\s*(\d+)/.exec(cpuinfo)?.[1]} model ${/^model\s*:\s*(\d+)/m.exec(cpuinfo)?.[1]}`,
      cpus: os.cpus().length,
      hypervisor: /flags.*\bhypervisor\b/.test(cpuinfo),
      mem_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      kernel: os.release(),
      os: sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
    },
    versions: {
      node: process.version,
      node_bundled_undici: process.versions.undici,
      undici: undiciPkg.version,
      libcurl: sh(path.join(C_DIR, 'multiloop'), ['--version']),
      libcurl_bundled: fs.existsSync(path.join(C_DIR, 'multiloop-bundled')) ? sh(path.join(C_DIR, 'multiloop-bundled'), ['--version']) : null,
      curl_cli: sh('curl', ['--version'])?.split('\n')[0],
      openssl: sh('openssl', ['version']),
      node_openssl: process.versions.openssl,
      ...serverVersions(),
      wrk: sh('wrk', ['--version'])?.split('\n')[0]?.split(' [')[0],
      h2load: sh('h2load', ['--version']),
      gcc: sh('gcc', ['-dumpfullversion']),
      curl_net: curlNetPkg,
      curl_net_path: process.env.BENCH_CURL_NET ? `BENCH_CURL_NET=${process.env.BENCH_CURL_NET} (not the repository root)` : "require('../') = repository root dist/",
      curl_net_git: sh('git', ['-C', path.join(benchDir, '..'), 'log', '-1', '--format=%h %s']),
      node_libcurl: nodeLibcurl ? 'installed' : 'not installed (see results/node-libcurl-install.txt)',
    },
    setup: {
      server_cpu: 1, client_cpu_pinned: 0, proxy: srv.proxyKind,
      nginx: 'nginx-light, worker_processes 1, worker_cpu_affinity 10, access_log off, keepalive_requests 1e8, sendfile on, http2_max_concurrent_streams 512',
    },
  };
}

// ---------------------------------------------------------------- main
let srv = null;
let stopping = false;
const data = { harness_version: 1, options: opts, env: null, rounds: [], runs: [], curl_net_probe: [], complete: false };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-bench-run-'));

function saveJson(final) {
  data.complete = final;
  const file = path.join(resultsDir, final ? 'latest.json' : 'partial.json');
  fs.writeFileSync(file, JSON.stringify(data, null, 1));
  if (final) fs.rmSync(path.join(resultsDir, 'partial.json'), { force: true });
  return file;
}

async function shutdown(code, why) {
  if (stopping) return;
  stopping = true;
  if (why) log(why);
  if (current.child) { try { process.kill(-current.child.pid, 'SIGKILL'); } catch {} }
  if (srv) await srv.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGINT', () => { if (data.runs.length) saveJson(false); shutdown(130, 'interrupted; servers stopped; partial results in results/partial.json'); });
process.on('SIGTERM', () => { if (data.runs.length) saveJson(false); shutdown(143, 'terminated; servers stopped'); });
process.on('uncaughtException', (e) => { log(`fatal: ${e.stack}`); if (data.runs.length) saveJson(false); shutdown(1); });
process.on('unhandledRejection', (e) => { log(`fatal: ${e && e.stack}`); if (data.runs.length) saveJson(false); shutdown(1); });

/** An open-loop cell's rate: a fraction of one client's closed-loop req/s in another cell of the
 * same round and mode (run now, once per round, when that cell is not in the plan). */
const calibrations = new Map();
async function resolveRate(cell, round) {
  const { cell: baseId, client, fraction } = cell.rateOf;
  const key = `${round}|${baseId}|${cell.mode}|${client}`;
  let rps = data.runs.find((r) => r.round === round && r.id === baseId && r.mode === cell.mode && r.label === client && r.ok)?.rps;
  if (rps == null) rps = calibrations.get(key);
  if (rps == null) {
    const base = buildCells({ ...opts, only: [baseId.replace(/-c\d+$/, '')], modes: [cell.mode] }, srv).find((c) => c.id === baseId);
    const cl = base?.clients.find((c) => clientLabel(c) === client);
    if (base && cl) {
      const res = await runNode(base, cl, srv, tmp);
      log(`r${round} calibration: ${client} in ${baseId} (${cell.mode}) ${fmt(res, base)}`);
      if (res.ok) rps = res.rps;
      data.calibrations = [...(data.calibrations ?? []), { round, cell: `${baseId}|${cell.mode}`, client, ok: res.ok, rps: res.rps ?? null }];
    }
    if (rps != null) calibrations.set(key, rps);
  }
  if (rps == null) return false;
  cell.rate = Math.round(rps * fraction);
  cell.rateSource = `${fraction} × ${client} ${Math.round(rps)} req/s (${baseId}, ${cell.mode}, round ${round})`;
  return true;
}

const RUNNERS = { 'c-multiloop': runMultiloop, 'curl-cli': runCurlCli, wrk: runWrk, h2load: runH2load };

function fmt(res, cell) {
  if (!res.ok) return `FAILED: ${res.first_error}`;
  const main = cell.unit === 'mib' ? `${res.mib_s?.toFixed(0)} MiB/s` : `${Math.round(res.rps)} req/s`;
  const srvPct = Object.entries(res.server_cpu_pct ?? {}).map(([k, v]) => `${k} ${v}%`).join(' ');
  const cpu = res.cpu_us_per_req != null ? ` cpu ${res.cpu_us_per_req.toFixed(1)}µs/req (main ${res.main_us_per_req?.toFixed(1)}, curl ${res.curl_us_per_req?.toFixed(1)})` : '';
  return `${main}${res.conns != null ? ` conns ${res.conns}` : ''}${res.p99_ms != null ? ` p99 ${res.p99_ms.toFixed(2)}ms` : ''}${cpu} rss ${res.max_rss_mb?.toFixed(0)}MB ${srvPct} foreign ${res.machine?.foreign_pct}%`;
}

log(`curl-net benchmarks: ${opts.quick ? 'quick' : 'full'} run, ${opts.rounds} round(s), modes ${opts.modes.join(',')}${opts.only ? `, scenarios ${opts.only.join(',')}` : ''}`);
srv = await startServers({ log });
data.env = describeEnv(srv);
const cells = buildCells(opts, srv);
const bundledReady = fs.existsSync(path.join(benchDir, '..', 'prebuilds/linux-x64/curl-net.napi.glibc.node'))
  && fs.existsSync(path.join(C_DIR, 'multiloop-bundled'));
if (!bundledReady) log('prebuilt-addon rows skipped: run `npm run prebuilds` first (and let prepare.mjs build c/multiloop-bundled)');
for (const cell of cells) if (!bundledReady) cell.clients = cell.clients.filter((cl) => cl.variant !== 'bundled');
const plan = cells.flatMap((cell) => cell.clients
  .filter((cl) => !opts.clients || opts.clients.some((s) => cl.client.includes(s)))
  .map((cl) => ({ cell, cl })));
data.cells = cells.map(({ clients, ...c }) => ({ ...c, clients: clients.map(clientLabel) }));
log(`${cells.length} cells, ${plan.length} client runs per round`);

for (let round = 1; round <= opts.rounds; round++) {
  const probe = await probeCurlNet();
  data.curl_net_probe.push({ round, ...probe });
  curlNetRequestHeaders = probe.requestHeaders ?? null;
  log(`round ${round}/${opts.rounds}: curl-net ${probe.ok ? `loads (net.request is a function, ${probe.ms} ms)` : `NOT usable: ${probe.error}`}`);
  const r0 = { t: Date.now(), m: machineCpu(), load: loadavg() };
  for (const { cell, cl } of plan) {
    if (stopping) await new Promise(() => {}); // shutdown() exits the process
    const label = clientLabel(cl);
    let res;
    const t0 = Date.now();
    // An open-loop cell's rate first: a calibration run must not count in this run's connections.
    const rated = cell.rateOf ? await resolveRate(cell, round) : true;
    const acc0 = cell.servers.includes('nginx') ? await nginxAccepts(srv) : null;
    const px0 = cell.proxy ? proxyConnects(srv) : null;
    if (cl.client.startsWith('curl-net') && !probe.ok) {
      res = { ok: false, skipped: true, first_error: `not run: ${probe.error}` };
    } else if (!rated) {
      res = { ok: false, first_error: `no rate: ${cell.rateOf.client} did not complete ${cell.rateOf.cell} (${cell.mode}) in this round` };
    } else if (RUNNERS[cl.client]) {
      res = await RUNNERS[cl.client](cell, cl, srv, tmp);
    } else {
      res = await runNode(cell, cl, srv, tmp);
    }
    if (stopping) await new Promise(() => {});
    const acc1 = acc0 != null ? await nginxAccepts(srv) : null;
    // connections nginx accepted during the whole client process (warm-up included), minus our probe
    if (acc0 != null && acc1 != null && !res.skipped) res.conns = acc1 - acc0 - 1;
    if (cell.proxy && !res.skipped) {
      // gate: the requests must really go through the proxy (Chromium-style clients bypass loopback)
      res.proxy_connects = proxyConnects(srv) - px0;
      if (res.ok && !(res.proxy_connects > 0)) {
        res.ok = false;
        res.first_error = `the proxy saw ${res.proxy_connects} CONNECT requests: the client did not use it`;
      }
    }
    const flags = [];
    if (res.conns != null && !cell.fresh && !cell.proxy) {
      const expected = cell.h2 && cl.variant !== 'conns' && cl.client !== 'wrk' ? 1 : cell.c;
      if (res.conns > expected + 1) flags.push(`extra connections (${res.conns} opened, ${expected} expected)`);
    }
    for (const [k, v] of Object.entries(res.server_cpu_pct ?? {})) if (v > 70) flags.push(`server-bound (${k} ${v}%)`);
    if (res.machine && res.machine.foreign_pct > 25) flags.push(`noisy (foreign CPU ${res.machine.foreign_pct}%)`);
    if (res.machine && res.machine.steal_pct > 5) flags.push(`steal ${res.machine.steal_pct}%`);
    if (cell.rate) res.rate_source = cell.rateSource;
    const rec = { round, cell: cell.key, id: cell.id, scenario: cell.scenario, mode: cell.mode, c: cell.c, unit: cell.unit,
      client: cl.client, variant: cl.variant ?? null, label, t_start: new Date(t0).toISOString(), run_s: (Date.now() - t0) / 1000, flags, ...res };
    data.runs.push(rec);
    log(`r${round} ${cell.id.padEnd(12)} ${cell.mode.padEnd(8)} ${label.padEnd(44)} ${fmt(res, cell)}${flags.length ? `  [${flags.join('; ')}]` : ''}`);
  }
  const r1 = { t: Date.now(), m: machineCpu(), load: loadavg() };
  const wall = (r1.t - r0.t) / 1000;
  const steal = ((r1.m.steal - r0.m.steal) / wall) * 100 / os.cpus().length;
  const rec = { round, start: new Date(r0.t).toISOString(), end: new Date(r1.t).toISOString(), wall_s: wall,
    loadavg_start: r0.load, loadavg_end: r1.load, steal_pct: Number(steal.toFixed(2)),
    busy_pct: Number((((r1.m.busy - r0.m.busy) / wall) * 100 / os.cpus().length).toFixed(1)) };
  const noisyRuns = data.runs.filter((x) => x.round === round && x.flags.some((f) => f.startsWith('noisy') || f.startsWith('steal'))).length;
  rec.noisy_runs = noisyRuns;
  rec.noisy = steal > 5 || noisyRuns > plan.length * 0.2;
  data.rounds.push(rec);
  log(`round ${round} done in ${wall.toFixed(0)} s; loadavg ${r0.load.join(' ')} → ${r1.load.join(' ')}; steal ${rec.steal_pct}%; noisy runs ${noisyRuns}/${plan.length}`);
  saveJson(false);
}

const file = saveJson(true);
log(`raw results: ${path.relative(process.cwd(), file)}`);
if (opts.report) {
  const md = writeReport(data, path.join(benchDir, 'RESULTS.md'));
  log(`report: ${path.relative(process.cwd(), md)}`);
}
await shutdown(0);
