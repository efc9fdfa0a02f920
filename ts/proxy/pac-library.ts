// The PAC helper functions (Netscape's original set plus Microsoft's IPv6 "Ex" extensions) and
// the two entry points the sandbox host calls, as ONE self-contained function. It is never called
// in Node: pac-sandbox.ts evaluates `installPacEnvironment.toString()` inside the QuickJS sandbox,
// so every helper is a QuickJS function and nothing of Node's realm is reachable from the PAC
// script. So: no references to anything outside this function, no imports, no TS helpers.
//
// DNS: the sandbox has no I/O. The helpers that need DNS call `hostDns(op, name)`, the only host
// function in the sandbox. It answers synchronously from answers the host already has; for a
// question it cannot answer yet it returns null and the host abandons the run, resolves the name
// asynchronously and runs the evaluation again (see pac-sandbox.ts).

/** What `hostDns` is asked: the PAC helper that needs the answer. */
export const enum DnsOp {
  DnsResolve = 1,
  DnsResolveEx = 2,
  MyIpAddress = 3,
  MyIpAddressEx = 4,
}

/** Longest name a PAC script may ask DNS about (DNS names have at most 253 characters). */
export const MAX_DNS_NAME_LENGTH = 1024;

/** Longest FindProxyForURL result accepted (longer ones are a PAC error, hence DIRECT). */
export const MAX_PAC_RESULT_LENGTH = 65536;

/**
 * Installs the helpers on `g` (the sandbox's global object) and returns the entry points:
 *   [0] load(source): runs the PAC's top level; 's' when FindProxyForURL is defined, else 'e' + why;
 *   [1] call(url, host): runs FindProxyForURL; 's' + result, 'n' + typeof a non-string result, or
 *       'e' + the exception's text (turned into text here, inside the time limit).
 */
