// Chromium's net error codes, and the rules that turn what libcurl reports about a finished
// hop into one of them. docs/errors.md is the same table in prose, with how each row was
// verified. Codes are from Chromium's net/base/net_error_list.h.
import { constants as osConstants } from 'node:os';
import { DoneFlag, type HopOutcome } from './native';

/** Chromium net errors curl-net can produce: name (without `ERR_`) → Chromium's code. */
export const NET_ERROR_CODES = {
  // System (-1 … -99)
  FAILED: -2,
  ABORTED: -3,
  INVALID_ARGUMENT: -4,
  FILE_NOT_FOUND: -6,
  TIMED_OUT: -7,
  FILE_TOO_BIG: -8,
  UNEXPECTED: -9,
  ACCESS_DENIED: -10,
  NOT_IMPLEMENTED: -11,
  INSUFFICIENT_RESOURCES: -12,
  OUT_OF_MEMORY: -13,
  BLOCKED_BY_CLIENT: -20,
  NETWORK_CHANGED: -21,
  UPLOAD_STREAM_REWIND_NOT_SUPPORTED: -25,
  CONTEXT_SHUT_DOWN: -26,
  // Connection (-100 … -199)
  CONNECTION_CLOSED: -100,
  CONNECTION_RESET: -101,
  CONNECTION_REFUSED: -102,
  CONNECTION_ABORTED: -103,
  CONNECTION_FAILED: -104,
  NAME_NOT_RESOLVED: -105,
  INTERNET_DISCONNECTED: -106,
  SSL_PROTOCOL_ERROR: -107,
  ADDRESS_INVALID: -108,
  ADDRESS_UNREACHABLE: -109,
  SSL_CLIENT_AUTH_CERT_NEEDED: -110,
  TUNNEL_CONNECTION_FAILED: -111,
  SSL_VERSION_OR_CIPHER_MISMATCH: -113,
  PROXY_AUTH_UNSUPPORTED: -115,
  BAD_SSL_CLIENT_AUTH_CERT: -117,
  CONNECTION_TIMED_OUT: -118,
  SOCKS_CONNECTION_FAILED: -120,
  SOCKS_CONNECTION_HOST_UNREACHABLE: -121,
  SSL_BAD_RECORD_MAC_ALERT: -126,
  PROXY_AUTH_REQUESTED: -127,
  PROXY_CONNECTION_FAILED: -130,
  MANDATORY_PROXY_CONFIGURATION_FAILED: -131,
  PROXY_CERTIFICATE_INVALID: -136,
  NAME_RESOLUTION_FAILED: -137,
  NETWORK_ACCESS_DENIED: -138,
  ADDRESS_IN_USE: -147,
  SSL_PINNED_KEY_NOT_IN_CERT_CHAIN: -150,
  SSL_DECRYPT_ERROR_ALERT: -153,
  SSL_UNRECOGNIZED_NAME_ALERT: -159,
  NO_BUFFER_SPACE: -176,
  ECH_NOT_NEGOTIATED: -183,
  // Certificates (-200 … -218)
  CERT_COMMON_NAME_INVALID: -200,
  CERT_DATE_INVALID: -201,
  CERT_AUTHORITY_INVALID: -202,
  CERT_UNABLE_TO_CHECK_REVOCATION: -205,
  CERT_REVOKED: -206,
  CERT_INVALID: -207,
  CERT_WEAK_SIGNATURE_ALGORITHM: -208,
  CERT_WEAK_KEY: -211,
  CERT_NAME_CONSTRAINT_VIOLATION: -212,
  CERT_VALIDITY_TOO_LONG: -213,
  CERTIFICATE_TRANSPARENCY_REQUIRED: -214,
  // HTTP (-300 … -399)
  INVALID_URL: -300,
  DISALLOWED_URL_SCHEME: -301,
  UNKNOWN_URL_SCHEME: -302,
  INVALID_REDIRECT: -303,
  TOO_MANY_REDIRECTS: -310,
  UNSAFE_REDIRECT: -311,
  UNSAFE_PORT: -312,
  INVALID_RESPONSE: -320,
  INVALID_CHUNKED_ENCODING: -321,
  METHOD_NOT_SUPPORTED: -322,
  UNEXPECTED_PROXY_AUTH: -323,
  EMPTY_RESPONSE: -324,
  RESPONSE_HEADERS_TOO_BIG: -325,
  PAC_SCRIPT_FAILED: -327,
  REQUEST_RANGE_NOT_SATISFIABLE: -328,
  CONTENT_DECODING_FAILED: -330,
  NO_SUPPORTED_PROXIES: -336,
  HTTP2_PROTOCOL_ERROR: -337,
  INVALID_AUTH_CREDENTIALS: -338,
  UNSUPPORTED_AUTH_SCHEME: -339,
  MISSING_AUTH_CREDENTIALS: -341,
  UNEXPECTED_SECURITY_LIBRARY_STATUS: -342,
  MISCONFIGURED_AUTH_ENVIRONMENT: -343,
  RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH: -346,
  INCOMPLETE_HTTP2_HEADERS: -347,
  RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION: -349,
  RESPONSE_HEADERS_MULTIPLE_LOCATION: -350,
  HTTP2_SERVER_REFUSED_STREAM: -351,
  CONTENT_LENGTH_MISMATCH: -354,
  INCOMPLETE_CHUNKED_ENCODING: -355,
  QUIC_PROTOCOL_ERROR: -356,
  RESPONSE_HEADERS_TRUNCATED: -357,
  QUIC_HANDSHAKE_FAILED: -358,
  HTTP2_FLOW_CONTROL_ERROR: -361,
  HTTP2_FRAME_SIZE_ERROR: -362,
  HTTP2_COMPRESSION_ERROR: -363,
  HTTP_1_1_REQUIRED: -365,
  INVALID_HTTP_RESPONSE: -370,
  CONTENT_DECODING_INIT_FAILED: -371,
  TOO_MANY_RETRIES: -375,
  HTTP2_STREAM_CLOSED: -376,
  HTTP_RESPONSE_CODE_FAILURE: -379,
  // Cache (-400 …)
  CACHE_MISS: -400,
} as const;

