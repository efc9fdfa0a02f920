// Hop events as the addon reports them (a response head, a hop's outcome), built by hand for
// tests that feed them to stages or to the error mapping without a server.
import type { HopHead, HopOutcome } from '../../ts/native';

export function head(statusCode: number, rawHeaders: string[] = []): HopHead {
  return { statusCode, statusMessage: '', httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders, chunked: false };
}

export function outcome(fields: Partial<HopOutcome> = {}): HopOutcome {
  return {
    curlCode: 0,
    osErrno: 0,
    connectCode: 0,
    proxyError: 0,
    sslVerifyResult: 0,
    proxySslVerifyResult: 0,
    originTlsVerdict: 0,
    proxyTlsVerdict: 0,
    responseCode: 0,
    flags: 0,
    httpAuthAvail: 0,
    proxyAuthAvail: 0,
    bodyBytes: 0,
    message: '',
    connectChallenges: [],
    peerChain: '',
    ...fields,
  };
}
