// Entry point of the PAC worker thread (started by pac-evaluator.ts). It owns one vm context per
// loaded PAC script. The context is created from a null-prototype object and is only ever given
// primitives (the script text, the URL and host as string literals), so nothing inside it can
// reach this realm's Function constructor, `process` or `require`. Every run has a vm timeout;
// the main thread additionally kills this whole thread if an answer is late.
import vm from 'node:vm';
import { types } from 'node:util';
import { parentPort } from 'node:worker_threads';
import { installPacEnvironment } from './pac-library';

export type WorkerRequest =
  | { type: 'load'; script: string; timeoutMs: number; bridgeWaitMs: number }
  | { type: 'find'; id: number; url: string; host: string; timeoutMs: number };

export type WorkerReply =
  | { type: 'loaded'; sab: SharedArrayBuffer | null; error: string | null }
  | { type: 'found'; id: number; result: string | null; error: string | null; timedOut: boolean };

let context: vm.Context | null = null;
let loadError: string | null = 'No PAC script loaded';

// Runs `source` in the sandbox and returns a string prefixed with 's' (a string result), 'n'
// (a non-string result) or 'e' (an exception, already turned into text inside the sandbox, so
// no getter on a thrown object ever runs outside the time limit).
function guarded(expression: string): string {
  return `(function () {
    try { var r = (${expression}); return typeof r === 'string' ? 's' + r : 'n' + typeof r; }
    catch (e) { try { return 'e' + String(e && e.message !== undefined ? e.message : e); } catch (_) { return 'e(unprintable exception)'; } }
  })()`;
}

function run(source: string, filename: string, timeoutMs: number): { value: string | null; error: string | null; timedOut?: boolean } {
  try {
    const out: unknown = new vm.Script(source, { filename }).runInContext(context!, {
      timeout: Math.max(1, Math.floor(timeoutMs)),
      breakOnSigint: false,
    });
    if (typeof out !== 'string') return { value: null, error: 'PAC sandbox returned a non-string' };
    if (out[0] === 's') return { value: out.slice(1), error: null };
    if (out[0] === 'n') return { value: null, error: `FindProxyForURL returned ${out.slice(1)}, not a string` };
    return { value: null, error: out.slice(1) };
  } catch (err) {
    // Only errors raised by Node land here (the vm timeout; everything the script throws is
    // caught inside the sandbox by guarded()). Node may create the timeout error in the
    // sandbox's realm, so it is read through own data properties only: no getter, no Proxy trap
    // of the sandbox ever runs outside the time limit.
    const own = (name: string): unknown => {
      if (typeof err !== 'object' || err === null || types.isProxy(err)) return undefined;
      return Object.getOwnPropertyDescriptor(err, name)?.value;
    };
    const message = own('message');
    return {
      value: null,
      error: typeof message === 'string' ? message : 'PAC script failed',
      timedOut: own('code') === 'ERR_SCRIPT_EXECUTION_TIMEOUT',
    };
  }
}

function load(script: string, timeoutMs: number, bridgeWaitMs: number): WorkerReply {
  context = vm.createContext(Object.create(null), {
    name: 'PAC sandbox',
    codeGeneration: { strings: true, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  // The helper library is evaluated from its source text, so its functions belong to the sandbox.
  const sab: unknown = vm.runInContext(`(${installPacEnvironment.toString()})(globalThis, ${Number(bridgeWaitMs)})`, context, {
    timeout: 1000,
  });
  if (!types.isSharedArrayBuffer(sab)) {
    context = null;
    loadError = 'PAC sandbox failed to start';
    return { type: 'loaded', sab: null, error: loadError };
  }
  // Top-level code of the PAC runs once, under the same time limit as a call.
  const top = run(guarded(`(0, eval)(${JSON.stringify(script)}), typeof FindProxyForURL === 'function' ? '' : 'FindProxyForURL is not defined'`), 'pac-loader.js', timeoutMs);
  loadError = top.error ?? (top.value !== '' ? top.value : null);
  if (loadError) context = null;
  return { type: 'loaded', sab, error: loadError };
}

parentPort!.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'load') {
    parentPort!.postMessage(load(msg.script, msg.timeoutMs, msg.bridgeWaitMs));
    return;
  }
  if (!context) {
    parentPort!.postMessage({ type: 'found', id: msg.id, result: null, error: loadError, timedOut: false } satisfies WorkerReply);
    return;
  }
  const expression = `FindProxyForURL(${JSON.stringify(msg.url)}, ${JSON.stringify(msg.host)})`;
  const r = run(guarded(expression), 'pac-call.js', msg.timeoutMs);
  parentPort!.postMessage({ type: 'found', id: msg.id, result: r.value, error: r.error, timedOut: r.timedOut === true } satisfies WorkerReply);
});
