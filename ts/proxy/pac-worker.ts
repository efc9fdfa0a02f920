// Entry point of the PAC worker thread (started by pac-evaluator.ts). It holds the QuickJS sandbox
// (pac-sandbox.ts) of one PAC script and answers one request at a time. The worker is not the
// security boundary (QuickJS is); it keeps evaluation off the main JS thread, and the main thread
// kills it if a run is stuck where the interrupt handler cannot reach (a long native loop).
//
// DNS: a run that needs names the worker has no answer for replies with the questions; the main
// thread resolves them and sends the request again with the answers, which the worker keeps for
// its lifetime. A top-level run that needs DNS starts over in a fresh sandbox (its global state
// must not carry a half-run script); a FindProxyForURL call re-runs in the same sandbox.
import { parentPort } from 'node:worker_threads';
import { dnsKey, type DnsQuestion, PacSandbox, type SandboxOutcome, useCompiledModule } from './pac-sandbox';

/** A DNS answer: the question and its answer (null: none). */
export type DnsAnswer = [op: number, name: string, answer: string | null];

export type WorkerRequest = { type: 'init'; wasmModule: unknown } | RunRequest;
type RunRequest =
  | { type: 'load'; script: string; timeoutMs: number; answers: DnsAnswer[] }
  | { type: 'find'; id: number; url: string; host: string; timeoutMs: number; answers: DnsAnswer[] };

export type WorkerReply =
  | { type: 'ready'; error: string | null }
  | { type: 'loaded'; error: string | null; timedOut: boolean; questions: DnsQuestion[] | null; retiring?: boolean }
  | { type: 'found'; id: number; result: string | null; error: string | null; timedOut: boolean; questions: DnsQuestion[] | null; retiring?: boolean };

const answers = new Map<string, string | null>();
let sandbox: PacSandbox | null = null;
/** A sandbox made at start-up, so the first load's time limit does not pay for it. */
let spare: PacSandbox | null = null;
/** Set when a run left its sandbox unusable: the thread ends after replying. */
let retire = false;
let loadError: string | null = 'No PAC script loaded';

function remember(list: DnsAnswer[]): void {
  for (const [op, name, answer] of list) answers.set(dnsKey(op, name), answer);
}

function fields(outcome: SandboxOutcome): { result: string | null; error: string | null; timedOut: boolean; questions: DnsQuestion[] | null } {
  switch (outcome.kind) {
    case 'ok':
      return { result: outcome.value, error: null, timedOut: false, questions: null };
    case 'dns':
      return { result: null, error: null, timedOut: false, questions: outcome.questions };
    case 'timeout':
      return { result: null, error: null, timedOut: true, questions: null };
    case 'error':
      return { result: null, error: outcome.message, timedOut: false, questions: null };
  }
}

async function handle(msg: RunRequest): Promise<WorkerReply> {
  remember(msg.answers);
  if (msg.type === 'load') {
    sandbox = null;
    const fresh = spare ?? (await PacSandbox.create(answers));
    spare = null;
    const r = fields(fresh.load(msg.script, msg.timeoutMs));
    if (r.questions) {
      loadError = 'PAC script is waiting for DNS';
    } else if (r.timedOut) {
      loadError = 'PAC script did not finish loading in time';
    } else {
      loadError = r.error;
      if (loadError === null) sandbox = fresh;
    }
    if (fresh.broken) {
      sandbox = null;
      retire = true;
    }
    return { type: 'loaded', error: r.questions ? null : loadError, timedOut: r.timedOut, questions: r.questions };
  }
  if (!sandbox) return { type: 'found', id: msg.id, result: null, error: loadError, timedOut: false, questions: null };
  const r = fields(sandbox.call(msg.url, msg.host, msg.timeoutMs));
  if (sandbox.broken) retire = true;
  return { type: 'found', id: msg.id, ...r };
}

// The first message brings the compiled QuickJS module; a sandbox is made before saying ready.
function init(wasmModule: unknown): Promise<void> {
  useCompiledModule(wasmModule);
  return PacSandbox.create(answers).then(
    (made) => {
      spare = made;
      parentPort!.postMessage({ type: 'ready', error: null } satisfies WorkerReply);
    },
    (err: unknown) => {
      parentPort!.postMessage({ type: 'ready', error: `PAC sandbox failed to start: ${err instanceof Error ? err.message : String(err)}` } satisfies WorkerReply);
    },
  );
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    queue = init(msg.wasmModule);
    return;
  }
  const run = msg;
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(run);
    } catch (err) {
      const error = `PAC sandbox failed: ${err instanceof Error ? err.message : String(err)}`;
      reply = run.type === 'load'
        ? { type: 'loaded', error, timedOut: false, questions: null }
        : { type: 'found', id: run.id, result: null, error, timedOut: false, questions: null };
      sandbox = null;
      retire = true;
    }
    parentPort!.postMessage({ ...reply, retiring: retire });
    // A sandbox that ran out of memory or failed on the host side is thrown away with this
    // thread, so its memory is surely freed; the evaluator starts a new worker for the next call.
    if (retire) process.exit(0);
  });
});