/** A Chromium error name without the `ERR_` prefix, e.g. `CONNECTION_REFUSED`. */
export type NetErrorKey = keyof typeof NET_ERROR_CODES;
/** A Chromium error name as Electron spells it after `net::`, e.g. `ERR_CONNECTION_REFUSED`. */
export type NetErrorName = `ERR_${NetErrorKey}`;

/** Chromium's negative code for `ERR_…` (or the bare name), or undefined if we never use it. */
export function netErrorCode(name: string): number | undefined {
  const key = name.startsWith('ERR_') ? name.slice(4) : name;
  return Object.prototype.hasOwnProperty.call(NET_ERROR_CODES, key)
    ? NET_ERROR_CODES[key as NetErrorKey]
    : undefined;
}

export function isNetErrorName(name: string): name is NetErrorName {
  return name.startsWith('ERR_') && netErrorCode(name) !== undefined;
}

export interface NetErrorContext {
  /** The hop ended because the caller aborted it: that wins over whatever libcurl said. */
  aborted?: boolean;
}

// ---- errno -----------------------------------------------------------------------------------

// Errno values differ between platforms (ECONNREFUSED is 111 on Linux, 61 on macOS, and
// libcurl reports WSAECONNREFUSED 10061 on Windows), so they are looked up by name.
const ERRNO = osConstants.errno as Record<string, number | undefined>;

function errnoTable(entries: Array<[string[], NetErrorKey]>): Map<number, NetErrorKey> {
  const table = new Map<number, NetErrorKey>();
  for (const [names, key] of entries) {
    for (const name of names) {
      for (const spelled of [name, `WSA${name}`]) {
        const value = ERRNO[spelled];
        if (value !== undefined && !table.has(value)) table.set(value, key);
      }
    }
  }
  return table;
}

