// What certificate an HTTPS proxy presents, learnt without OpenSSL calls in the addon: libcurl's
// certificate info only holds a hop's LAST handshake (the origin's, behind a tunnel), so the
// proxy is first spoken to as if it were a server, by a transfer of its own to
// https://proxyhost:port/ under the certificate gate with nothing accepted. The gate stops that
// transfer once TLS is up, before any byte of a request: the proxy sees a TLS handshake and a
// close, never a request, a CONNECT or credentials (test/proxy-certificate-verify.test.ts
// counts what reaches it).
import { caBundlePath } from './ca-bundle';
import { CertificateGate } from './certificate-gate';
import { bracketed } from './url-parts';
import { netErrorFromOutcome } from './errors';
import { DoneFlag, native, registerHop, unregisterHop, type HopHead, type HopListener, type HopOutcome } from './native';
import type { HopExtras } from './native-contract';
import type { NetErrorName } from './net-error-codes';
import { applySslExtras, type SslExtras } from './ssl-config';

export type ProxyProbeResult =
  /** The proxy's chain (PEM, leaf first, as the gate reports it). */
  | { kind: 'chain'; chain: string }
  /** libcurl's verification refused the chain (with verification on: no chain). */
  | { kind: 'refused'; error: NetErrorName }
  /** No TLS connection to the proxy (refused, reset, not TLS, ...): nothing to ask about. */
  | { kind: 'unreachable'; outcome: HopOutcome };

export interface ProxyProbe {
  readonly result: Promise<ProxyProbeResult>;
  /** Ends the probe's transfer (its request went away); the result then never settles. */
  abort(): void;
}



/**
 * One TLS handshake with the proxy at host:port, in `sessionId`'s connection pool, on a new
 * connection. `verify`: with libcurl's verification (whose verdict the proc is told) or without
 * (to get a chain libcurl refuses).
 */
export function probeProxyCertificate(sessionId: number, host: string, port: number, verify: boolean, ssl: SslExtras): ProxyProbe {
  let id = 0;
  let settled = false;
  let resolveResult!: (result: ProxyProbeResult) => void;
  const result = new Promise<ProxyProbeResult>((resolve) => (resolveResult = resolve));
  const listener: HopListener = {
    onHead(_head: HopHead): void {
      // Unreachable: the gate holds every probe before its request. Should a head come anyway,
      // the probe's end reports it as unreachable.
    },
    onData(): void {},
    onUploadProgress(): void {},
    onUploadConsumed(): void {},
    onDone(outcome: HopOutcome): void {
      unregisterHop(id);
      if (settled) return;
      settled = true;
      resolveResult(classify(outcome));
    },
  };
  const extras: HopExtras = {
    // With libcurl verifying, a held probe means libcurl trusts the chain; without, it always arrives.
    certificateGate: verify ? CertificateGate.WithLibcurl : CertificateGate.Only,
    acceptedChains: '',
    freshConnect: 1,
  };
  applySslExtras(ssl, extras);
  id = registerHop(listener);
  native().start(id, sessionId, `https://${bracketed(host)}:${port}/`, 'GET', '', null, 0, '', '', caBundlePath(), extras);
  return {
    result,
    abort(): void {
      if (settled) return;
      settled = true;
      native().abort(id);
      unregisterHop(id);
    },
  };
}

function classify(outcome: HopOutcome): ProxyProbeResult {
  if ((outcome.flags & DoneFlag.CertificateHeld) !== 0 && outcome.peerChain !== '') return { kind: 'chain', chain: outcome.peerChain };
  const error = netErrorFromOutcome(outcome);
  if (error !== null && error.code.startsWith('ERR_CERT_')) return { kind: 'refused', error: error.code };
  return { kind: 'unreachable', outcome };
}
