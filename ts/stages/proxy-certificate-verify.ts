// The session's verify proc (setCertificateVerifyProc) asked about an HTTPS proxy's own
// certificate, as Electron asks it for every new TLS connection to a server or a proxy.
//
// libcurl reports only a hop's last handshake (the origin's, behind a tunnel), so the gate of
// certificate-verify.ts cannot see the proxy's chain. Instead, before a hop through an HTTPS
// proxy for which the session has no accepted chain, a probe (ts/proxy-certificate-probe.ts)
// fetches the proxy's chain with a TLS handshake of its own; the proc is asked about it (the
// verdict is kept per (proxy host, port, exact chain) in the session's CertificateVerifier);
// and every hop through that proxy is then bound to the accepted certificates' public keys with
// CURLOPT_PROXY_PINNEDPUBLICKEY, plus libcurl's proxy verification off when the proc accepted a
// chain libcurl refuses (the pin is then the only judge; libcurl checks it either way). A proxy
// that shows another key later fails the pin: the proxy is probed and the proc asked again,
// a bounded number of times per request.
import { createHash, X509Certificate } from 'node:crypto';
import { splitPemChain } from '../certificate';
import type { CertificateVerdict, CertificateVerifier } from '../certificate-verifier';
import { netError, netErrorFromOutcome, type NetError } from '../errors';
import { DoneFlag, type HopOutcome } from '../native';
import { probeProxyCertificate, type ProxyProbe } from '../proxy-certificate-probe';
import type { ProxyHop } from '../session-proxy';
import { withCertificate } from './certificate-verify';
import type { HopControl, HopDraft, Stage, StageFactory, Verdict } from './stage';
import { unbracketed } from '../url-parts';

/** Probes of the proxy one request may make after a pin failure: a proxy that changes its key
 * on every connection cannot make a request loop. */
const MAX_PROXY_REPROBES = 3;

/** A pin no key matches: a hop through a proxy whose chain is unknown (the probe did not get
 * one) never goes through on libcurl's verdict alone; if it connects, the pin fails and the
 * proxy is probed again. */
const NOTHING_ACCEPTED_PIN = `sha256//${Buffer.alloc(32).toString('base64')}`;

const pinsByChain = new Map<string, string>();
const MAX_REMEMBERED_PINS = 64;

/** The verdict key of a proxy: never the same as an origin's ("host:port"), whose verdicts are
 * about another connection. */
export function proxyVerdictKey(proxy: ProxyHop): string {
  return `proxy ${proxy.host}:${proxy.port}`;
}

/** 'sha256//' + base64 of the SHA-256 of the leaf's SubjectPublicKeyInfo (DER), as
 * CURLOPT_PROXY_PINNEDPUBLICKEY wants it; null when the leaf does not parse. */
export function leafPublicKeyPin(chain: string): string | null {
  const known = pinsByChain.get(chain);
  if (known !== undefined) return known;
  const leaf = splitPemChain(chain)[0];
  if (leaf === undefined) return null;
  let spki: Buffer;
  try {
    spki = new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return null;
  }
  const pin = `sha256//${createHash('sha256').update(spki).digest('base64')}`;
  if (pinsByChain.size >= MAX_REMEMBERED_PINS) pinsByChain.delete(pinsByChain.keys().next().value!);
  pinsByChain.set(chain, pin);
  return pin;
}

/** The pin list for the chains accepted for a proxy ('|'-joined, as the verifier keeps them). */
export function pinsFor(acceptedChains: string): string {
  const pins = new Set<string>();
  for (const chain of acceptedChains === '' ? [] : acceptedChains.split('|')) {
    const pin = leafPublicKeyPin(chain);
    if (pin !== null) pins.add(pin);
  }
  return pins.size === 0 ? NOTHING_ACCEPTED_PIN : [...pins].join(';');
}

/** The error for a proxy chain the proc refused: -2 is net::ERR_FAILED as for a server; a
 * certificate error (the built-in verdict, or one the proc chose) is reported as the proxy
 * certificate error Chromium gives for any certificate problem of an HTTPS proxy. */
function refusal(verdict: CertificateVerdict, chain: string): NetError {
  const name = verdict.error ?? 'ERR_FAILED';
  return withCertificate(netError(name.startsWith('ERR_CERT_') ? 'ERR_PROXY_CERTIFICATE_INVALID' : name), chain);
}