// Chromium's MapSystemError (net_errors_posix.cc / net_errors_win.cc), the entries that can
// come out of a socket.
const SYSTEM_ERRNO = errnoTable([
  [['ECONNRESET', 'ENETRESET', 'EPIPE'], 'CONNECTION_RESET'],
  [['ECONNABORTED'], 'CONNECTION_ABORTED'],
  [['ECONNREFUSED'], 'CONNECTION_REFUSED'],
  [['ETIMEDOUT'], 'TIMED_OUT'],
  [['EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'EAFNOSUPPORT'], 'ADDRESS_UNREACHABLE'],
  [['ENETDOWN'], 'INTERNET_DISCONNECTED'],
  [['EADDRNOTAVAIL'], 'ADDRESS_INVALID'],
  [['EADDRINUSE'], 'ADDRESS_IN_USE'],
  [['EACCES', 'EPERM'], 'ACCESS_DENIED'],
  [['ENOBUFS'], 'NO_BUFFER_SPACE'],
  [['EMFILE', 'ENFILE'], 'INSUFFICIENT_RESOURCES'],
  [['ENOMEM'], 'OUT_OF_MEMORY'],
  [['ENOTCONN'], 'CONNECTION_CLOSED'],
]);

// Chromium's MapConnectError: the same, except during connect() a timeout is a *connection*
// timeout and a permission error means a firewall (NETWORK_ACCESS_DENIED).
const CONNECT_ERRNO = errnoTable([
  [['ETIMEDOUT'], 'CONNECTION_TIMED_OUT'],
  [['EACCES', 'EPERM'], 'NETWORK_ACCESS_DENIED'],
  [['ECONNREFUSED'], 'CONNECTION_REFUSED'],
  [['ECONNRESET', 'ENETRESET', 'EPIPE'], 'CONNECTION_RESET'],
  [['ECONNABORTED'], 'CONNECTION_ABORTED'],
  [['EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'EAFNOSUPPORT'], 'ADDRESS_UNREACHABLE'],
  [['ENETDOWN'], 'INTERNET_DISCONNECTED'],
  [['EADDRNOTAVAIL'], 'ADDRESS_INVALID'],
  [['EADDRINUSE'], 'ADDRESS_IN_USE'],
  [['ENOBUFS'], 'NO_BUFFER_SPACE'],
  [['EMFILE', 'ENFILE'], 'INSUFFICIENT_RESOURCES'],
]);

const ECONNRESET = new Set([ERRNO.ECONNRESET, ERRNO.WSAECONNRESET].filter((v): v is number => v !== undefined));

// ---- OpenSSL verify results (X509_V_ERR_*, OpenSSL 3.0 x509_vfy.h) ----------------------------

const X509_V_ERR = {
  UNSPECIFIED: 1,
  UNABLE_TO_GET_ISSUER_CERT: 2,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 13,
  ERROR_IN_CERT_NOT_AFTER_FIELD: 14,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_REVOKED: 23,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  PERMITTED_VIOLATION: 47,
  EXCLUDED_VIOLATION: 48,
  HOSTNAME_MISMATCH: 62,
  IP_ADDRESS_MISMATCH: 64,
  EE_KEY_TOO_SMALL: 66,
  CA_KEY_TOO_SMALL: 67,
  CA_MD_TOO_WEAK: 68,
  INVALID_CA: 79,
} as const;

const VERIFY_RESULT: ReadonlyMap<number, NetErrorKey> = new Map<number, NetErrorKey>([
  [X509_V_ERR.CERT_NOT_YET_VALID, 'CERT_DATE_INVALID'],
  [X509_V_ERR.CERT_HAS_EXPIRED, 'CERT_DATE_INVALID'],
  [X509_V_ERR.ERROR_IN_CERT_NOT_BEFORE_FIELD, 'CERT_DATE_INVALID'],
  [X509_V_ERR.ERROR_IN_CERT_NOT_AFTER_FIELD, 'CERT_DATE_INVALID'],
  [X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.DEPTH_ZERO_SELF_SIGNED_CERT, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.SELF_SIGNED_CERT_IN_CHAIN, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.CERT_UNTRUSTED, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.CERT_REJECTED, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.INVALID_CA, 'CERT_AUTHORITY_INVALID'],
  [X509_V_ERR.CERT_REVOKED, 'CERT_REVOKED'],
  [X509_V_ERR.PERMITTED_VIOLATION, 'CERT_NAME_CONSTRAINT_VIOLATION'],
  [X509_V_ERR.EXCLUDED_VIOLATION, 'CERT_NAME_CONSTRAINT_VIOLATION'],
  [X509_V_ERR.HOSTNAME_MISMATCH, 'CERT_COMMON_NAME_INVALID'],
  [X509_V_ERR.IP_ADDRESS_MISMATCH, 'CERT_COMMON_NAME_INVALID'],
  [X509_V_ERR.EE_KEY_TOO_SMALL, 'CERT_WEAK_KEY'],
  [X509_V_ERR.CA_KEY_TOO_SMALL, 'CERT_WEAK_KEY'],
  [X509_V_ERR.CA_MD_TOO_WEAK, 'CERT_WEAK_SIGNATURE_ALGORITHM'],
]);

// ---- libcurl texts ---------------------------------------------------------------------------
// Some distinctions exist only in libcurl's error buffer. Each pattern covers the wording of
// curl 7.88.1 and of 8.x (8.x renamed "host name" to "hostname", among others).

const TEXT = {
  http09: /HTTP\/0\.9/,
  badStatusLine: /Unsupported HTTP|response code in HTTP response|Invalid status line/i,
  tunnel: /CONNECT tunnel failed|Proxy CONNECT aborted|CONNECT response too large|from proxy after CONNECT/i,
  headersTooBig: /Too large response headers|Too long response header|header.{0,40}too (large|long|big)|giant realloc for header/i,
  chunk: /chunk/i,
  multipleLocation: /Multiple Location/i,
  multipleContentLength: /(Multiple|conflicting|different).{0,20}Content-Length|Content-Length.{0,20}(multiple|conflict)/i,
  pause: /pause/i,
  resolveTimeout: /Resolving timed out/i,
  tlsHandshakeTimeout: /SSL connection timeout|TLS.{0,20}timed? ?out/i,
  connectTimeout: /timed? ?out|Timeout was reached/i,
  pollError: /select\/poll returned error/i,
  reset: /Connection reset|ECONNRESET/i,
  hostMismatch: /subject name|does not match target host|no alternative certificate|hostname mismatch|not valid for/i,
  certDate: /expired|not yet valid|NotValidYet|validity/i,
  certAuthority: /self[- ]?signed|unable to get (local )?issuer|unknown ca|untrusted|issuer certificate|UnknownIssuer/i,
  certRevoked: /revoked/i,
  // OpenSSL 3.0 leaves its ASN.1/EVP error first in the queue when a certificate's signature
  // does not verify; libcurl reports that one (35) instead of the verify failure (60).
  certSignature: /asn1 encoding routines|signature failure|bad signature/i,
  versionOrCipher: /alert protocol version|handshake failure|no shared cipher|unsupported protocol|no protocols available|no ciphers available|version too low|inappropriate fallback|no suitable (key share|signature)/i,
  unrecognizedName: /unrecognized name/i,
  decryptError: /decrypt error/i,
  badRecordMac: /bad record mac/i,
  certificateRequired: /certificate required/i,
  clientCertRejected: /alert (bad certificate|unknown ca|access denied|certificate unknown|unsupported certificate)/i,
  tlsEof: /SSL_ERROR_SYSCALL|unexpected eof|Connection closed abruptly|connection was closed|EOF/i,
  http2RefusedStream: /REFUSED_STREAM/,
  http11Required: /HTTP_1_1_REQUIRED/,
  http2FlowControl: /FLOW_CONTROL_ERROR/,
  http2FrameSize: /FRAME_SIZE_ERROR/,
  http2Compression: /COMPRESSION_ERROR/,
  http2IncompleteHeaders: /before getting all response header fields/i,
  revocationUnknown: /unable to check|unknown/i,
} as const;

// ---- CURLPX_* (curl.h CURLproxycode), for CURLE_PROXY (97) -------------------------------------

const CURLPX = {
  REPLY_HOST_UNREACHABLE: 21,
  REPLY_NETWORK_UNREACHABLE: 22,
  RESOLVE_HOST: 27,
} as const;

// ---- the mapping -------------------------------------------------------------------------------

const has = (outcome: HopOutcome, flag: DoneFlag): boolean => (outcome.flags & flag) !== 0;

/**
 * The Chromium error (`'ERR_…'`) for a finished hop, or null when it succeeded (libcurl said
 * OK and a response head was committed). Electron shows it as `net::` + this name.
 */
export function netErrorName(outcome: HopOutcome, context: NetErrorContext = {}): NetErrorName | null {
  const key = netErrorKey(outcome, context);
  return key === null ? null : `ERR_${key}`;
}

function netErrorKey(o: HopOutcome, context: NetErrorContext): NetErrorKey | null {
  if (context.aborted) return 'ABORTED';

  // The native header callback refused the head for these (libcurl then reports 23, "Failed
  // writing header"); the flag says why, whatever code libcurl chose.
  if (has(o, DoneFlag.HeadersTooBig)) return 'RESPONSE_HEADERS_TOO_BIG';
  if (has(o, DoneFlag.MultipleLocations)) return 'RESPONSE_HEADERS_MULTIPLE_LOCATION';
  if (has(o, DoneFlag.MultipleContentLength)) return 'RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH';

  if (o.curlCode === 0) {
    if (has(o, DoneFlag.HeadCommitted)) return null;
    // libcurl accepted the transfer but no complete head came: the connection closed inside
    // the header block (curl 7.88.1 returns OK for that) or before anything at all.
    return o.responseCode > 0 ? 'RESPONSE_HEADERS_TRUNCATED' : 'EMPTY_RESPONSE';
  }

  // A refused CONNECT is keyed on the CONNECT status, not the CURLcode: curl reports it as 56
  // up to 8.19 and as 7 from 8.20.
  if (o.connectCode !== 0 && (o.connectCode < 200 || o.connectCode > 299)) return 'TUNNEL_CONNECTION_FAILED';

  const watched = watchedHandshakeError(o);
  if (watched !== null) return watched;

  const text = o.message;
  const usedProxy = has(o, DoneFlag.UsedProxy);

  switch (o.curlCode) {
    case 1: // CURLE_UNSUPPORTED_PROTOCOL
      // curl uses this code for responses it will not parse as HTTP/1.x, as well as for URL
      // schemes it was not built (or allowed) to speak.
      if (TEXT.http09.test(text) || TEXT.badStatusLine.test(text)) return 'INVALID_HTTP_RESPONSE';
      return 'UNKNOWN_URL_SCHEME';
    case 2: // CURLE_FAILED_INIT (also what the native side reports when a hop cannot start)
      return 'FAILED';
    case 3: // CURLE_URL_MALFORMAT
      return 'INVALID_URL';
    case 4: // CURLE_NOT_BUILT_IN
      return 'NOT_IMPLEMENTED';
    case 5: // CURLE_COULDNT_RESOLVE_PROXY: Chromium uses one error for resolving and reaching a proxy
      return 'PROXY_CONNECTION_FAILED';
    case 6: // CURLE_COULDNT_RESOLVE_HOST
      // Through a proxy libcurl never reports the origin's name with 6 (a proxy resolves it, or
      // SOCKS reports it as 97), but libcurl 8.14 reports the proxy's own name as 6 instead of 5
      // when its resolver thread has already failed by its first check (url.c passes
      // Curl_resolv's code through): a race, so both codes must mean the same.
      return usedProxy ? 'PROXY_CONNECTION_FAILED' : 'NAME_NOT_RESOLVED';
    case 7: // CURLE_COULDNT_CONNECT
      if (usedProxy) return 'PROXY_CONNECTION_FAILED';
      return CONNECT_ERRNO.get(o.osErrno) ?? (TEXT.connectTimeout.test(text) ? 'CONNECTION_TIMED_OUT' : 'CONNECTION_FAILED');
    case 8: // CURLE_WEIRD_SERVER_REPLY
      if (TEXT.multipleLocation.test(text)) return 'RESPONSE_HEADERS_MULTIPLE_LOCATION';
      if (TEXT.multipleContentLength.test(text)) return 'RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH';
      if (TEXT.tunnel.test(text)) return 'TUNNEL_CONNECTION_FAILED';
      return 'INVALID_HTTP_RESPONSE';
    case 9: // CURLE_REMOTE_ACCESS_DENIED
      return 'ACCESS_DENIED';
    case 16: // CURLE_HTTP2
    case 92: // CURLE_HTTP2_STREAM
      return http2Error(text);
    case 18: // CURLE_PARTIAL_FILE
      return has(o, DoneFlag.ResponseChunked) ? 'INCOMPLETE_CHUNKED_ENCODING' : 'CONTENT_LENGTH_MISMATCH';
    case 22: // CURLE_HTTP_RETURNED_ERROR (only with FAILONERROR, which we never set)
      return 'HTTP_RESPONSE_CODE_FAILURE';
    case 23: // CURLE_WRITE_ERROR: a callback of ours refused data without saying why
    case 25: // CURLE_UPLOAD_FAILED
    case 26: // CURLE_READ_ERROR
      return 'FAILED';
    case 27: // CURLE_OUT_OF_MEMORY
      if (TEXT.pause.test(text)) return 'INSUFFICIENT_RESOURCES';
      // curl 7.88.1 reports a header line over CURL_MAX_HTTP_HEADER (100 KiB) as a bare
      // "Out of memory" after the status line was parsed and before a head was complete.
      if (TEXT.headersTooBig.test(text) || (!has(o, DoneFlag.HeadCommitted) && o.responseCode > 0)) {
        return 'RESPONSE_HEADERS_TOO_BIG';
      }
      return 'OUT_OF_MEMORY';
    case 28: // CURLE_OPERATION_TIMEDOUT
      if (TEXT.resolveTimeout.test(text)) return usedProxy ? 'PROXY_CONNECTION_FAILED' : 'NAME_NOT_RESOLVED';
      // The TLS handshake only starts once TCP is connected, whatever the Connected flag says
      // (curl 7.88.1 leaves CONNECT_TIME_T at 0 until TLS is done too).
      if (has(o, DoneFlag.Connected) || TEXT.tlsHandshakeTimeout.test(text)) return 'TIMED_OUT';
      return usedProxy ? 'PROXY_CONNECTION_FAILED' : 'CONNECTION_TIMED_OUT';
    case 33: // CURLE_RANGE_ERROR
      return 'REQUEST_RANGE_NOT_SATISFIABLE';
    case 35: // CURLE_SSL_CONNECT_ERROR
      return tlsHandshakeError(o);
    case 37: // CURLE_FILE_COULDNT_READ_FILE
      return 'FILE_NOT_FOUND';
    case 42: // CURLE_ABORTED_BY_CALLBACK
      return 'ABORTED';
    case 43: // CURLE_BAD_FUNCTION_ARGUMENT
      // curl also uses it for some malformed chunk sizes ("0x2"; 7.88: "Failed reading the
      // chunked-encoded stream", 8.14: "Invalid response header"): that is the server's
      // framing, not our argument.
      if (TEXT.chunk.test(text) || (has(o, DoneFlag.ResponseChunked) && has(o, DoneFlag.HeadCommitted))) {
        return 'INVALID_CHUNKED_ENCODING';
      }
      return 'INVALID_ARGUMENT';
    case 49: // CURLE_SETOPT_OPTION_SYNTAX
      return 'INVALID_ARGUMENT';
    case 45: // CURLE_INTERFACE_FAILED
      return CONNECT_ERRNO.get(o.osErrno) === 'ADDRESS_IN_USE' ? 'ADDRESS_IN_USE' : 'ADDRESS_INVALID';
    case 47: // CURLE_TOO_MANY_REDIRECTS
      return 'TOO_MANY_REDIRECTS';
    case 48: // CURLE_UNKNOWN_OPTION
      return 'NOT_IMPLEMENTED';
    case 52: // CURLE_GOT_NOTHING
      return 'EMPTY_RESPONSE';
    case 55: // CURLE_SEND_ERROR
      if (TEXT.pollError.test(text)) return 'CONNECTION_RESET';
      return SYSTEM_ERRNO.get(o.osErrno) ?? 'CONNECTION_FAILED';
    case 56: // CURLE_RECV_ERROR
      return receiveError(o);
    case 58: // CURLE_SSL_CERTPROBLEM
      return 'BAD_SSL_CLIENT_AUTH_CERT';
    case 59: // CURLE_SSL_CIPHER
      return 'SSL_VERSION_OR_CIPHER_MISMATCH';
    case 60: // CURLE_PEER_FAILED_VERIFICATION
      return certificateError(o);
    case 61: // CURLE_BAD_CONTENT_ENCODING
      return 'CONTENT_DECODING_FAILED';
    case 63: // CURLE_FILESIZE_EXCEEDED
      return 'FILE_TOO_BIG';
    case 64: // CURLE_USE_SSL_FAILED
      return 'SSL_PROTOCOL_ERROR';
    case 65: // CURLE_SEND_FAIL_REWIND
      return 'UPLOAD_STREAM_REWIND_NOT_SUPPORTED';
    case 67: // CURLE_LOGIN_DENIED
      return 'INVALID_AUTH_CREDENTIALS';
    case 77: // CURLE_SSL_CACERT_BADFILE: a configuration error; no certificate was judged
    case 82: // CURLE_SSL_CRL_BADFILE
    case 53: // CURLE_SSL_ENGINE_NOTFOUND
    case 54: // CURLE_SSL_ENGINE_SETFAILED
    case 66: // CURLE_SSL_ENGINE_INITFAILED
    case 81: // CURLE_AGAIN (never expected from a multi transfer)
      return 'FAILED';
    case 80: // CURLE_SSL_SHUTDOWN_FAILED
      return 'CONNECTION_CLOSED';
    case 83: // CURLE_SSL_ISSUER_ERROR
      return 'CERT_AUTHORITY_INVALID';
    case 89: // CURLE_NO_CONNECTION_AVAILABLE
      return 'INSUFFICIENT_RESOURCES';
    case 90: // CURLE_SSL_PINNEDPUBKEYNOTMATCH
      return 'SSL_PINNED_KEY_NOT_IN_CERT_CHAIN';
    case 91: // CURLE_SSL_INVALIDCERTSTATUS (OCSP stapling)
      return TEXT.certRevoked.test(text) ? 'CERT_REVOKED' : 'CERT_UNABLE_TO_CHECK_REVOCATION';
    case 93: // CURLE_RECURSIVE_API_CALL
    case 99: // CURLE_UNRECOVERABLE_POLL
      return 'UNEXPECTED';
    case 94: // CURLE_AUTH_ERROR: a GSS-API/SSPI/NTLM library call failed
      return 'UNEXPECTED_SECURITY_LIBRARY_STATUS';
    case 95: // CURLE_HTTP3
      return 'QUIC_PROTOCOL_ERROR';
    case 96: // CURLE_QUIC_CONNECT_ERROR
      return 'QUIC_HANDSHAKE_FAILED';
    case 97: // CURLE_PROXY
      return socksError(o.proxyError);
    case 98: // CURLE_SSL_CLIENTCERT: the server demanded a client certificate (we send none)
      return 'SSL_CLIENT_AUTH_CERT_NEEDED';
    case 100: // CURLE_TOO_LARGE (8.6+)
      if (TEXT.pause.test(text)) return 'INSUFFICIENT_RESOURCES';
      // 8.x reports a header line over 100 KiB as TOO_LARGE from its header buffer.
      if (TEXT.headersTooBig.test(text) || !has(o, DoneFlag.HeadCommitted)) return 'RESPONSE_HEADERS_TOO_BIG';
      return 'FAILED';
    case 101: // CURLE_ECH_REQUIRED (8.8+)
      return 'ECH_NOT_NEGOTIATED';
    default:
      // FTP, TFTP, SSH, LDAP, RTSP, … codes: impossible with PROTOCOLS_STR "http,https".
      return 'FAILED';
  }
}

function receiveError(o: HopOutcome): NetErrorKey {
  const text = o.message;
  if (TEXT.tunnel.test(text)) return 'TUNNEL_CONNECTION_FAILED';
  // TLS 1.3: the server judges the client certificate after the client's handshake is done,
  // so its alert arrives with the first read.
  if (TEXT.certificateRequired.test(text)) return 'SSL_CLIENT_AUTH_CERT_NEEDED';
  if (TEXT.clientCertRejected.test(text)) return 'BAD_SSL_CLIENT_AUTH_CERT';
  if (TEXT.headersTooBig.test(text)) return 'RESPONSE_HEADERS_TOO_BIG';
  if (TEXT.chunk.test(text)) return 'INVALID_CHUNKED_ENCODING';
  const byErrno = SYSTEM_ERRNO.get(o.osErrno);
  if (byErrno !== undefined) return byErrno;
  if (TEXT.pollError.test(text) || TEXT.reset.test(text)) return 'CONNECTION_RESET';
  // A clean EOF where data was still expected, including a TLS stream cut without
  // close_notify (OpenSSL 3: "unexpected eof while reading").
  return 'CONNECTION_CLOSED';
}

function tlsHandshakeError(o: HopOutcome): NetErrorKey {
  const text = o.message;
  if (ECONNRESET.has(o.osErrno) || (o.osErrno === 0 && TEXT.reset.test(text))) return 'CONNECTION_RESET';
  if (TEXT.versionOrCipher.test(text)) return 'SSL_VERSION_OR_CIPHER_MISMATCH';
  if (TEXT.certSignature.test(text)) return 'CERT_INVALID';
  if (TEXT.unrecognizedName.test(text)) return 'SSL_UNRECOGNIZED_NAME_ALERT';
  if (TEXT.decryptError.test(text)) return 'SSL_DECRYPT_ERROR_ALERT';
  if (TEXT.badRecordMac.test(text)) return 'SSL_BAD_RECORD_MAC_ALERT';
  if (TEXT.certificateRequired.test(text)) return 'SSL_CLIENT_AUTH_CERT_NEEDED';
  // Alerts the *server* sent about a client certificate.
  if (TEXT.clientCertRejected.test(text)) return 'BAD_SSL_CLIENT_AUTH_CERT';
  const byErrno = SYSTEM_ERRNO.get(o.osErrno);
  if (byErrno !== undefined) return byErrno;
  // The peer closed during the handshake: Chromium reports the close, not a protocol error.
  if (TEXT.tlsEof.test(text)) return 'CONNECTION_CLOSED';
  // Includes "wrong version number": TLS spoken to a plain-HTTP port.
  return 'SSL_PROTOCOL_ERROR';
}

/** The addon's own record of a failed handshake (native/tls_watch.h) outranks libcurl's report,
 * which loses the origin's verdict when its handshake runs inside an HTTPS proxy's TLS (curl 35
 * "SSL_ERROR_SYSCALL" / "error:00000000") and names a refused OCSP staple only as a handshake
 * error. Consulted only for failures a handshake can cause. */
function watchedHandshakeError(o: HopOutcome): NetErrorKey | null {
  if (o.curlCode !== 35 && o.curlCode !== 56 && o.curlCode !== 60) return null;
  if (o.proxyTlsVerdict !== 0) return 'PROXY_CERTIFICATE_INVALID';
  if (o.originTlsVerdict === 0) return null;
  return VERIFY_RESULT.get(o.originTlsVerdict) ?? 'CERT_INVALID';
}

function certificateError(o: HopOutcome): NetErrorKey {
  const text = o.message;
  // Only the proxy's handshake ran (the origin's verify result was never set): its
  // certificate is the bad one.
  if (has(o, DoneFlag.UsedProxy) && o.proxySslVerifyResult !== 0 && o.sslVerifyResult === 0) {
    return 'PROXY_CERTIFICATE_INVALID';
  }
  // A hostname mismatch is found by curl after OpenSSL accepted the chain; the verify result
  // then stays at curl's initial 1, and only the text tells.
  if (TEXT.hostMismatch.test(text)) return 'CERT_COMMON_NAME_INVALID';
  const byResult = VERIFY_RESULT.get(o.sslVerifyResult);
  if (byResult !== undefined) return byResult;
  // Other TLS backends (8.x builds without OpenSSL) leave the result at 0/1: use the text.
  if (TEXT.certDate.test(text)) return 'CERT_DATE_INVALID';
  if (TEXT.certRevoked.test(text)) return 'CERT_REVOKED';
  if (TEXT.certAuthority.test(text)) return 'CERT_AUTHORITY_INVALID';
  return 'CERT_INVALID';
}

function http2Error(text: string): NetErrorKey {
  if (TEXT.http2RefusedStream.test(text)) return 'HTTP2_SERVER_REFUSED_STREAM';
  if (TEXT.http11Required.test(text)) return 'HTTP_1_1_REQUIRED';
  if (TEXT.http2FlowControl.test(text)) return 'HTTP2_FLOW_CONTROL_ERROR';
  if (TEXT.http2FrameSize.test(text)) return 'HTTP2_FRAME_SIZE_ERROR';
  if (TEXT.http2Compression.test(text)) return 'HTTP2_COMPRESSION_ERROR';
  if (TEXT.http2IncompleteHeaders.test(text)) return 'INCOMPLETE_HTTP2_HEADERS';
  return 'HTTP2_PROTOCOL_ERROR';
}

function socksError(proxyError: number): NetErrorKey {
  switch (proxyError) {
    case CURLPX.REPLY_HOST_UNREACHABLE:
    case CURLPX.REPLY_NETWORK_UNREACHABLE:
      return 'SOCKS_CONNECTION_HOST_UNREACHABLE';
    case CURLPX.RESOLVE_HOST: // socks4/socks5 (not 4a/5h) resolve the target locally
      return 'NAME_NOT_RESOLVED';
    default:
      // Everything else, SOCKS authentication failures included: Chromium does no SOCKS
      // authentication and reports any failed SOCKS handshake this way.
      return 'SOCKS_CONNECTION_FAILED';
  }
}
