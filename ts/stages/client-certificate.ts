// Client certificates per hop: the session's identity for the host (setClientCertificates),
// or, when a server demands one and none was sent, the one a 'select-client-certificate'
// listener gives (the Node side of Electron's app 'select-client-certificate').
//
// libcurl has no hook for a server's CertificateRequest, so the demand is seen when the hop
// fails. TLS 1.3 says so ("certificate required" alert: ERR_SSL_CLIENT_AUTH_CERT_NEEDED). TLS
// 1.2 servers send a bare handshake_failure, which also means "no common cipher": one
// diagnostic hop then watches the handshake for a CertificateRequest (watchCertificateRequest)
// and is stopped by the certificate gate before any request. A server that refused the
// handshake processed no request, so the hop runs again with the chosen identity.
import { clientIdentity, type ClientCertificate, type ClientIdentity } from '../client-certificates';
import { netError, netErrorFromOutcome, type NetError } from '../errors';
import { DoneFlag, type HopOutcome } from '../native';
import type { NetErrorName } from '../net-error-codes';
import type { HopControl, HopDraft, Stage, StageFactory, Verdict } from './stage';
import { CertificateGate } from '../certificate-gate';

/** What a 'select-client-certificate' listener is told. */
export interface ClientCertificateRequestInfo {
  url: string;
  host: string;
  port: number;
}

/** Handshake failures that may be a server wanting a certificate it did not get. */
const AMBIGUOUS: ReadonlySet<NetErrorName> = new Set<NetErrorName>(['ERR_SSL_VERSION_OR_CIPHER_MISMATCH', 'ERR_SSL_PROTOCOL_ERROR']);

export const clientCertificate: StageFactory = (control: HopControl): Stage => new ClientCertificateStage(control);

class ClientCertificateStage implements Stage {
  /** The listener's choice, for the origin it was made for. */
  private _chosen: { origin: string; identity: ClientIdentity } | null = null;
  /** Origins whose listeners were asked, and origins probed for a certificate request; made
   * on first use, since nearly every request needs neither. */
  private _asked: Set<string> | null = null;
  private _probed: Set<string> | null = null;
  /** The failure a diagnostic hop is finding the cause of. */
  private _probing: NetError | null = null;
  private _sent = false;

  constructor(private readonly _control: HopControl) {}

  beforeHop(draft: HopDraft): void {
    const url = this._control.state.url;
    this._sent = false;
    if (url.protocol !== 'https:') return;
    if (this._probing !== null) {
      // Runs after the certificate-verify stage (later in the list): nothing is accepted, so
      // the gate stops this hop before its request whatever that stage set.
      draft.extras.watchCertificateRequest = 1;
      draft.extras.certificateGate = CertificateGate.Only;
      draft.extras.acceptedChains = '';
      return;
    }
    const identity =
      this._chosen !== null && this._chosen.origin === url.origin ? this._chosen.identity : this._control.state.session._clientCertificates.forUrl(url);
    if (identity === null) return;
    Object.assign(draft.extras, identity);
    this._sent = true;
  }

  onDone(outcome: HopOutcome): Verdict {
    const state = this._control.state;
    const url = state.url;
    if (url.protocol !== 'https:') return undefined;
    if (this._probing !== null) {
      const original = this._probing;
      this._probing = null;
      if ((outcome.flags & DoneFlag.CertificateRequested) === 0) {
        this._control.fail(original);
        return 'handled';
      }
      return this._ask(netError('ERR_SSL_CLIENT_AUTH_CERT_NEEDED', { cause: original })) ?? this._failed(netError('ERR_SSL_CLIENT_AUTH_CERT_NEEDED'));
    }
    if (this._sent) return undefined;
    const error = netErrorFromOutcome(outcome);
    if (error === null) return undefined;
    if (error.code === 'ERR_SSL_CLIENT_AUTH_CERT_NEEDED') return this._ask(error);
    if (AMBIGUOUS.has(error.code) && !this._probed?.has(url.origin) && state.body.canReplay()) {
      (this._probed ??= new Set()).add(url.origin);
      this._probing = error;
      this._control.restart({ kind: 'certificate' });
      return 'handled';
    }
    return undefined;
  }

  private _failed(error: NetError): Verdict {
    this._control.fail(error);
    return 'handled';
  }

  /** Asks the listeners once per origin; undefined when nobody listens (the error stands). */
  private _ask(error: NetError): Verdict {
    const control = this._control;
    const url = control.state.url;
    if (this._asked?.has(url.origin) || !control.state.body.canReplay()) return undefined;
    (this._asked ??= new Set()).add(url.origin);
    let answered = false;
    const callback = (certificate?: ClientCertificate | null): void => {
      if (answered) return;
      answered = true;
      if (control.finished) return;
      if (certificate === undefined || certificate === null) {
        control.fail(error);
        return;
      }
      let identity: ClientIdentity;
      try {
        identity = clientIdentity(certificate);
      } catch (invalid) {
        control.fail(netError('ERR_BAD_SSL_CLIENT_AUTH_CERT', { cause: invalid }));
        return;
      }
      this._chosen = { origin: url.origin, identity };
      control.restart({ kind: 'certificate' });
    };
    const info: ClientCertificateRequestInfo = { url: url.href, host: url.hostname, port: Number(url.port === '' ? 443 : url.port) };
    // Electron goes on without a certificate when nobody handles the event.
    if (!control.emit('select-client-certificate', info, callback)) return undefined;
    return answered ? 'handled' : 'hold';
  }
}