/** Left out of requests whose session has no verify proc when they start (libcurl's own
 * verification of the proxy then applies, as it would without this stage). */
export const proxyCertificateVerify: StageFactory = (control: HopControl): Stage | null =>
  control.state.session._certificateVerifier === null ? null : new ProxyCertificateVerifyStage(control);

class ProxyCertificateVerifyStage implements Stage {
  /** The current hop went through an HTTPS proxy under a pin. */
  private _pinned = false;
  /** The proxy failed its pin in this request: probe it again, whatever was accepted. */
  private _reprobe = false;
  private _reprobes = 0;
  private _probe: ProxyProbe | null = null;

  constructor(private readonly _control: HopControl) {}

  beforeHop(draft: HopDraft): void | Promise<void | Error> {
    this._pinned = false;
    const state = this._control.state;
    const proxy = state.proxy;
    if (proxy.scheme !== 'https' || proxy.host === undefined || proxy.port === undefined) return;
    const verifier = state.session._certificateVerifier;
    if (verifier === null) return;
    const key = proxyVerdictKey(proxy);
    if (verifier.accepted(key).chains !== '' && !this._reprobe) {
      this._bind(draft, verifier, key);
      return;
    }
    this._reprobe = false;
    return this._learn(verifier, proxy, key).then((error) => {
      if (error !== null) return error;
      this._bind(draft, verifier, key);
      return undefined;
    });
  }

  onDone(outcome: HopOutcome): Verdict {
    if (!this._pinned || (outcome.flags & DoneFlag.UsedProxy) === 0) return undefined;
    const error = netErrorFromOutcome(outcome);
    if (error === null || (error.code !== 'ERR_SSL_PINNED_KEY_NOT_IN_CERT_CHAIN' && error.code !== 'ERR_PROXY_CERTIFICATE_INVALID')) {
      return undefined;
    }
    // The proxy showed a key no verdict covers (or, under libcurl's verification, a chain
    // libcurl now refuses): the proc must be asked about what it shows now.
    if (this._reprobes >= MAX_PROXY_REPROBES || !this._control.state.body.canReplay()) {
      this._control.fail(netError('ERR_PROXY_CERTIFICATE_INVALID'));
      return 'handled';
    }
    this._reprobes += 1;
    this._reprobe = true;
    this._control.restart({ kind: 'certificate' });
    return 'handled';
  }

  onEnd(): void {
    this._probe?.abort();
    this._probe = null;
  }

  private _bind(draft: HopDraft, verifier: CertificateVerifier, key: string): void {
    const accepted = verifier.accepted(key);
    draft.extras.proxyPinnedPublicKey = pinsFor(accepted.chains);
    if (accepted.libcurlRefusesSome) draft.extras.proxyTrustPinnedOnly = 1;
    this._pinned = true;
  }

  /** Probes the proxy and asks the proc about its chain (unless a verdict on that exact chain
   * is known). Resolves with the error that ends the request, or null to go on. */
  private async _learn(verifier: CertificateVerifier, proxy: ProxyHop, key: string): Promise<Error | null> {
    const session = this._control.state.session;
    const probe = async (verify: boolean) => {
      this._probe = probeProxyCertificate(session._id, unbracketed(proxy.host!), proxy.port!, verify, session._sslExtras);
      try {
        return await this._probe.result;
      } finally {
        this._probe = null;
      }
    };
    let result = await probe(true);
    let builtIn = null;
    if (result.kind === 'refused') {
      builtIn = result.error;
      result = await probe(false);
    }
    // No chain (the proxy is down, or speaks no TLS): the hop goes on under the pin of what was
    // accepted before, if anything, and fails as it would without a proc.
    if (result.kind !== 'chain') return null;
    const chain = result.chain;
    let verdict = verifier.lookup(key, chain);
    if (verdict === undefined) {
      try {
        verdict = await verifier.ask(unbracketed(proxy.host!), key, chain, builtIn);
      } catch (thrown) {
        return netError('ERR_FAILED', { cause: thrown });
      }
    }
    return verdict.accepted ? null : refusal(verdict, chain);
  }
}
