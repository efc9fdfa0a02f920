// Runs FindProxyForURL in a worker thread that holds the QuickJS sandbox (pac-sandbox.ts), with
// a hard time limit. One call at a time goes to the worker (calls queue here), each call has a
// deadline counted from when it was asked, and:
//   * inside the sandbox, an interrupt handler stops the script at the deadline;
//   * on this thread, the caller's promise is rejected at the deadline whatever the worker does;
//   * if the worker has not answered KILL_GRACE_MS after the deadline (a script stuck in a long
//     native loop the interrupt handler cannot reach), it is terminated and a new one is started
//     for the next call. A worker whose sandbox ran out of memory ends itself the same way.
// DNS: a run that needs names the sandbox has no answer for comes back with the questions; they
// are resolved here, asynchronously and cached (pac-dns.ts), and the run is sent again with the
// answers, at most MAX_DNS_ROUNDS times per evaluation, all within the same deadline.
// The worker is ref'd only while it has work, so an idle evaluator never keeps the process alive.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PacDns } from './pac-dns';
import { compiledModule, type DnsQuestion } from './pac-sandbox';
import type { DnsAnswer, WorkerReply, WorkerRequest } from './pac-worker';

export const KILL_GRACE_MS = 500;
/** A new worker must have its sandbox ready within this time (not counted in the PAC's limit). */
export const WORKER_START_LIMIT_MS = 30_000;
/** Evaluations (the top level, or one call) give up after this many rounds of DNS questions. */
export const MAX_DNS_ROUNDS = 16;

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
  dnsRounds: number;
  /** The worker is idle while this thread resolves the call's DNS questions. */
  awaitingDns: boolean;
  /** The call waited for a new worker to start and load the script. */
  waitedForWorker: boolean;
  resolve: (value: string) => void;
  reject: (err: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

interface Loading {
  deadline: number;
  dnsRounds: number;
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
  private readonly dns: PacDns;
  private closed = false;
  /** Resolves the pending 'loaded' reply of the current worker. */
  private onLoaded: ((error: string | null) => void) | null = null;
  private loading: Loading | null = null;

  constructor(
    private readonly script: string,
    private readonly options: PacEvaluatorOptions,
  ) {
    this.dns = new PacDns(options.dnsTimeoutMs);
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
        dnsRounds: 0,
        awaitingDns: false,
        waitedForWorker: false,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => this.expire(call), this.options.timeoutMs),
      };
      if (this.workerUnavailable) this.pauseClock(call);
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
      env: {}, // a copy of nothing: the worker needs no environment
      execArgv: [],
      stdout: true, // swallowed: keep the worker's own noise off our stdout
      stderr: true,
      // A second wall around the sandbox (whose memory is a separate, bounded WebAssembly.Memory).
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
    // Start-up (thread, QuickJS instantiation) is not the script's time; it has its own bound.
    compiledModule().then(
      (wasmModule) => {
        if (worker === this.worker) worker.postMessage({ type: 'init', wasmModule } satisfies WorkerRequest);
      },
      (err: unknown) => {
        if (worker === this.worker) this.finishLoad(`PAC sandbox failed to start: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    this.setBusy(true);
    this.armKillTimer(WORKER_START_LIMIT_MS);
    return worker;
  }

  private postLoad(worker: Worker, answers: DnsAnswer[]): void {
    const remaining = Math.max(1, this.loading!.deadline - Date.now());
    const load: WorkerRequest = { type: 'load', script: this.script, timeoutMs: remaining, answers };
    worker.postMessage(load);
    this.setBusy(true);
    // The load itself is bounded like a call: a top level that never finishes kills the worker.
    this.armKillTimer(remaining + KILL_GRACE_MS);
  }

  private postFind(worker: Worker, call: Call, answers: DnsAnswer[]): void {
    const remaining = Math.max(1, call.deadline - Date.now());
    const msg: WorkerRequest = { type: 'find', id: call.id, url: call.url, host: call.host, timeoutMs: remaining, answers };
    worker.postMessage(msg);
    this.setBusy(true);
    this.armKillTimer(remaining + KILL_GRACE_MS);
  }

  private onMessage(worker: Worker, msg: WorkerReply): void {
    if (worker !== this.worker) return;
    if (msg.type !== 'ready' && msg.retiring) {
      // Its sandbox is unusable and the thread is ending: the next call starts a new worker.
      this.worker = null;
      this.loading = null;
      this.clearKillTimer();
      void worker.terminate();
    }
    if (msg.type === 'ready') {
      this.clearKillTimer();
      if (msg.error !== null) {
        this.finishLoad(msg.error);
        return;
      }
      this.loading = { deadline: Date.now() + this.options.timeoutMs, dnsRounds: 0 };
      this.postLoad(worker, []);
      return;
    }
    if (msg.type === 'loaded') {
      const loading = this.loading;
      if (msg.questions && loading) {
        // The kill timer keeps running: DNS waits count against the load's deadline.
        if (++loading.dnsRounds > MAX_DNS_ROUNDS) {
          this.finishLoad(`PAC script asked for DNS answers more than ${MAX_DNS_ROUNDS} times while loading`);
          return;
        }
        void this.answer(msg.questions).then((answers) => {
          if (worker === this.worker && this.loading === loading) this.postLoad(worker, answers);
        });
        return;
      }
      this.clearKillTimer();
      this.finishLoad(msg.error);
      return;
    }
    const call = this.current;
    if (!call || call.id !== msg.id) return;
    this.clearKillTimer();
    if (msg.questions && !call.settled) {
      if (++call.dnsRounds > MAX_DNS_ROUNDS) {
        this.current = null;
        this.settle(call, new Error(`FindProxyForURL asked for DNS answers more than ${MAX_DNS_ROUNDS} times`));
        this.pump();
        return;
      }
      call.awaitingDns = true;
      this.setBusy(false); // the worker idles; pending lookups and the call's timer are what wait
      void this.answer(msg.questions).then((answers) => {
        if (this.current !== call) return;
        call.awaitingDns = false;
        if (call.settled) {
          this.current = null;
          this.pump();
          return;
        }
        if (worker !== this.worker) {
          // The worker retired meanwhile: the call starts over in a new one (the answers are
          // cached here, so its DNS questions are answered at once).
          this.current = null;
          this.queue.unshift(call);
          this.pump();
          return;
        }
        this.postFind(worker, call, answers);
      });
      return;
    }
    this.current = null;
    if (msg.timedOut) this.settle(call, new PacTimeoutError(this.options.timeoutMs));
    else if (msg.error !== null || msg.result === null) this.settle(call, new Error(msg.error ?? 'PAC script failed'));
    else this.settle(call, msg.result);
    this.pump();
  }

  private finishLoad(error: string | null): void {
    this.loading = null;
    this.onLoaded?.(error);
    this.onLoaded = null;
    this.pump();
  }

  private answer(questions: DnsQuestion[]): Promise<DnsAnswer[]> {
    return Promise.all(questions.map(async ({ op, name }): Promise<DnsAnswer> => [op, name, await this.dns.answer(op, name)]));
  }

  private onWorkerGone(worker: Worker, reason: string): void {
    if (worker !== this.worker) return;
    this.worker = null;
    this.loading = null;
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
      if (!this.current?.awaitingDns) this.setBusy(true);
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
      this.pauseClock(call);
      this.queue.unshift(call);
      return;
    }
    // Waiting for a stuck worker to be killed and a new one to load the script is not this
    // call's evaluation: its limit starts over when it reaches the worker (each wait is bounded
    // on its own: the kill grace, WORKER_START_LIMIT_MS, the load's limit).
    if (call.waitedForWorker) this.restartClock(call);
    this.current = call;
    this.postFind(worker, call, []);
  }

  private restartClock(call: Call): void {
    call.waitedForWorker = false;
    clearTimeout(call.timer);
    call.deadline = Date.now() + this.options.timeoutMs;
    call.timer = setTimeout(() => this.expire(call), this.options.timeoutMs);
  }

  private expire(call: Call): void {
    // The caller gets its answer at the deadline; the worker keeps KILL_GRACE_MS to report the
    // interrupt before the kill timer ends it.
    this.settle(call, new PacTimeoutError(this.options.timeoutMs));
    if (this.current === call && call.awaitingDns) {
      // Nothing runs in the worker for this call: the next one may go.
      this.current = null;
      this.pump();
      return;
    }
    // The worker is past this call's limit: it answers within the kill grace or is replaced.
    // The calls behind it are not charged for that wait.
    if (this.current === call) for (const queued of this.queue) this.pauseClock(queued);
  }

  /** The worker this call waits for is overdue (being killed) or starting. */
  private get workerUnavailable(): boolean {
    return this.onLoaded !== null || (this.current !== null && this.current.settled && !this.current.awaitingDns);
  }

  /** Until the call reaches a worker, only a backstop runs: the kill grace, a worker start and
   * a script load, each with its own bound, and then some (a worker that keeps dying while it
   * loads must not hold a call for ever). */
  private pauseClock(call: Call): void {
    if (call.settled || call.waitedForWorker) return;
    call.waitedForWorker = true;
    clearTimeout(call.timer);
    const backstop = KILL_GRACE_MS + WORKER_START_LIMIT_MS + 2 * this.options.timeoutMs;
    call.timer = setTimeout(() => this.expire(call), backstop);
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
    this.loading = null;
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
