// NODE_DEBUG=curl-net: one line per hop, proxy choice, auth decision and outcome, on stderr
// (util.debuglog). URLs lose their user info and credentials are never printed: only which
// party was offered credentials, and the scheme a challenge asked for.
import { debuglog } from 'node:util';
import type { HopHead, HopOutcome } from '../native';
import type { Restart } from '../stages/stage';
import type { HopStart, ObservedRequest, RequestSink } from './request-observer';
import { redactUrl } from './redact';

const log = debuglog('curl-net');

/** Tests only: where the lines go (default: util.debuglog). */
let writer: ((line: string) => void) | null = null;
export function setDebugWriterForTesting(fn: ((line: string) => void) | null): void {
  writer = fn;
}

function enabled(): boolean {
  return writer !== null || log.enabled;
}

function write(request: ObservedRequest, text: string): void {
  const line = `request ${request.id}: ${text}`;
  if (writer !== null) writer(line);
  else log('%s', line);
}

function challengeOf(head: HopHead): string {
  const header = head.statusCode === 407 ? 'proxy-authenticate' : 'www-authenticate';
  const schemes: string[] = [];
  for (let i = 0; i + 1 < head.rawHeaders.length; i += 2) {
    if (head.rawHeaders[i]!.toLowerCase() === header) schemes.push(head.rawHeaders[i + 1]!.split(/[\s,]/)[0]!);
  }
  return schemes.join(', ');
}

class DebugSink implements RequestSink {
  readonly wantsConnectionDetails = true;
  created(request: ObservedRequest): void {
    write(request, `created ${request.state.method} ${redactUrl(request.state.url.href)}`);
  }
  hopStarted(request: ObservedRequest, hop: HopStart): void {
    const via = hop.proxy === '' ? 'direct' : `via proxy ${redactUrl(hop.proxy)}`;
    const offers = [hop.offersServerCredentials ? 'server' : '', hop.offersProxyCredentials ? 'proxy' : ''].filter(Boolean);
    const credentials = offers.length ? `, offers credentials to ${offers.join(' and ')}` : '';
    const mapped = hop.connectTo ? `, connect-to ${hop.connectTo}` : '';
    write(request, `hop ${hop.hop} ${hop.method} ${redactUrl(hop.url)} ${via}${credentials}${mapped}`);
  }
  hopHead(request: ObservedRequest, head: HopHead): void {
    const challenge = head.statusCode === 401 || head.statusCode === 407 ? ` (challenge: ${challengeOf(head) || 'none'})` : '';
    write(request, `head ${head.statusCode}${challenge}`);
  }
  hopDone(request: ObservedRequest, outcome: HopOutcome): void {
    const address = outcome.primaryIp ? ` (${outcome.numConnects === 0 ? 'reused connection to' : 'new connection to'} ${outcome.primaryIp}:${outcome.primaryPort})` : '';
    if (outcome.curlCode !== 0) write(request, `hop ended: curl ${outcome.curlCode} ${outcome.message}${address}`);
    else if (address) write(request, `hop ended${address}`);
  }
  restarted(request: ObservedRequest, reason: Restart): void {
    const why =
      reason.kind === 'redirect'
        ? `redirect to ${redactUrl(reason.to.href)}${reason.crossOrigin ? ' (cross-origin)' : ''}`
        : reason.kind === 'login'
          ? 'retry with credentials (auth challenge answered)'
          : 'next proxy (failover)';
    write(request, why);
  }
  completed(request: ObservedRequest): void {
    write(request, `done in ${Date.now() - request.startTime} ms`);
  }
  failed(request: ObservedRequest, error: Error): void {
    write(request, `failed: ${error.message}`);
  }
}

export function debugSink(): RequestSink | null {
  return enabled() ? new DebugSink() : null;
}