/* eslint-disable prefer-rest-params */
export function installPacEnvironment(
  g: Record<string, unknown>,
  hostDns: (op: number, name: string) => string | null,
  maxResultLength: number,
): [(source: string) => string, (url: string, host: string) => string] {
  function ask(op: number, arg: string): string | null {
    const answer = hostDns(op, arg);
    return typeof answer === 'string' ? answer : null;
  }

  // ---- IP helpers (copies that live in the sandbox; nothing of Node's may be reachable) ----
  function v4(s: unknown): number[] | null {
    if (typeof s !== 'string') return null;
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
    if (!m) return null;
    const out = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    for (const b of out) if (b > 255) return null;
    return out;
  }
  function v6(s: unknown): number[] | null {
    if (typeof s !== 'string' || s.indexOf(':') === -1) return null;
    let str = s;
    if (str.charAt(0) === '[' && str.charAt(str.length - 1) === ']') str = str.slice(1, -1);
    const halves = str.split('::');
    if (halves.length > 2) return null;
    const groups = (h: string): number[] | null => {
      if (h === '') return [];
      const out: number[] = [];
      const parts = h.split(':');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (i === parts.length - 1 && p.indexOf('.') !== -1) {
          const q = v4(p);
          if (!q) return null;
          out.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
          out.push(parseInt(p, 16));
        } else {
          return null;
        }
      }
      return out;
    };
    let all: number[];
    if (halves.length === 2) {
      const a = groups(halves[0]!);
      const b = groups(halves[1]!);
      if (!a || !b || a.length + b.length > 7) return null;
      all = a.concat(new Array(8 - a.length - b.length).fill(0), b);
    } else {
      const a = groups(str);
      if (!a || a.length !== 8) return null;
      all = a;
    }
    const bytes: number[] = [];
    for (const w of all) bytes.push(w >> 8, w & 255);
    return bytes;
  }
  function prefixMatch(a: number[], b: number[], bits: number): boolean {
    for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 255 : (255 << (8 - bits)) & 255;
      if ((a[i]! & mask) !== (b[i]! & mask)) return false;
    }
    return true;
  }

  // ---- Netscape helpers ----
  function isPlainHostName(host: unknown): boolean {
    return String(host).indexOf('.') === -1;
  }
  function dnsDomainIs(host: unknown, domain: unknown): boolean {
    const h = String(host).toLowerCase();
    const d = String(domain).toLowerCase();
    return h.length >= d.length && h.slice(h.length - d.length) === d;
  }
  function localHostOrDomainIs(host: unknown, hostdom: unknown): boolean {
    const h = String(host).toLowerCase();
    const d = String(hostdom).toLowerCase();
    if (h === d) return true;
    return h.indexOf('.') === -1 && d.slice(0, h.length + 1) === `${h}.`;
  }
  function dnsResolve(host: unknown): string | null {
    const h = String(host);
    if (v4(h)) return h;
    return ask(1, h);
  }
  function isResolvable(host: unknown): boolean {
    return dnsResolve(host) !== null;
  }
  function isInNet(host: unknown, pattern: unknown, mask: unknown): boolean {
    const p = v4(pattern);
    const m = v4(mask);
    if (!p || !m) return false;
    let addr = v4(host);
    if (!addr) {
      const resolved = dnsResolve(host);
      addr = resolved === null ? null : v4(resolved);
      if (!addr) return false;
    }
    for (let i = 0; i < 4; i++) if ((addr[i]! & m[i]!) !== (p[i]! & m[i]!)) return false;
    return true;
  }
  function myIpAddress(): string {
    return ask(3, '') ?? '127.0.0.1';
  }
  function dnsDomainLevels(host: unknown): number {
    return String(host).split('.').length - 1;
  }
  function shExpMatch(str: unknown, shexp: unknown): boolean {
    // Shell glob: '*' = any run, '?' = one character; everything else literal.
    const s = String(str);
    const p = String(shexp);
    let si = 0;
    let pi = 0;
    let star = -1;
    let mark = 0;
    while (si < s.length) {
      if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
        si++;
        pi++;
      } else if (pi < p.length && p[pi] === '*') {
        star = pi++;
        mark = si;
      } else if (star !== -1) {
        pi = star + 1;
        si = ++mark;
      } else {
        return false;
      }
    }
    while (pi < p.length && p[pi] === '*') pi++;
    return pi === p.length;
  }

  // ---- time helpers: a trailing "GMT" argument switches to UTC ----
  const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  function splitGmt(args: unknown[]): { args: unknown[]; gmt: boolean } {
    if (args.length > 0 && String(args[args.length - 1]).toUpperCase() === 'GMT') {
      return { args: args.slice(0, -1), gmt: true };
    }
    return { args, gmt: false };
  }
  function inRange(value: number, lo: number, hi: number): boolean {
    // Ranges wrap around (FRI..MON, 22..6, DEC..FEB).
    return lo <= hi ? value >= lo && value <= hi : value >= lo || value <= hi;
  }
  function weekdayRange(...raw: unknown[]): boolean {
    const { args, gmt } = splitGmt(raw);
    if (args.length < 1 || args.length > 2) return false;
    const d1 = DAYS.indexOf(String(args[0]).toUpperCase());
    const d2 = args.length === 2 ? DAYS.indexOf(String(args[1]).toUpperCase()) : d1;
    if (d1 === -1 || d2 === -1) return false;
    const now = new Date();
    return inRange(gmt ? now.getUTCDay() : now.getDay(), d1, d2);
  }
  function dateRange(...raw: unknown[]): boolean {
    const { args, gmt } = splitGmt(raw);
    // Classify each argument: a month name, a day (1..31) or a year (> 31).
    type Part = { kind: 'day' | 'month' | 'year'; value: number };
    const parts: Part[] = [];
    for (const a of args) {
      const month = MONTHS.indexOf(String(a).toUpperCase());
      if (month !== -1) {
        parts.push({ kind: 'month', value: month });
        continue;
      }
      const n = typeof a === 'number' ? a : /^\d+$/.test(String(a)) ? Number(a) : NaN;
      if (!Number.isInteger(n) || n < 1) return false;
      parts.push(n <= 31 ? { kind: 'day', value: n } : { kind: 'year', value: n });
    }
    if (![1, 2, 4, 6].includes(parts.length)) return false;
    const now = new Date();
    const current = {
      day: gmt ? now.getUTCDate() : now.getDate(),
      month: gmt ? now.getUTCMonth() : now.getMonth(),
      year: gmt ? now.getUTCFullYear() : now.getFullYear(),
    };
    const half = parts.length === 1 ? 1 : parts.length / 2;
    const start = parts.slice(0, half);
    const end = parts.length === 1 ? start : parts.slice(half);
    const kinds = start.map((p) => p.kind).join();
    if (kinds !== end.map((p) => p.kind).join()) return false;
    // Compose comparable numbers from the fields that were given (year, month, day order).
    const weight = { year: 10000, month: 100, day: 1 };
    const score = (ps: Part[]): number => ps.reduce((sum, p) => sum + p.value * weight[p.kind], 0);
    const nowScore = start.reduce((sum, p) => sum + current[p.kind] * weight[p.kind], 0);
    const lo = score(start);
    const hi = score(end);
    if (kinds.indexOf('year') !== -1) return nowScore >= lo && nowScore <= hi;
    return inRange(nowScore, lo, hi);
  }
  function timeRange(...raw: unknown[]): boolean {
    const { args, gmt } = splitGmt(raw);
    const n = args.map((a) => Number(a));
    if (n.some((x) => !Number.isInteger(x) || x < 0)) return false;
    const now = new Date();
    const h = gmt ? now.getUTCHours() : now.getHours();
    const m = gmt ? now.getUTCMinutes() : now.getMinutes();
    const s = gmt ? now.getUTCSeconds() : now.getSeconds();
    const secs = h * 3600 + m * 60 + s;
    switch (n.length) {
      case 1:
        return h === n[0];
      case 2: // whole hours, both ends inclusive: timeRange(9, 17) is 09:00:00..17:59:59
        return inRange(h, n[0]!, n[1]!);
      case 4:
        return inRange(secs, n[0]! * 3600 + n[1]! * 60, n[2]! * 3600 + n[3]! * 60 + 59);
      case 6:
        return inRange(secs, n[0]! * 3600 + n[1]! * 60 + n[2]!, n[3]! * 3600 + n[4]! * 60 + n[5]!);
      default:
        return false;
    }
  }

  // ---- Microsoft IPv6 extensions ----
  function dnsResolveEx(host: unknown): string {
    const h = String(host);
    if (v4(h) || v6(h)) return h;
    return ask(2, h) ?? '';
  }
  function isResolvableEx(host: unknown): boolean {
    return dnsResolveEx(host) !== '';
  }
  function myIpAddressEx(): string {
    return ask(4, '') ?? '';
  }
  function isInNetEx(ip: unknown, ipPrefix: unknown): boolean {
    const str = String(ipPrefix);
    const slash = str.lastIndexOf('/');
    if (slash === -1) return false;
    const bits = Number(str.slice(slash + 1));
    const p4 = v4(str.slice(0, slash));
    const p = p4 ?? v6(str.slice(0, slash));
    const a = p4 ? v4(ip) : v6(ip);
    if (!p || !a || !Number.isInteger(bits) || bits < 0 || bits > p.length * 8) return false;
    return prefixMatch(a, p, bits);
  }
  function sortIpAddressList(list: unknown): string | false {
    const items = String(list).split(';').map((x) => x.trim());
    const parsed: { text: string; bytes: number[]; six: boolean }[] = [];
    for (const t of items) {
      const b4 = v4(t);
      const b6 = b4 ? null : v6(t);
      if (!b4 && !b6) return false;
      parsed.push({ text: t, bytes: (b4 ?? b6)!, six: !b4 });
    }
    parsed.sort((x, y) => {
      if (x.six !== y.six) return x.six ? -1 : 1; // IPv6 first
      for (let i = 0; i < x.bytes.length; i++) if (x.bytes[i] !== y.bytes[i]) return x.bytes[i]! - y.bytes[i]!;
      return 0;
    });
    return parsed.map((x) => x.text).join(';');
  }
  function getClientVersion(): string {
    return '1.0';
  }
  function alert(): void {
    // Chromium logs alert() output; curl-net drops it (nothing leaves the sandbox but DNS names).
  }

  const helpers: Record<string, unknown> = {
    isPlainHostName, dnsDomainIs, localHostOrDomainIs, dnsResolve, isResolvable, isInNet,
    myIpAddress, dnsDomainLevels, shExpMatch, weekdayRange, dateRange, timeRange,
    dnsResolveEx, isResolvableEx, myIpAddressEx, isInNetEx, sortIpAddressList, getClientVersion, alert,
  };
  for (const name of Object.keys(helpers)) {
    Object.defineProperty(g, name, { value: helpers[name], writable: true, configurable: true, enumerable: false });
  }

  // Captured before the PAC runs, so the script cannot swap what the entry points use.
  const indirectEval = g.eval as (source: string) => unknown;
  const ErrorClass = Error;
  const toText = String;
  function describe(e: unknown): string {
    // QuickJS throws null when it cannot even allocate the error object for "out of memory".
    if (e === null) return 'null thrown (out of memory?)';
    try {
      if (e instanceof ErrorClass) return `${toText(e.name)}: ${toText(e.message)}`;
      return toText(e);
    } catch (_) {
      return '(unprintable exception)';
    }
  }
  function load(source: string): string {
    try {
      indirectEval(source);
    } catch (e) {
      return `e${describe(e)}`;
    }
    return typeof g.FindProxyForURL === 'function' ? 's' : 'eFindProxyForURL is not defined';
  }
  function call(url: string, host: string): string {
    const fn = g.FindProxyForURL;
    if (typeof fn !== 'function') return 'eFindProxyForURL is not defined';
    let result: unknown;
    try {
      result = fn(url, host);
    } catch (e) {
      return `e${describe(e)}`;
    }
    if (typeof result !== 'string') return `n${typeof result}`;
    if (result.length > maxResultLength) return `eFindProxyForURL returned ${result.length} characters, more than the ${maxResultLength} allowed`;
    return `s${result}`;
  }
  return [load, call];
}
