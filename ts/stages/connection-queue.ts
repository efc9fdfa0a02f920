// Under a per-host connection limit, hops wait for a connection in priority order
// (ts/host-queue.ts), as Chromium's socket pool starts them; libcurl alone would start them in
// the order they were made. A request for a host listed in --ignore-connections-limit takes no
// slot: its hops run on the session's unlimited multi handle (HopFlag.IgnoreLimits), past both
// this queue and libcurl's own per-host and total limits, as Chromium's LOAD_IGNORE_LIMITS does.
import { HopFlag, native } from '../native';
import { ignoresConnectionsLimit } from '../switches/ignore-connections-limit';
import type { HopHead } from '../native';
import type { HopControl, HopDraft, Stage, StageFactory } from './stage';

let multiplexes: boolean | undefined;

/** Whether the loaded libcurl multiplexes HTTP/2 (native/session_multi.cc: 8.1 or later). */
function libcurlMultiplexes(): boolean {
  if (multiplexes === undefined) {
    const [major, minor] = native().versions().libcurl.split('.').map(Number);
    multiplexes = major > 8 || (major === 8 && minor >= 1);
  }
  return multiplexes;
}

function hostKey(url: URL): string {
  return `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`;
}

class ConnectionQueue implements Stage {
  /** The slot the current hop holds: its host key and the limit it was taken under (null: none). */
  private slotKey: string | null = null;
  private slotLimit = 0;

  constructor(private readonly control: HopControl) {}

  beforeHop(draft: HopDraft): void | Promise<void> {
    const state = this.control.state;
    const limit = state.session._perHostLimit;
    // A hop answered in this process (a protocol handler, file:) takes no connection.
    if (draft.local !== undefined) return;
    if ((limit > 0 || state.session._totalLimit > 0) && ignoresConnectionsLimit(state.options.url)) {
      draft.flags |= HopFlag.IgnoreLimits;
      return;
    }
    if (limit <= 0) return;
    const key = hostKey(state.url);
    const queue = state.session._hostQueue;
    if (queue.isMultiplexed(key)) return;
    if (queue.tryTake(key, limit)) {
      this.slotKey = key;
      this.slotLimit = limit;
      return;
    }
    return new Promise<void>((resolve) => {
      queue.wait(key, state.options.priority, () => {
        if (this.control.finished) return false;
        this.slotKey = key;
        this.slotLimit = limit;
        resolve();
        return true;
      });
    });
  }

  onHead(head: HopHead): undefined {
    if (head.httpVersionMajor >= 2 && this.slotKey !== null && libcurlMultiplexes()) {
      this.control.state.session._hostQueue.markMultiplexed(this.slotKey);
    }
    return undefined;
  }

  onHopEnd(): void {
    const key = this.slotKey;
    if (key === null) return;
    this.slotKey = null;
    this.control.state.session._hostQueue.release(key, this.slotLimit);
  }
}

export const connectionQueue: StageFactory = (control: HopControl): Stage | null => {
  const session = control.state.session;
  // No limit when the request starts: nothing to queue for and nothing to ignore (a limit set
  // later applies to requests started after it).
  if (session._perHostLimit <= 0 && session._totalLimit <= 0) return null;
  return new ConnectionQueue(control);
};
