// The one validator for strings that reach the wire. A request head is text: a CR or LF in
// any string that becomes part of it starts a new header line (or a new request), and a NUL
// ends the string early on the native side. So every string that goes out — method, URL,
// header names and values, user agent, accept languages, server and proxy credentials — is
// checked here, on exactly the string that is then sent (never on a value converted again
// later), and refused if it could change the head's framing.
//
// The rules are Chromium's: a header name is an RFC 7230 token; a header value may hold
// anything but NUL, CR and LF (HttpUtil::IsValidHeaderValue); the method is a token.

const TOKEN_CHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const TOKEN = new RegExp(`^${TOKEN_CHAR}+$`);
const FRAMING = /[\0\r\n]/;
/** A whole `Name: value` line that may be sent: token name, value without NUL, CR or LF. */
const SENDABLE_LINE = new RegExp(`^${TOKEN_CHAR}+:[^\\0\\r\\n]*$`);

/** An RFC 7230 token (header name, method). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** A header value Chromium accepts: no NUL, CR or LF. */
export function isFieldValue(value: string): boolean {
  return !FRAMING.test(value);
}

/** Credentials never go on the wire as typed (Basic encodes them, Digest quotes the user
 * name), but a CR, LF or NUL in them still breaks the head (Digest) or the native string. */
export function isWireSafeCredential(value: string): boolean {
  return !FRAMING.test(value);
}

/** Converts a header value to the string that will be sent — once — and checks it. Throws
 * Electron's setHeader message when it cannot be sent. */
export function headerValueForWire(name: string, value: unknown): string {
  const wire = String(value);
  if (!isFieldValue(wire)) throw new Error(`Invalid value for header '${name}': '${wire}'`);
  return wire;
}

/** What one hop puts on the wire, as the native side receives it. */
export interface HopWireStrings {
  method: string;
  url: string;
  /** `Name: value` lines, joined with '\n' for the native side. */
  headerLines: readonly string[];
  credentials: ReadonlyArray<{ what: string; value: string | undefined }>;
}

/** The last check before a hop starts: the exact strings handed to the native side. Returns
 * a description of the first problem, or null. Everything the application set was already
 * checked when it was set (with Electron's synchronous errors); this is the backstop for the
 * strings assembled or learned later (URL user info, 'login' answers, proxy settings). */
export function wireProblem(hop: HopWireStrings): string | null {
  if (!isToken(hop.method)) return 'the method is not an RFC 7230 token';
  if (FRAMING.test(hop.url)) return 'the URL contains CR, LF or NUL';
  for (const line of hop.headerLines) {
    if (SENDABLE_LINE.test(line)) continue; // one test per line; the two below say what is wrong
    const colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.slice(0, colon))) return `invalid header name in '${line.slice(0, 64)}'`;
    if (!isFieldValue(line.slice(colon + 1))) return `the value of header '${line.slice(0, colon)}' contains CR, LF or NUL`;
  }
  for (const { what, value } of hop.credentials) {
    if (value !== undefined && !isWireSafeCredential(value)) return `the ${what} contains CR, LF or NUL`;
  }
  return null;
}
