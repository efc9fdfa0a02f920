// Certificate trust per hop: the session's verify proc (setCertificateVerifyProc), the
// certificate attached to certificate errors, and the session's TLS configuration.
//
// The curl thread never waits for JS. With a proc, every https hop runs with the certificate
// gate (native/transfer.cc): once the connection is up and before any byte of the request is
// sent, the hop goes on only if the connection's chain is one the proc accepted for this
// origin; otherwise the hop ends with the chain, this stage asks the proc (asynchronously, in
// JS), remembers the verdict per (host, port, chain) in the session, and runs the hop again
// (on a new connection unless HTTP/2 multiplexes: libcurl closes one whose transfer a callback
// stopped), which the gate now lets through. libcurl's own
// verdict ("verificationResult") comes from a first attempt with libcurl's verification on;
// a chain libcurl refuses is retried with libcurl's verification off, where the gate is the
// only judge. docs/architecture.md ("Certificate verification") has the whole design.
import { certificateFromChain } from '../certificate';
import { netError, netErrorFromOutcome, type NetError } from '../errors';
import { DoneFlag, type HopOutcome } from '../native';
import type { NetErrorName } from '../net-error-codes';
import { applySslExtras } from '../ssl-config';
import type { HopControl, HopDraft, Restart, Stage, StageFactory, Verdict } from './stage';
import { unbracketed } from '../url-parts';
import { CertificateGate as Gate } from '../certificate-gate';

/** Hops one request may spend on certificates (verdicts, fresh connections, a diagnosis). A
 * server that changes its certificate on every connection cannot make a request loop. */
const MAX_CERTIFICATE_RESTARTS = 8;

export function isCertificateError(name: NetErrorName): boolean {
  return name.startsWith('ERR_CERT_');
}

/** The error, with the server's certificate attached for diagnosis (Electron's Certificate). */
export function withCertificate(error: NetError, chain: string): NetError {
  const certificate = certificateFromChain(chain);
  if (certificate !== null) Object.defineProperty(error, 'certificate', { value: certificate, enumerable: true });
  return error;
}

function originOf(url: URL): string {
  return `${url.hostname}:${url.port === '' ? '443' : url.port}`;
}


export const certificateVerify: StageFactory = (control: HopControl): Stage => new CertificateVerifyStage(control);

class CertificateVerifyStage implements Stage {
  private _gate = Gate.Off;
  private _restarts = 0;
  private _fresh = false;
  /** libcurl's verdict on the current origin's certificate, when it refused it. */
  private _libcurlError: { origin: string; error: NetErrorName } | null = null;
  /** A chain the gate saw with libcurl's verification off: libcurl's verdict is needed first. */
  private _needLibcurlVerdict = false;
  /** A certificate error that waits for its certificate (a probe hop fetches it). */
  private _diagnosing: NetError | null = null;

  constructor(private readonly _control: HopControl) {}

  beforeHop(draft: HopDraft): void {
    const state = this._control.state;
    const session = state.session;
    applySslExtras(session._sslExtras, draft.extras);
    this._gate = Gate.Off;
    if (state.url.protocol !== 'https:') return;
    const extras = draft.extras;
    if (this._fresh) {
      extras.freshConnect = 1;
      this._fresh = false;
    }
    if (this._diagnosing !== null) {
      // Nothing is accepted: the gate stops the hop before its request, with the chain.
      this._gate = Gate.Only;
      extras.certificateGate = Gate.Only;
      extras.acceptedChains = '';
      return;
    }
    const verifier = session._certificateVerifier;
    if (verifier === null) return;
    const origin = originOf(state.url);
    const accepted = verifier.accepted(origin);
    const libcurlRefuses = this._libcurlError !== null && this._libcurlError.origin === origin;
    this._gate = libcurlRefuses || (accepted.libcurlRefusesSome && !this._needLibcurlVerdict) ? Gate.Only : Gate.WithLibcurl;
    extras.certificateGate = this._gate;
    extras.acceptedChains = accepted.chains;
  }

