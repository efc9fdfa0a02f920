// What the session imposes on its requests from outside any one request: the in-flight
// registry closeAllConnections() fails, and the network conditions enableNetworkEmulation()
// sets — offline fails each hop with net::ERR_INTERNET_DISCONNECTED, latency delays each hop,
// throughput caps each hop's transfer (libcurl's MAX_RECV/SEND_SPEED).
import { netError } from '../errors';
import { native } from '../native';
import { InFlightNode } from '../in-flight-requests';
import { NO_EMULATION } from '../session-controls/network-emulation';
import type { HopControl, HopDraft, Stage } from './stage';

let capsWork: boolean | undefined;
/** libcurl 7.x's rate limit can stall a transfer for good (about one 10 MiB download in 20 at an
 * 8 MiB/s cap on 7.88.1; never on 8.14.1 in 40 runs), so throughput caps need libcurl 8. */
export function throughputCapsWork(): boolean {
  capsWork ??= Number(native().versions().libcurl.split('.')[0]) >= 8;
  return capsWork;
}

/** Always on (closeAllConnections() must reach every request); the node of the session's
 * in-flight list is the stage itself, so a request costs one object here. */
class SessionConditions extends InFlightNode implements Stage {
  start(): Error | null {
    this.control.state.session._inFlight.add(this);
    return null;
  }

  beforeHop(draft: HopDraft): void | Error | Promise<void> {
    const conditions = this.control.state.session._networkConditions;
    if (conditions === NO_EMULATION) return undefined;
    // Emulation is of the network: a hop answered in-process (a protocol handler, file:, an
    // internal redirect) is not slowed or cut off, as in Chromium.
    if (draft.local !== undefined) return undefined;
    if (conditions.offline) return netError('ERR_INTERNET_DISCONNECTED');
    if (throughputCapsWork()) {
      if (conditions.downloadThroughput > 0) draft.extras.maxRecvSpeed = conditions.downloadThroughput;
      if (conditions.uploadThroughput > 0) draft.extras.maxSendSpeed = conditions.uploadThroughput;
    }
    if (conditions.latency > 0) {
      return new Promise((resolve) => setTimeout(resolve, conditions.latency));
    }
    return undefined;
  }

  onEnd(): void {
    this.control.state.session._inFlight.remove(this);
  }
}

export function sessionConditions(control: HopControl): Stage {
  return new SessionConditions(control);
}
