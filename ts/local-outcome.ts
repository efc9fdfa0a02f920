// The outcome of a hop answered in this process (a protocol handler, file:, an internal
// redirect): what a successful libcurl hop reports, without a transfer behind it.
import { DoneFlag, type HopOutcome } from './native';

export function localOutcome(responseCode: number): HopOutcome {
  return {
    curlCode: 0,
    osErrno: 0,
    connectCode: 0,
    proxyError: 0,
    sslVerifyResult: 0,
    proxySslVerifyResult: 0,
    originTlsVerdict: 0,
    proxyTlsVerdict: 0,
    responseCode,
    flags: DoneFlag.HeadCommitted,
    httpAuthAvail: 0,
    proxyAuthAvail: 0,
    bodyBytes: 0,
    message: '',
    connectChallenges: [],
    peerChain: '',
  };
}
