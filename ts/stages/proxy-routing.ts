// Proxy routing: the session's plan for each hop (an ordered failover list; asynchronous only
// when a PAC script must be asked) and Chromium's failover — a proxy that could not be used is
// reported bad and the next entry is tried, as long as nothing came back from the origin and
// the body can be sent again.
import { NetError, netError, netErrorFromOutcome } from '../errors';
import type { HopOutcome } from '../native';
import { canFallBackAfter, ProxyHop } from '../session-proxy';
import type { HopControl, HopDraft, Stage, Verdict } from './stage';

const NO_FALLBACKS: ProxyHop[] = [];

class ProxyRouting implements Stage {
  /** Proxies still to try for this hop, in order. */
  private fallbacks: ProxyHop[] = NO_FALLBACKS;
  /** The next hop repeats the last one on the next proxy: no new plan. */
  private failingOver = false;

  constructor(private readonly control: HopControl) {}

  beforeHop(draft: HopDraft): void | Promise<void | Error> {
    // A hop answered in this process (a protocol handler, an internal redirect) has no proxy.
    if (draft.local !== undefined) return;
    const state = this.control.state;
    if (this.failingOver) {
      this.failingOver = false;
      state.proxy = this.fallbacks.shift()!;
      return;
    }
    const plan = state.session._proxyPlan(state.url);
    if (!(plan instanceof Promise)) {
      this.use(plan);
      return;
    }
    return plan.then(
      (proxies) => this.use(proxies),
      (error: Error) => (error instanceof NetError ? error : netError('ERR_MANDATORY_PROXY_CONFIGURATION_FAILED', { cause: error })),
    );
  }

  onDone(outcome: HopOutcome): Verdict {
    const state = this.control.state;
    const proxy = state.proxy;
    if (this.fallbacks.length === 0) return undefined;
    const error = netErrorFromOutcome(outcome);
    if (error === null || !canFallBackAfter(error.code, proxy)) return undefined;
    if (!state.body.canReplay()) return undefined;
    state.session._proxy.failed(proxy);
    this.failingOver = true;
    this.control.restart({ kind: 'proxy-failover' });
    return 'handled';
  }

  private use(plan: ProxyHop[]): void {
    this.fallbacks = plan.length > 1 ? plan.slice(1) : NO_FALLBACKS;
    this.control.state.proxy = plan[0];
  }
}

export function proxyRouting(control: HopControl): Stage {
  return new ProxyRouting(control);
}
