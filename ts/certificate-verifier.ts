// A session's certificate verify proc (Electron's ses.setCertificateVerifyProc) and the
// verdicts it gave. A verdict is kept per (host, port, exact PEM chain): the certificate gate
// (native/transfer.cc) lets a request through only on a connection that presented a chain
// accepted for that origin, so a verdict is never applied to another certificate.
import { certificateFromChain, type Certificate } from './certificate';
import { NET_ERROR_CODES, type NetErrorName } from './net-error-codes';

export interface CertificateVerifyRequest {
  hostname: string;
  certificate: Certificate;
  validatedCertificate: Certificate;
  isIssuedByKnownRoot: boolean;
  /** 'net::OK' or the built-in verifier's error ('net::ERR_CERT_…'). */
  verificationResult: string;
  /** 0 or the built-in verifier's (negative) net error code. */
  errorCode: number;
}

export type CertificateVerifyProc = (request: CertificateVerifyRequest, callback: (verificationResult: number) => void) => void;

export interface CertificateVerdict {
  accepted: boolean;
  /** Why the chain was refused (accepted: null). */
  error: NetErrorName | null;
}

interface Accepted {
  /** The accepted chains, '|'-joined, as the gate's acceptedChains extra wants them. */
  chains: string;
  /** Some accepted chain fails libcurl's own verification (the gate must then turn it off). */
  libcurlRefusesSome: boolean;
}

const NOTHING_ACCEPTED: Accepted = Object.freeze({ chains: '', libcurlRefusesSome: false });

let nameByCode: Map<number, NetErrorName> | undefined;

function netErrorNameOf(code: number): NetErrorName | undefined {
  nameByCode ??= new Map(Object.entries(NET_ERROR_CODES).map(([key, value]) => [value, `ERR_${key}` as NetErrorName]));
  return nameByCode.get(code);
}

/** Electron's callback values: 0 accept, -2 fail, -3 the built-in verdict, or a net error. */
export function verdictFromCallback(value: unknown, builtIn: NetErrorName | null): CertificateVerdict {
  if (value === 0) return { accepted: true, error: null };
  if (value === -3) return builtIn === null ? { accepted: true, error: null } : { accepted: false, error: builtIn };
  const named = typeof value === 'number' && value < 0 ? netErrorNameOf(value) : undefined;
  return { accepted: false, error: named ?? 'ERR_FAILED' };
}

export class CertificateVerifier {
  private readonly _verdicts = new Map<string, CertificateVerdict>();
  private readonly _accepted = new Map<string, Accepted>();
  private readonly _pending = new Map<string, Promise<CertificateVerdict>>();
  /** Bumped by clear(): an answer to a question asked before it is not remembered. */
  private _generation = 0;
  /** How often the proc was called (tests and benchmarks count new-connection costs). */
  calls = 0;

  constructor(readonly proc: CertificateVerifyProc) {}

  /** What the gate may let through for `origin` ("host:port"). */
  accepted(origin: string): Accepted {
    return this._accepted.get(origin) ?? NOTHING_ACCEPTED;
  }

  lookup(origin: string, chain: string): CertificateVerdict | undefined {
    return this._verdicts.get(`${origin}\n${chain}`);
  }

  /** Asks the proc about a chain. Settles when the proc calls back (never, if it never does);
   * rejects when the proc throws. The verdict is remembered either way it goes, unless the
   * verdicts were cleared meanwhile. */
  ask(hostname: string, origin: string, chain: string, builtIn: NetErrorName | null): Promise<CertificateVerdict> {
    // Requests that meet the same chain while the proc thinks share its one answer, as
    // Chromium's certificate verifier joins identical jobs.
    const key = `${origin}\n${chain}`;
    const pending = this._pending.get(key);
    if (pending !== undefined) return pending;
    const question = this._ask(hostname, origin, chain, builtIn);
    this._pending.set(key, question);
    const forget = (): void => {
      if (this._pending.get(key) === question) this._pending.delete(key);
    };
    question.then(forget, forget);
    return question;
  }

  private _ask(hostname: string, origin: string, chain: string, builtIn: NetErrorName | null): Promise<CertificateVerdict> {
    const certificate = certificateFromChain(chain);
    if (certificate === null) return Promise.resolve({ accepted: false, error: 'ERR_CERT_INVALID' });
    const errorCode = builtIn === null ? 0 : NET_ERROR_CODES[builtIn.slice(4) as keyof typeof NET_ERROR_CODES];
    const request: CertificateVerifyRequest = {
      hostname,
      certificate,
      validatedCertificate: certificate,
      // Chromium means "chains to a root of the OS store"; here: libcurl's trust store (the
      // system bundle plus NODE_EXTRA_CA_CERTS) accepted the chain.
      isIssuedByKnownRoot: builtIn === null,
      verificationResult: builtIn === null ? 'net::OK' : `net::${builtIn}`,
      errorCode,
    };
    const generation = this._generation;
    return new Promise((resolve, reject) => {
      let answered = false;
      const callback = (value: number): void => {
        if (answered) return;
        answered = true;
        const verdict = verdictFromCallback(value, builtIn);
        if (generation === this._generation) this._remember(origin, chain, verdict, builtIn !== null);
        resolve(verdict);
      };
      this.calls += 1;
      try {
        this.proc(request, callback);
      } catch (error) {
        answered = true;
        reject(error);
      }
    });
  }

  private _remember(origin: string, chain: string, verdict: CertificateVerdict, libcurlRefuses: boolean): void {
    this._verdicts.set(`${origin}\n${chain}`, verdict);
    if (!verdict.accepted) return;
    const before = this.accepted(origin);
    this._accepted.set(origin, {
      chains: before.chains === '' ? chain : `${before.chains}|${chain}`,
      libcurlRefusesSome: before.libcurlRefusesSome || libcurlRefuses,
    });
  }

  /** Forgets every verdict (closeAllConnections, a new proc). */
  clear(): void {
    this._generation += 1;
    this._pending.clear();
    this._verdicts.clear();
    this._accepted.clear();
  }
}
