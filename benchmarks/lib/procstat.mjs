// /proc readers: per-thread CPU of this process, CPU of other processes (the servers), machine-wide
// busy and steal time. Linux only.
import fs from 'node:fs';

export const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

function statFields(text) {
  // fields after the parenthesised comm; index 0 is field 3 (state)
  const close = text.lastIndexOf(')');
  return { comm: text.slice(text.indexOf('(') + 1, close), rest: text.slice(close + 2).split(' ') };
}

/** utime + stime of a process (all its threads) in seconds, or NaN. */
export function processCpuSeconds(pid) {
  try {
    const { rest } = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds per thread of this process: { tid: { name, cpu } }. Uses schedstat (ns) when it
 * is available, else stat (10 ms ticks).
 */
export function threadCpu() {
  const out = {};
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const { comm, rest } = statFields(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
      let cpu = (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
      try {
        const ns = Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        if (ns > 0) cpu = ns / 1e9;
      } catch {}
      out[tid] = { name: comm, cpu };
    } catch {}
  }
  return out;
}

/** Split a before/after pair of threadCpu() into main thread, curl-net thread and the rest. */
export function threadSplit(before, after) {
  const main = String(process.pid);
  const split = { main_s: 0, curl_s: 0, other_s: 0, other: {} };
  for (const [tid, a] of Object.entries(after)) {
    const d = a.cpu - (before[tid]?.cpu ?? 0);
    if (tid === main) split.main_s += d;
    else if (a.name === 'curl-net') split.curl_s += d;
    else {
      split.other_s += d;
      split.other[a.name] = (split.other[a.name] ?? 0) + d;
    }
  }
  for (const k of Object.keys(split.other)) split.other[k] = Number(split.other[k].toFixed(4));
  return split;
}

/** Machine-wide jiffies: busy (user nice system irq softirq) and steal, in seconds. */
export function machineCpu() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line;
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: steal / CLK_TCK, idle: (idle + iowait) / CLK_TCK };
}

export function loadavg() {
  return fs.readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).map(Number);
}
