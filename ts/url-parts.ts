// Small facts about URLs and hosts that several parts need the same way.

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** The port a URL connects to: its own, else its scheme's default (80 for anything unknown). */
export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return DEFAULT_PORTS[url.protocol] ?? 80;
}

/** A host as a resolver and a TLS name want it: an IPv6 literal without its URL brackets. */
export function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** A host as it is written in a URL or a libcurl host:port entry: an IPv6 literal in brackets. */
export function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
