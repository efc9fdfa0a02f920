// The error objects curl-net hands to users. Electron's are plain `Error('net::ERR_…')`; ours
// keep that exact message (callers match on it) and add what Electron cannot: the Chromium
// code, and libcurl's own code and text for debugging.
import type { Certificate } from './certificate';
import type { HopOutcome } from './native';
import { netErrorCode, netErrorName, type NetErrorContext, type NetErrorName } from './net-error-codes';

export { NET_ERROR_CODES, netErrorCode, netErrorName, isNetErrorName } from './net-error-codes';
export type { NetErrorContext, NetErrorKey, NetErrorName } from './net-error-codes';

// A registered symbol, so two copies of this package (nested node_modules, a bundled and an
// unbundled build) recognise each other's errors: `instanceof` checks the brand, not identity.
const kNetError = Symbol.for('curl-net.error.NetError');

export interface NetErrorDetails {
  cause?: unknown;
  /** libcurl's CURLcode, when the error came from a transfer. */
  curlCode?: number;
  /** libcurl's error text. */
  curlMessage?: string;
  /** The OS errno libcurl saw (CURLINFO_OS_ERRNO), when it saw one. */
  osErrno?: number;
}

export class NetError extends Error {
  /** Chromium's name, e.g. `'ERR_CONNECTION_REFUSED'`. */
  readonly code: NetErrorName;
  /** Chromium's (negative) code, e.g. -102. */
  readonly errno: number;
  // `declare`: no class-field initialisation, so absent details are absent keys, not undefined.
  declare readonly curlCode?: number;
  declare readonly curlMessage?: string;
  declare readonly osErrno?: number;
  /** The server's certificate, on certificate errors (ERR_CERT_*) when it could be fetched. */
  declare readonly certificate?: Certificate;

  constructor(code: NetErrorName, details: NetErrorDetails = {}) {
    const errno = netErrorCode(code);
    if (errno === undefined) throw new TypeError(`Unknown net error name: ${String(code)}`);
    // `cause` only when there is one, so it does not show up as `cause: undefined`.
    super(`net::${code}`, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.code = code;
    this.errno = errno;
    const self = this as { curlCode?: number; curlMessage?: string; osErrno?: number };
    if (details.curlCode !== undefined) self.curlCode = details.curlCode;
    if (details.curlMessage !== undefined) self.curlMessage = details.curlMessage;
    if (details.osErrno !== undefined) self.osErrno = details.osErrno;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep ordinary prototype semantics; NetError itself recognises any copy.
    if (this !== NetError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kNetError] === true;
  }
}

// On the prototype, like Error's own `name`, so it is not an enumerable own property of every
// instance; the brand likewise.
Object.defineProperty(NetError.prototype, 'name', { value: 'NetError', writable: true, configurable: true });
Object.defineProperty(NetError.prototype, kNetError, { value: true });

/** An error the TS layer raises itself (ERR_INVALID_ARGUMENT, ERR_UNSAFE_REDIRECT, …). */
export function netError(name: NetErrorName, details?: NetErrorDetails): NetError {
  const error = new NetError(name, details);
  // The stack should start where the caller decided to fail, not in this helper.
  Error.captureStackTrace(error, netError);
  return error;
}

/** The error for a finished hop, or null when it succeeded. */
export function netErrorFromOutcome(outcome: HopOutcome, context: NetErrorContext = {}): NetError | null {
  const name = netErrorName(outcome, context);
  if (name === null) return null;
  const details: NetErrorDetails = {};
  if (outcome.curlCode !== 0) {
    details.curlCode = outcome.curlCode;
    details.curlMessage = outcome.message;
  }
  if (outcome.osErrno !== 0) details.osErrno = outcome.osErrno;
  return new NetError(name, details);
}
