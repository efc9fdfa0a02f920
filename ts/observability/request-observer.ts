// One request's life as observers see it: diagnostics_channel subscribers, NODE_DEBUG=curl-net,
// and the NetLog. The hop driver calls these hooks; when nobody observes (no subscriber, no
// debug logging, no NetLog), observeRequest() returns null and each hook costs one null check.
import type { HopHead, HopOutcome } from '../native';
import type { HopState, Restart } from '../stages/stage';
import { debugSink } from './debug-log';
import { diagnosticsSink } from './diagnostics-channels';
import { netLogSink } from './net-log';

/** What the driver knows when a hop is handed to libcurl. */
export interface HopStart {
  /** 1 for the first hop. */
  hop: number;
  url: string;
  method: string;
  /** libcurl proxy URL, '' when direct. */
  proxy: string;
  /** Header lines added to the application's (credentials are never among them). */
  extraLines: readonly string[];
  /** Which credentials the hop offers up front (never their values). */
  offersServerCredentials: boolean;
  offersProxyCredentials: boolean;
  /** CURLOPT_CONNECT_TO entry, when host mapping applies. */
  connectTo?: string;
}

/** Hooks a sink implements (all optional). */
export interface RequestSink {
  /** The sink records the connection (address, reuse, TLS): hops then run with
   * HopFlag.Observed, which costs libcurl a little more. */
  readonly wantsConnectionDetails?: boolean;
  created?(request: ObservedRequest): void;
  hopStarted?(request: ObservedRequest, hop: HopStart): void;
  hopHead?(request: ObservedRequest, head: HopHead): void;
  hopDone?(request: ObservedRequest, outcome: HopOutcome): void;
  restarted?(request: ObservedRequest, reason: Restart): void;
  response?(request: ObservedRequest, head: HopHead): void;
  completed?(request: ObservedRequest): void;
  failed?(request: ObservedRequest, error: Error): void;
}

export type SinkFactory = (state: HopState) => RequestSink | null;

let nextRequestId = 1;

export class ObservedRequest {
  readonly id = nextRequestId++;
  readonly startTime = Date.now();
  /** Set once the request completed or failed. */
  settled = false;
  constructor(readonly state: HopState) {}
}

/** Calls every sink; one sink's exception never reaches the request (or the other sinks). */
export class RequestObserver {
  readonly request: ObservedRequest;
  readonly wantsConnectionDetails: boolean;
  constructor(
    state: HopState,
    private readonly sinks: RequestSink[],
  ) {
    this.request = new ObservedRequest(state);
    this.wantsConnectionDetails = sinks.some((s) => s.wantsConnectionDetails === true);
  }

  private each(call: (sink: RequestSink) => void): void {
    for (const sink of this.sinks) {
      try {
        call(sink);
      } catch {
        // An observer's bug must not break the request it watches.
      }
    }
  }

  created(): void {
    this.each((s) => s.created?.(this.request));
  }
  hopStarted(hop: HopStart): void {
    this.each((s) => s.hopStarted?.(this.request, hop));
  }
  hopHead(head: HopHead): void {
    this.each((s) => s.hopHead?.(this.request, head));
  }
  hopDone(outcome: HopOutcome): void {
    this.each((s) => s.hopDone?.(this.request, outcome));
  }
  restarted(reason: Restart): void {
    this.each((s) => s.restarted?.(this.request, reason));
  }
  response(head: HopHead): void {
    this.each((s) => s.response?.(this.request, head));
  }
  completed(): void {
    if (this.request.settled) return;
    this.request.settled = true;
    this.each((s) => s.completed?.(this.request));
  }
  failed(error: Error): void {
    if (this.request.settled) return;
    this.request.settled = true;
    this.each((s) => s.failed?.(this.request, error));
  }
}

const FACTORIES: readonly SinkFactory[] = [diagnosticsSink, debugSink, netLogSink];

/** An observer for a new request, or null when nothing observes requests right now. */
export function observeRequest(state: HopState): RequestObserver | null {
  let sinks: RequestSink[] | null = null;
  for (const make of FACTORIES) {
    const sink = make(state);
    if (sink !== null) (sinks ??= []).push(sink);
  }
  return sinks === null ? null : new RequestObserver(state, sinks);
}
