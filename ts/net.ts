// The `net` module: request(), fetch(), isOnline()/online and resolveHost().
import * as dns from 'node:dns';
import * as os from 'node:os';
import { ClientRequest } from './client-request';
import { netError } from './errors';
import { fetchWithSession, type FetchInit } from './fetch';
import type { IncomingMessage } from './incoming-message';
import type { ClientRequestConstructorOptions } from './request-options';
import { getDefaultSession } from './session';
import { resolverMappedHost } from './switches/network-switches';

export function request(
  options: ClientRequestConstructorOptions | string,
  callback?: (response: IncomingMessage) => void,
): ClientRequest {
  return new ClientRequest(options, callback);
}

export function fetch(input: string | URL | Request, init?: FetchInit): Promise<Response> {
  return fetchWithSession(getDefaultSession(), input, init);
}

/** false is a reliable "offline": no network interface other than loopback has an address
 * (what Chromium's network change notifier looks at on Linux). true promises nothing. */
export function isOnline(): boolean {
  for (const addresses of Object.values(os.networkInterfaces())) {
    if (addresses?.some((a) => !a.internal)) return true;
  }
  return false;
}

export interface ResolveHostOptions {
  queryType?: 'A' | 'AAAA';
  source?: 'any' | 'system' | 'dns' | 'mdns' | 'localOnly';
  cacheUsage?: 'allowed' | 'staleAllowed' | 'disallowed';
  secureDnsPolicy?: 'allow' | 'disable';
}

export interface ResolvedEndpoint {
  address: string;
  family: 'ipv4' | 'ipv6' | 'unspec';
}

export interface ResolvedHost {
  endpoints: ResolvedEndpoint[];
}

export function resolveHost(host: string, options: ResolveHostOptions = {}): Promise<ResolvedHost> {
  // Electron ignores invalid option values; only queryType changes what is asked.
  const family = options.queryType === 'A' ? 4 : options.queryType === 'AAAA' ? 6 : 0;
  const name = resolverMappedHost(String(host)); // --host-resolver-rules
  return new Promise((resolve, reject) => {
    if (name === null) return reject(netError('ERR_NAME_NOT_RESOLVED'));
    dns.lookup(name, { all: true, family, verbatim: true }, (error, addresses) => {
      if (error || addresses.length === 0) {
        reject(netError(error?.code === 'ENOTFOUND' || error?.code === 'ENODATA' || !error ? 'ERR_NAME_NOT_RESOLVED' : 'ERR_NAME_RESOLUTION_FAILED', { cause: error ?? undefined }));
        return;
      }
      resolve({
        endpoints: addresses.map((a) => ({ address: a.address, family: a.family === 4 ? 'ipv4' : a.family === 6 ? 'ipv6' : 'unspec' })),
      });
    });
  });
}

export const net = {
  request,
  fetch,
  isOnline,
  get online(): boolean {
    return isOnline();
  },
  resolveHost,
};
