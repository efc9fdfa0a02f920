// How big a request may be before anything is sent.
//
// URLs: Chromium refuses URLs longer than url::kMaxURLChars (2 MiB) with net::ERR_INVALID_URL.
//
// Request heads: Chromium sets no limit of its own, but libcurl builds a request head in a
// buffer capped at 1 MiB (DYN_HTTP_REQUEST) and fails a larger one with CURLE_OUT_OF_MEMORY
// once the transfer runs. So curl-net measures the head before the hop starts and refuses
// one that cannot fit with net::ERR_INVALID_ARGUMENT and a cause that says why: no
// connection is opened, and every head that is accepted is sent whole (docs/api.md). The
// measure is what curl-net passes (request line with the full URL, header lines) plus room
// for what libcurl adds itself (Host, Accept-Encoding, Content-Length, and Authorization /
// Proxy-Authorization: a Negotiate token is up to ~12 KiB, a Digest answer repeats the URL).

/** Chromium's url::kMaxURLChars. */
export const MAX_URL_CHARS = 2 * 1024 * 1024;
/** libcurl's cap on the request head it builds (DYN_HTTP_REQUEST). */
const LIBCURL_MAX_REQUEST_HEAD = 1024 * 1024;
/** Room left for the headers libcurl adds itself. */
const LIBCURL_HEADROOM = 32 * 1024;
/** The largest request head curl-net sends, as measured by requestHeadBytes(). */
export const MAX_REQUEST_HEAD_BYTES = LIBCURL_MAX_REQUEST_HEAD - LIBCURL_HEADROOM;

export interface MeasuredHead {
  method: string;
  url: string;
  headerLines: readonly string[];
  /** Credentials are offered: a Digest answer carries the request URI again. */
  withCredentials: boolean;
}

/** Bytes of the head as curl-net hands it to libcurl, counted on the high side. */
export function requestHeadBytes(head: MeasuredHead): number {
  return headSize(head, Buffer.byteLength);
}

/** requestHeadBytes() in UTF-16 code units, which need no encoding to count. */
function requestHeadUnits(head: MeasuredHead): number {
  return headSize(head, (text) => text.length);
}

function headSize(head: MeasuredHead, size: (text: string) => number): number {
  const url = size(head.url);
  let total = size(head.method) + 1 + url + ' HTTP/1.1\r\n'.length + 2;
  for (const line of head.headerLines) total += size(line) + 2;
  if (head.withCredentials) total += url;
  return total;
}

/** libcurl 8 silently drops a header whose value is 300 KiB or longer (its parser's
 * MAX_HTTP_RESP_HEADER_SIZE, which also bounds request header fields): such a value is refused
 * up front, on every libcurl, rather than lost. */
export const MAX_HEADER_VALUE_BYTES = 300 * 1024 - 1;

/** Why this head cannot be sent, or null when it can. */
export function requestHeadProblem(head: MeasuredHead): string | null {
  for (const line of head.headerLines) {
    if (line.length <= MAX_HEADER_VALUE_BYTES) continue;
    const colon = line.indexOf(':');
    const valueBytes = Buffer.byteLength(line) - colon - 2;
    if (valueBytes > MAX_HEADER_VALUE_BYTES) {
      return `the value of header ${line.slice(0, Math.min(colon, 64))} is ${valueBytes} bytes; at most ${MAX_HEADER_VALUE_BYTES} can be sent (libcurl drops longer ones)`;
    }
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: most heads are far below the limit on that bound
  // alone, without asking the native side for each string's byte length.
  if (3 * requestHeadUnits(head) <= MAX_REQUEST_HEAD_BYTES) return null;
  const bytes = requestHeadBytes(head);
  if (bytes <= MAX_REQUEST_HEAD_BYTES) return null;
  return `the request head would be ${bytes} bytes; at most ${MAX_REQUEST_HEAD_BYTES} can be sent (libcurl's 1 MiB limit, less room for the headers it adds)`;
}