  onRestart(reason: Restart): void {
    if (reason.kind === 'certificate') return;
    // A new hop for other reasons (a redirect, a login, a failover): its certificates are
    // judged afresh, with a fresh budget of restarts.
    this._libcurlError = null;
    this._needLibcurlVerdict = false;
    this._restarts = 0;
  }

  onDone(outcome: HopOutcome): Verdict {
    if (this._diagnosing !== null) return this._diagnosed(outcome);
    if (this._gate === Gate.Off) return this._certificateError(outcome);
    const state = this._control.state;
    const verifier = state.session._certificateVerifier;
    if (verifier === null) return undefined; // the proc was removed meanwhile: no verdict to apply
    if ((outcome.flags & DoneFlag.UnknownConnection) !== 0) {
      this._fresh = true;
      return this._again();
    }
    const origin = originOf(state.url);
    if ((outcome.flags & DoneFlag.CertificateHeld) === 0) {
      if (this._gate !== Gate.WithLibcurl) return undefined;
      const error = netErrorFromOutcome(outcome);
      if (error === null || !isCertificateError(error.code)) return undefined;
      // libcurl refused the chain: its verdict is what the proc is told; the next hop gets the
      // chain with libcurl's verification off.
      this._libcurlError = { origin, error: error.code };
      this._needLibcurlVerdict = false;
      return this._again();
    }
    const chain = outcome.peerChain;
    const known = verifier.lookup(origin, chain);
    if (known !== undefined) {
      if (known.accepted) return this._again();
      this._control.fail(withCertificate(netError(known.error ?? 'ERR_FAILED'), chain));
      return 'handled';
    }
    let libcurlVerdict: NetErrorName | null;
    if (this._gate === Gate.WithLibcurl) libcurlVerdict = null;
    else if (this._libcurlError !== null && this._libcurlError.origin === origin) libcurlVerdict = this._libcurlError.error;
    else {
      this._needLibcurlVerdict = true;
      return this._again();
    }
    const control = this._control;
    verifier.ask(unbracketed(state.url.hostname), origin, chain, libcurlVerdict).then(
      (verdict) => {
        if (control.finished) return;
        if (verdict.accepted) this._again();
        else control.fail(withCertificate(netError(verdict.error ?? 'ERR_FAILED'), chain));
      },
      (thrown: unknown) => {
        if (!control.finished) control.fail(netError('ERR_FAILED', { cause: thrown }));
      },
    );
    return 'hold';
  }

  /** Without a proc: a certificate error gets its certificate from one probe hop, which the
   * gate stops before any request. */
  private _certificateError(outcome: HopOutcome): Verdict {
    if (this._control.state.url.protocol !== 'https:') return undefined;
    if ((outcome.flags & DoneFlag.UsedProxy) !== 0 && outcome.proxySslVerifyResult !== 0) return undefined;
    const error = netErrorFromOutcome(outcome);
    if (error === null || !isCertificateError(error.code)) return undefined;
    if (this._restarts >= MAX_CERTIFICATE_RESTARTS || !this._control.state.body.canReplay()) return undefined;
    this._diagnosing = error;
    return this._again();
  }

  private _diagnosed(outcome: HopOutcome): Verdict {
    const error = this._diagnosing!;
    this._diagnosing = null;
    if ((outcome.flags & DoneFlag.CertificateHeld) !== 0) withCertificate(error, outcome.peerChain);
    this._control.fail(error);
    return 'handled';
  }

  /** Runs the hop again, if the request may still have one; else leaves the outcome be. */
  private _again(): Verdict {
    const state = this._control.state;
    if (this._restarts >= MAX_CERTIFICATE_RESTARTS || !state.body.canReplay()) {
      this._control.fail(netError('ERR_FAILED'));
      return 'handled';
    }
    this._restarts += 1;
    this._control.restart({ kind: 'certificate' });
    return 'handled';
  }
}
