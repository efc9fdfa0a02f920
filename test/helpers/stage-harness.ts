// Runs one stage by itself, the way undici tests an interceptor: a real request state (parsed
// options, a real Session, a real RequestBody) and a HopControl that records what the stage
// asked for, with no server and no curl thread.
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
  log: Array<{ restart: Restart } | { fail: Error } | { release: true } | { proceed: true } | { emit: string; args: unknown[] }>;
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
    proceed() {
      log.push({ proceed: true });
    },
    emit(event, ...args) {
      const listener = listeners.get(event);
      if (listener === undefined) return false;
      log.push({ emit: event, args });
      listener(...args);
      return true;
    },
  };
  // A factory with nothing to do for this request (null) is a stage with no hooks.
  const stage = make(control) ?? {};
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

export { head, outcome } from './hop-events';
