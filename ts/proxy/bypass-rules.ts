// Chromium's `proxyBypassRules` grammar (net/proxy_resolution/proxy_bypass_rules.cc semantics).
// Entries are separated by "," or ";". Each entry is one of:
//   <local>                       host names without a dot that are not IP literals
//   <-loopback>                   cancels the implicit bypass of loopback/link-local (below)
//   [scheme://]IP/prefix          CIDR; matches only URLs whose host is an IP literal (no DNS)
//   [scheme://]IP_LITERAL[:port]  compared after canonicalisation ([0:0::1] equals [::1])
//   [scheme://]PATTERN[:port]     '*' / '?' wildcards on the host; a leading '.' means '*.'
// Later rules override earlier ones (Chromium evaluates the list from the end, as WinInet does),
// so in "localhost, <-loopback>" localhost is proxied and in "<-loopback>, localhost" it is not.
// When no rule decides, the implicit rules apply: localhost, localhost6, localhost6.localdomain6,
// *.localhost, 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, 169.254.0.0/16 and fe80::/10 always go
// direct. Invalid entries are skipped.
import { IpAddress, ipEquals, ipInPrefix, isLinkLocalIp, isLoopbackIp, parseCidr, parseIp } from './ip-address';
import { TargetUrl } from './target-url';

type Verdict = 'bypass' | 'proxy' | 'none';

interface Rule {
  evaluate(target: TargetUrl): Verdict;
}

/** Glob match with '*' (any run) and '?' (one char), case already folded by the caller. */
export function wildcardMatch(text: string, pattern: string): boolean {
  // Iterative matcher with backtracking to the last '*': linear in practice, no regex to escape.
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Chromium's implicit rules: loopback and link-local destinations never use a proxy. */
export function matchesImplicitBypass(target: TargetUrl): boolean {
  let host = target.hostNoBrackets;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === 'localhost6' || host === 'localhost6.localdomain6') return true;
  return target.ip !== null && (isLoopbackIp(target.ip) || isLinkLocalIp(target.ip));
}

class LocalRule implements Rule {
  evaluate(target: TargetUrl): Verdict {
    return target.ip === null && !target.host.includes('.') ? 'bypass' : 'none';
  }
}

class SubtractImplicitRule implements Rule {
  evaluate(target: TargetUrl): Verdict {
    return matchesImplicitBypass(target) ? 'proxy' : 'none';
  }
}

class CidrRule implements Rule {
  constructor(
    private readonly scheme: string,
    private readonly prefix: IpAddress,
    private readonly bits: number,
  ) {}
  evaluate(target: TargetUrl): Verdict {
    if (!target.ip || (this.scheme && this.scheme !== target.scheme)) return 'none';
    return ipInPrefix(target.ip, this.prefix, this.bits) ? 'bypass' : 'none';
  }
}

class IpRule implements Rule {
  constructor(
    private readonly scheme: string,
    private readonly ip: IpAddress,
    private readonly port: number,
  ) {}
  evaluate(target: TargetUrl): Verdict {
    if (!target.ip || (this.scheme && this.scheme !== target.scheme)) return 'none';
    if (this.port !== -1 && this.port !== target.port) return 'none';
    return target.ip.family === this.ip.family && ipEquals(target.ip, this.ip) ? 'bypass' : 'none';
  }
}

class PatternRule implements Rule {
  constructor(
    private readonly scheme: string,
    private readonly pattern: string,
    private readonly port: number,
  ) {}
  evaluate(target: TargetUrl): Verdict {
    if (this.port !== -1 && this.port !== target.port) return 'none';
    if (this.scheme && this.scheme !== target.scheme) return 'none';
    return wildcardMatch(target.host, this.pattern) ? 'bypass' : 'none';
  }
}

function parseRule(raw: string): Rule | null {
  let text = raw.trim();
  if (text === '') return null;
  const lower = text.toLowerCase();
  if (lower === '<local>') return new LocalRule();
  if (lower === '<-loopback>') return new SubtractImplicitRule();

  let scheme = '';
  const sep = text.indexOf('://');
  if (sep !== -1) {
    scheme = text.slice(0, sep).toLowerCase();
    text = text.slice(sep + 3);
    if (scheme === '') return null;
  }
  if (text === '') return null;

  // A '/' means a CIDR block (Chromium treats any slash this way).
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    return cidr ? new CidrRule(scheme, cidr.prefix, cidr.bits) : null;
  }

  // IP literal with optional port: [v6]:port, v6, v4:port, v4.
  const ipPort = splitIpLiteral(text);
  if (ipPort) return new IpRule(scheme, ipPort.ip, ipPort.port);

  let port = -1;
  const colon = text.lastIndexOf(':');
  if (colon !== -1) {
    const portText = text.slice(colon + 1);
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
    port = Number(portText);
    text = text.slice(0, colon);
  }
  let pattern = text.toLowerCase();
  if (pattern.startsWith('.')) pattern = `*${pattern}`;
  return new PatternRule(scheme, pattern, port);
}

function splitIpLiteral(text: string): { ip: IpAddress; port: number } | null {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return null;
    const ip = parseIp(text.slice(1, end));
    if (!ip) return null;
    const rest = text.slice(end + 1);
    if (rest === '') return { ip, port: -1 };
    if (!/^:\d{1,5}$/.test(rest) || Number(rest.slice(1)) > 65535) return null;
    return { ip, port: Number(rest.slice(1)) };
  }
  const whole = parseIp(text);
  if (whole) return { ip: whole, port: -1 };
  const colon = text.lastIndexOf(':');
  if (colon === -1) return null;
  const v4 = parseIp(text.slice(0, colon));
  const portText = text.slice(colon + 1);
  if (!v4 || v4.family !== 4 || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  return { ip: v4, port: Number(portText) };
}

export class BypassRules {
  private readonly rules: Rule[];

  constructor(text = '') {
    this.rules = [];
    for (const entry of text.split(/[,;]/)) {
      const rule = parseRule(entry);
      if (rule) this.rules.push(rule);
    }
  }

  /** True when `target` must go DIRECT: explicit rules (last one that decides wins), then the implicit ones. */
  matches(target: TargetUrl): boolean {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const verdict = this.rules[i]!.evaluate(target);
      if (verdict !== 'none') return verdict === 'bypass';
    }
    return matchesImplicitBypass(target);
  }

  /** The same question for a reversed list (KDE's ReversedException): only hosts the explicit
   * rules name use the proxy; loopback and link-local still never do. */
  matchesReversed(target: TargetUrl): boolean {
    if (matchesImplicitBypass(target)) return true;
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const verdict = this.rules[i]!.evaluate(target);
      if (verdict !== 'none') return verdict !== 'bypass';
    }
    return true;
  }
}
