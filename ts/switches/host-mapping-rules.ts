// Chromium's host mapping rules (net/base/host_mapping_rules.cc), the grammar of --host-rules
// and --host-resolver-rules: a comma-separated list of
//   MAP <pattern> <replacement>[:<port>]    pattern: a host glob (* and ?), or host:port glob
//   EXCLUDE <pattern>                        hosts matching it are never mapped
// EXCLUDE rules are checked first, whatever their place; then the first MAP rule that matches
// the host (or else `host:port`) decides. The replacement `~NOTFOUND` makes the name fail to
// resolve (host-resolver-rules). Keywords are case-insensitive; invalid rules are skipped.
import { wildcardMatch } from '../proxy/bypass-rules';

interface MapRule {
  pattern: string;
  host: string;
  port: number;
}

export interface MappedEndpoint {
  host: string;
  port: number;
  /** The replacement was ~NOTFOUND. */
  notFound: boolean;
}

export const NOT_FOUND = '~notfound';

function parseReplacement(text: string): { host: string; port: number } | null {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : -1 };
  const colon = text.lastIndexOf(':');
  if (colon !== -1 && text.indexOf(':') === colon) {
    const port = text.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return null;
    return { host: text.slice(0, colon), port: Number(port) };
  }
  if (text.includes(':')) return { host: text, port: -1 }; // a bare IPv6 literal
  return text === '' ? null : { host: text, port: -1 };
}

export class HostMappingRules {
  private readonly maps: MapRule[] = [];
  private readonly excludes: string[] = [];

  constructor(text = '') {
    for (const raw of text.split(',')) {
      const parts = raw.trim().toLowerCase().split(/\s+/).filter((p) => p !== '');
      if (parts[0] === 'map' && parts.length === 3) {
        const replacement = parseReplacement(parts[2]!);
        if (replacement) this.maps.push({ pattern: parts[1]!, ...replacement });
      } else if (parts[0] === 'exclude' && parts.length === 2) {
        this.excludes.push(parts[1]!);
      }
    }
  }

  get empty(): boolean {
    return this.maps.length === 0;
  }

  /** Where a connection to host:port goes instead; null when no rule maps it. `host` is a URL
   * hostname (IPv6 in brackets or not). */
  map(host: string, port: number): MappedEndpoint | null {
    const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
    if (this.excludes.some((p) => wildcardMatch(bare, p))) return null;
    const hostPort = bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
    for (const rule of this.maps) {
      if (!wildcardMatch(bare, rule.pattern) && !wildcardMatch(hostPort, rule.pattern)) continue;
      return { host: rule.host, port: rule.port === -1 ? port : rule.port, notFound: rule.host === NOT_FOUND };
    }
    return null;
  }
}
