// Default PAC fetcher: http(s) with node:http/https (never through a proxy: the PAC decides
// about proxies, so fetching it must not depend on one), file: URLs, data: URLs, and, as a
// convenience Chromium lacks, a plain absolute file path. --host-rules and --host-resolver-rules
// apply to the fetch (Chromium fetches PAC and WPAD scripts with the network context's own
// stream factory and MappedHostResolver): `MAP wpad 127.0.0.1:8080` serves auto_detect from there.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mappedEndpoint } from '../stages/host-mapping';
import { effectivePort, unbracketed } from '../url-parts';

/** Chromium caps PAC scripts at 1 MB as well. */
export const MAX_PAC_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 5;

export interface FetchPacOptions {
  timeoutMs?: number;
}

function decodeBody(body: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (charset) {
    try {
      return new TextDecoder(charset).decode(body);
    } catch {
      // unknown label: fall through to the default
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return body.toString('latin1');
  }
}

function decodeDataUrl(url: string): string {
  const comma = url.indexOf(',');
  if (comma === -1) throw new Error('Invalid data: URL for the PAC script');
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  const isBase64 = /;base64$/i.test(meta);
  const bytes = isBase64
    ? Buffer.from(decodeURIComponent(payload), 'base64')
    : Buffer.from(decodeURIComponent(payload), 'utf8');
  if (bytes.length > MAX_PAC_BYTES) throw new Error('PAC script is larger than 1 MB');
  return decodeBody(bytes, meta);
}

/** Where the fetch of `url` connects under the host mapping switches (null: where the URL says).
 * The Host header and the TLS name stay the URL's. */
function mappedTarget(url: URL): { hostname: string; port: number; servername?: string } | null | Error {
  const mapped = mappedEndpoint(url.hostname, effectivePort(url));
  if (mapped === null) return null;
  if (mapped.notFound) return new Error(`net::ERR_NAME_NOT_RESOLVED (${url.hostname})`);
  const bare = unbracketed(url.hostname);
  return { hostname: mapped.host, port: mapped.port, ...(isIP(bare) === 0 ? { servername: bare } : {}) };
}

function fetchHttp(url: URL, timeoutMs: number, redirectsLeft: number): Promise<string> {
  const mod = url.protocol === 'https:' ? https : http;
  const target = mappedTarget(url);
  if (target instanceof Error) return Promise.reject(target);
  const headers: Record<string, string> = { accept: 'application/x-ns-proxy-autoconfig, */*' };
  if (target !== null) headers.host = url.host;
  return new Promise<string>((resolve, reject) => {
    const req = mod.get(url, { agent: false, ...target, headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirectsLeft <= 0) return reject(new Error('Too many redirects while fetching the PAC script'));
        const next = new URL(res.headers.location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') {
          return reject(new Error(`PAC script redirect to unsupported scheme ${next.protocol}`));
        }
        return resolve(fetchHttp(next, timeoutMs, redirectsLeft - 1));
      }
      if (status < 200 || status >= 300) {
        res.resume();
        return reject(new Error(`Fetching the PAC script failed with HTTP status ${status}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PAC_BYTES) {
          req.destroy(new Error('PAC script is larger than 1 MB'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(decodeBody(Buffer.concat(chunks), res.headers['content-type'])));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`Fetching the PAC script timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function defaultFetchPac(input: string, options: FetchPacOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // A drive letter ("C:\\x.pac") would otherwise parse as a URL with scheme "c:".
  if (isAbsolute(input) && (input.startsWith('/') || /^([a-z]:[\\/]|\\\\)/i.test(input))) {
    return readPacFile(input);
  }
  const url = new URL(input);
  switch (url.protocol) {
    case 'http:':
    case 'https:':
      return fetchHttp(url, timeoutMs, MAX_REDIRECTS);
    case 'file:':
      return readPacFile(fileURLToPath(url));
    case 'data:':
      return decodeDataUrl(input);
    default:
      throw new Error(`Unsupported PAC script URL scheme ${url.protocol}`);
  }
}

async function readPacFile(path: string): Promise<string> {
  const body = await readFile(path);
  if (body.length > MAX_PAC_BYTES) throw new Error('PAC script is larger than 1 MB');
  return decodeBody(body, undefined);
}
