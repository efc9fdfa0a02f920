// Session.preconnect(): Electron's argument handling, then the same routing decision a request
// to the URL would get (proxy plan, host mapping, restricted ports), then TCP connections the
// curl thread opens and keeps (native/preconnect_pool.h) until libcurl wants a connection to
// that address. Like Electron's, it reports nothing: a preconnect that cannot be made is a
// request that later connects for itself.
import * as dns from 'node:dns';
import { isIP } from 'node:net';
import { native } from '../native';
import { isPortAllowed } from '../restricted-ports';
import { mappedEndpoint } from '../stages/host-mapping';
import type { Session } from '../session';
import { effectivePort, unbracketed } from '../url-parts';

export interface PreconnectOptions {
  /** The URL to connect ahead for (its origin, or the proxy a request to it would use). */
  url: string;
  /** How many connections: 1 to 6, default 1. */
  numSockets?: number;
}

const MIN_SOCKETS = 1;
const MAX_SOCKETS = 6;
/** Chromium closes a preconnected socket nobody used after this long (its pools' unused idle
 * socket timeout). */
export const UNUSED_IDLE_SOCKET_TIMEOUT_MS = 10_000;

export interface ParsedPreconnect {
  url: URL;
  numSockets: number;
}

/** Electron's checks, with its messages; a numSockets gin cannot read as an int32 is left at 1. */
export function parsePreconnectOptions(options: unknown): ParsedPreconnect {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Error processing argument at index 0, conversion failure from ${String(options)}`);
  }
  const { url, numSockets } = options as { url?: unknown; numSockets?: unknown };
  let parsed: URL | null = null;
  if (typeof url === 'string' && url !== '') {
    try {
      parsed = new URL(url);
    } catch {
      parsed = null;
    }
  }
  if (parsed === null) throw new TypeError('Must pass non-empty valid url to session.preconnect.');
  let count = 1;
  if (typeof numSockets === 'number' && Number.isInteger(numSockets) && numSockets >= -(2 ** 31) && numSockets < 2 ** 31) {
    if (numSockets < MIN_SOCKETS || numSockets > MAX_SOCKETS) {
      throw new TypeError(`numSocketsToPreconnect is outside range [${MIN_SOCKETS},${MAX_SOCKETS}]`);
    }
    count = numSockets;
  }
  return { url: parsed, numSockets: count };
}

function lookup(host: string): Promise<string | null> {
  if (isIP(host) !== 0) return Promise.resolve(host);
  // The first address getaddrinfo gives: the one libcurl (same resolver, same order) tries first.
  return new Promise((resolve) => dns.lookup(host, { verbatim: true }, (error, address) => resolve(error ? null : address)));
}

/** Where a request to `url` would open its TCP connection: the proxy's address, or the
 * (mapped) origin's; null when no request would connect. */
async function connectTarget(session: Session, url: URL): Promise<{ address: string; port: number } | null> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!isPortAllowed(url)) return null;
  if (session._networkConditions.offline) return null;
  const plan = await session._proxyPlan(url);
  const hop = plan[0];
  let host: string;
  let port: number;
  if (hop !== undefined && hop.host !== undefined && hop.port !== undefined) {
    host = hop.host;
    port = hop.port;
  } else {
    host = url.hostname;
    port = effectivePort(url);
    const mapped = mappedEndpoint(host, port);
    if (mapped?.notFound) return null;
    if (mapped !== null) {
      host = mapped.host;
      port = mapped.port;
    }
  }
  const address = await lookup(unbracketed(host));
  return address === null ? null : { address, port };
}

/** Starts the preconnect; returns at once (Electron's returns nothing either). */
export function preconnect(session: Session, options: ParsedPreconnect): void {
  connectTarget(session, options.url).then(
    (target) => {
      if (target !== null) native().preconnect(session._id, target.address, target.port, options.numSockets, UNUSED_IDLE_SOCKET_TIMEOUT_MS);
    },
    () => {
      // A PAC script that failed: the request will meet the same failure itself.
    },
  );
}
