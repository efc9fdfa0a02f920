// Runs FindProxyForURL in a worker thread with a hard time limit. One call at a time goes to the
// worker (calls queue here), each call has a deadline counted from when it was asked, and:
//   * inside the worker, the vm timeout stops the script at the deadline, so the worker survives;
//   * on this thread, the caller's promise is rejected at the deadline whatever the worker does;
//   * if the worker has not answered KILL_GRACE_MS after the deadline (a script stuck where the
//     vm timeout cannot reach), it is terminated and a new one is started for the next call.
// The worker is ref'd only while it has work, so an idle evaluator never keeps the process alive.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PacDnsBridge } from './pac-dns';
import type { WorkerReply, WorkerRequest } from './pac-worker';

export const KILL_GRACE_MS = 500;

export interface PacEvaluatorOptions {
  /** Limit for one FindProxyForURL call (and for running the script's top level once). */
  timeoutMs: number;
  /** Limit for one DNS question from the sandbox. */
  dnsTimeoutMs: number;
}

interface Call {
  id: number;
  url: string;
  host: string;
  deadline: number;
  resolve: (value: string) => void;
  reject: (err: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

export class PacTimeoutError extends Error {
  constructor(ms: number) {
    super(`PAC script did not finish within ${ms} ms`);
    this.name = 'PacTimeoutError';
  }
}

export class PacEvaluator {
  private worker: Worker | null = null;
  private loadedReply: Promise<string | null> | null = null;
  private readonly queue: Call[] = [];
  private current: Call | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly bridge: PacDnsBridge;
  private closed = false;
  /** Resolves the pending 'loaded' reply of the current worker. */
  private onLoaded: ((error: string | null) => void) | null = null;

  constructor(
    private readonly script: string,
    private readonly options: PacEvaluatorOptions,
  ) {
    this.bridge = new PacDnsBridge(options.dnsTimeoutMs);
  }

  /**
   * Starts the worker and runs the script's top level. Resolves with null when the script is
   * usable, or with the reason it is not (syntax error, exception, no FindProxyForURL, timeout).
   */
  load(): Promise<string | null> {
    this.ensureWorker();
    return this.loadedReply!;
  }

  find(url: string, host: string): Promise<string> {
    if (this.closed) return Promise.reject(new Error('PAC evaluator is closed'));
    return new Promise<string>((resolve, reject) => {
      const call: Call = {
        id: this.nextId++,
        url,
        host,
        deadline: Date.now() + this.options.timeoutMs,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => this.expire(call), this.options.timeoutMs),
      };
      this.queue.push(call);
      this.pump();
    });
  }

  /** Final: stops the worker and rejects pending and future calls. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  /**
   * Stops the worker and rejects pending calls, but stays usable: the next find() starts a new
   * worker and loads the same script again (no refetch).
   */
  stop(): void {
    for (const call of this.queue.splice(0)) this.settle(call, new Error('PAC evaluator stopped'));
    if (this.current) this.settle(this.current, new Error('PAC evaluator stopped'));
    this.current = null;
    this.killWorker();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(path.join(__dirname, 'pac-worker.js'), {
      env: {}, // a copy of nothing: even an escaped script would find no secrets in process.env
      execArgv: [],
      stdout: true, // swallowed: the sandbox cannot print, but keep the worker's own noise off our stdout
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    worker.unref();
    this.worker = worker;
    this.loadedReply = new Promise<string | null>((resolve) => {
      this.onLoaded = resolve;
    });
    worker.on('message', (msg: WorkerReply) => this.onMessage(worker, msg));
    worker.on('error', (err) => this.onWorkerGone(worker, `PAC worker failed: ${err.message}`));
    worker.on('exit', () => this.onWorkerGone(worker, 'PAC worker exited'));
    const load: WorkerRequest = {
      type: 'load',
      script: this.script,
      timeoutMs: this.options.timeoutMs,
      bridgeWaitMs: this.options.dnsTimeoutMs + 1000,
    };
    worker.postMessage(load);
    this.setBusy(true);
    // The load itself is bounded like a call: a top level that never finishes kills the worker.
    this.armKillTimer(this.options.timeoutMs + KILL_GRACE_MS);
    return worker;
  }

  private onMessage(worker: Worker, msg: WorkerReply): void {
    if (worker !== this.worker) return;
    if (msg.type === 'loaded') {
      this.clearKillTimer();
      if (msg.sab) this.bridge.serve(msg.sab);
      this.onLoaded?.(msg.error);
      this.onLoaded = null;
      this.pump();
      return;
    }
    const call = this.current;
    if (!call || call.id !== msg.id) return;
    this.current = null;
    this.clearKillTimer();
    if (msg.timedOut) this.settle(call, new PacTimeoutError(this.options.timeoutMs));
    else if (msg.error !== null || msg.result === null) this.settle(call, new Error(msg.error ?? 'PAC script failed'));
    else this.settle(call, msg.result);
    this.pump();
  }

  private onWorkerGone(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    this.bridge.stop();
    this.clearKillTimer();
    this.onLoaded?.(reason);
    this.onLoaded = null;
    if (this.current) this.settle(this.current, new Error(reason));
    this.current = null;
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.current || this.onLoaded) {
      // Busy: either a call is running or the script is still loading.
      this.setBusy(true);
      return;
    }
    while (this.queue.length && this.queue[0]!.settled) this.queue.shift();
    const call = this.queue.shift();
    if (!call) {
      this.setBusy(false);
      return;
    }
    const worker = this.ensureWorker();
    if (this.onLoaded) {
      // A fresh worker is loading the script; the call goes out once it has loaded.
      this.queue.unshift(call);
      return;
    }
    this.current = call;
    const msg: WorkerRequest = {
      type: 'find',
      id: call.id,
      url: call.url,
      host: call.host,
      timeoutMs: Math.max(1, call.deadline - Date.now()),
    };
    worker.postMessage(msg);
    this.setBusy(true);
    this.armKillTimer(Math.max(1, call.deadline - Date.now()) + KILL_GRACE_MS);
  }

  private expire(call: Call): void {
    // The caller gets its answer at the deadline; the worker keeps KILL_GRACE_MS to report the
    // vm timeout before the kill timer ends it.
    this.settle(call, new PacTimeoutError(this.options.timeoutMs));
  }

  private settle(call: Call, outcome: string | Error): void {
    if (call.settled) return;
    call.settled = true;
    clearTimeout(call.timer);
    if (typeof outcome === 'string') call.resolve(outcome);
    else call.reject(outcome);
  }

  private armKillTimer(ms: number): void {
    this.clearKillTimer();
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      this.killWorker();
      this.pump();
    }, ms);
    this.killTimer.unref();
  }

  private clearKillTimer(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
  }

  private killWorker(): void {
    const worker = this.worker;
    this.clearKillTimer();
    if (!worker) return;
    this.worker = null;
    this.bridge.stop();
    this.onLoaded?.('PAC script did not finish loading in time');
    this.onLoaded = null;
    if (this.current) this.settle(this.current, new PacTimeoutError(this.options.timeoutMs));
    this.current = null;
    void worker.terminate();
  }

  private setBusy(busy: boolean): void {
    // ref while there is work so a pending resolve() is not cut off by process exit; unref when idle.
    if (!this.worker) return;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }
}
