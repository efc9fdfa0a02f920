// Runs one stage by itself, the way undici tests an interceptor: a real request state (parsed
// options, a real Session, a real RequestBody) and a HopControl that records what the stage
// asked for, with no server and no curl thread.
import type { HopHead, HopOutcome } from '../../ts/native';
import { parseRequestOptions, ClientRequestConstructorOptions } from '../../ts/request-options';
import { RequestBody } from '../../ts/request-body';
import { fromPartition, isSession, Session } from '../../ts/session';
import { DIRECT_HOP } from '../../ts/session-proxy';
import type { HopControl, HopDraft, HopState, Restart, Stage, StageFactory } from '../../ts/stages';

let partitions = 0;

export interface Harness {
  stage: Stage;
  state: HopState;
  control: HopControl;
  session: Session;
  /** Restarts, failures, releases and events the stage asked for, in order. */
  log: Array<{ restart: Restart } | { fail: Error } | { release: true } | { emit: string; args: unknown[] }>;
  /** Listeners the fake request has, by event name. */
  listeners: Map<string, (...args: unknown[]) => void>;
  draft(): HopDraft;
  /** Runs beforeHop on a fresh draft (awaiting it when it waits). */
  prepare(): Promise<HopDraft>;
  finish(): void;
}

export function harness(
  make: StageFactory,
  options: ClientRequestConstructorOptions | string,
  setup: { session?: Session; body?: RequestBody } = {},
): Harness {
  const parsed = parseRequestOptions(options, isSession);
  const session = setup.session ?? fromPartition(`stage-test-${partitions++}`);
  const body = setup.body ?? new RequestBody();
  let hops = 0;
  let finished = false;
  const log: Harness['log'] = [];
  const listeners = new Map<string, (...args: unknown[]) => void>();
  const state: HopState = {
    options: parsed,
    session,
    body,
    url: parsed.url,
    method: parsed.method,
    headers: parsed.headers,
    proxy: DIRECT_HOP,
    get hops() {
      return hops;
    },
  };
  const control: HopControl = {
    state,
    pendingRedirect: null,
    get finished() {
      return finished;
    },
    restart(reason) {
      log.push({ restart: reason });
      hops += 1;
    },
    fail(error) {
      log.push({ fail: error });
      finished = true;
    },
    release() {
      log.push({ release: true });
      finished = true;
    },
    emit(event, ...args) {
      const listener = listeners.get(event);
      if (listener === undefined) return false;
      log.push({ emit: event, args });
      listener(...args);
      return true;
    },
  };
  const stage = make(control);
  const draft = (): HopDraft => ({ lines: [], flags: 0, acceptEncoding: '', extras: {} });
  return {
    stage,
    state,
    control,
    session,
    log,
    listeners,
    draft,
    async prepare() {
      const d = draft();
      const verdict = stage.beforeHop?.(d);
      const settled = verdict instanceof Promise ? await verdict : verdict;
      if (settled instanceof Error) throw settled;
      return d;
    },
    finish() {
      finished = true;
    },
  };
}

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
