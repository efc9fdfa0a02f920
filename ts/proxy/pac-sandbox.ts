// One PAC script inside QuickJS compiled to WebAssembly (quickjs-emscripten). This is the security
// boundary: the PAC script runs in another JavaScript engine whose whole world is one
// WebAssembly.Memory, so no object, constructor or error inside it leads to Node's `process`,
// `require` or the file system. What crosses the boundary is strings only: the script, the URL
// and host going in, the result or an error text coming out, and DNS names through the one host
// function (`hostDns`).
//
// Limits, all enforced inside this engine (the worker around it and its kill timer are the
// second wall; see pac-evaluator.ts):
//   * memory: the WebAssembly.Memory has a hard maximum, so every allocation (typed arrays and
//     strings too, which QuickJS's own limit does not count) fails once it is full; QuickJS's
//     runtime limit is lower and stops ordinary objects earlier. Either way the script gets an
//     "out of memory" error and the host is untouched.
//   * stack: QuickJS's stack limit turns deep recursion into a catchable "stack overflow"; the few
//     recursions it does not check (the parser) overflow the worker thread's native stack, which
//     V8 turns into a RangeError on the host side: the sandbox is then marked broken.
//   * time: an interrupt handler stops the run at its deadline, wherever the script is (loops,
//     getters, toString, sort comparators, Promise jobs, regular expressions). The interrupt
//     cannot be caught by the script.
// A sandbox that hit its memory limit or failed on the host side is `broken` and must be thrown
// away (its global state may hold the memory, or QuickJS may have been cut off mid-operation).
//
// DNS follows Chromium's ProxyResolverV8Tracing: the helpers ask `hostDns`, which answers from
// `answers`. A name it has no answer for is recorded, null is returned, and the run is abandoned
// at the next interrupt check; the caller resolves the recorded names asynchronously and runs
// the evaluation again. A top-level run is repeated in a fresh sandbox, a FindProxyForURL call in
// the same one.
import fs from 'node:fs';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import { DnsOp, installPacEnvironment, MAX_DNS_NAME_LENGTH, MAX_PAC_RESULT_LENGTH } from './pac-library';

const MiB = 1024 * 1024;
const WASM_PAGE = 65536;

/** The limits every PAC sandbox gets. */
export const PAC_SANDBOX_LIMITS = {
  /** Hard maximum of the WebAssembly.Memory QuickJS lives in (code, stack and heap). */
  wasmMemoryBytes: 64 * MiB,
  /** QuickJS's own allocation limit (does not see every allocation; the line above does). */
  heapBytes: 32 * MiB,
  /** QuickJS's stack limit (its wasm stack is 5 MiB). */
  stackBytes: 512 * 1024,
} as const;

/** At most this many new DNS names are collected in one abandoned run. */
const MAX_QUESTIONS_PER_RUN = 8;
/** Longest error text passed on. */
const MAX_ERROR_LENGTH = 1000;

export interface DnsQuestion {
  op: number;
  name: string;
}

export type SandboxOutcome =
  | { kind: 'ok'; value: string }
  | { kind: 'error'; message: string }
  | { kind: 'timeout' }
  | { kind: 'dns'; questions: DnsQuestion[] };

export function dnsKey(op: number, name: string): string {
  return `${op} ${name}`;
}

// The WebAssembly global, typed here because this project compiles without the DOM lib.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly __wasmModule?: never;
}
const wasm = (globalThis as unknown as {
  WebAssembly: {
    Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
    compile(bytes: Uint8Array): Promise<WasmModule>;
  };
}).WebAssembly;

// The release build of QuickJS (bellard/quickjs) with its .wasm file, loaded with require():
// the package's own entry point loads its Emscripten glue with import(), which costs a worker
// hundreds of milliseconds at start-up.
const RELEASE_SYNC = {
  type: 'sync',
  importFFI: () => Promise.resolve((require('@jitl/quickjs-wasmfile-release-sync/ffi') as { QuickJSFFI: unknown }).QuickJSFFI),
  importModuleLoader: () => Promise.resolve(require('@jitl/quickjs-wasmfile-release-sync/emscripten-module') as unknown),
} as unknown as QuickJSSyncVariant;

let compiled: Promise<WasmModule> | null = null;
/**
 * The QuickJS WebAssembly module, compiled once (asynchronously, off the JS thread) and shared:
 * the main thread compiles it and hands it to every worker (useCompiledModule), so a new worker
 * does not compile 500 KB of WebAssembly again. Every sandbox instantiates it anew.
 */
export function compiledModule(): Promise<WasmModule> {
  compiled ??= fs.promises.readFile(require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm')).then((bytes) => wasm.compile(bytes));
  return compiled;
}

/** In a worker: use the module the main thread compiled. */
export function useCompiledModule(module: unknown): void {
  compiled = Promise.resolve(module as WasmModule);
}

function clip(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

export class PacSandbox {
  /** Set once the sandbox must not be used again (see the file comment). */
  broken = false;
  private deadline = 0;
  private timedOut = false;
  private abandoned = false;
  private questions: DnsQuestion[] = [];
  private entryLoad: QuickJSHandle | null = null;
  private entryCall: QuickJSHandle | null = null;

  private constructor(
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    /** DNS answers known so far (null: the name has no answer), shared by the caller. */
    private readonly answers: ReadonlyMap<string, string | null>,
  ) {}

  /** A fresh engine: its own WebAssembly.Memory, runtime, context and PAC helpers. */
  static async create(answers: ReadonlyMap<string, string | null>): Promise<PacSandbox> {
    const wasmMemory = new wasm.Memory({
      initial: 16 * MiB / WASM_PAGE, // what the module declares as its minimum
      maximum: PAC_SANDBOX_LIMITS.wasmMemoryBytes / WASM_PAGE,
    });
    const module = await newQuickJSWASMModuleFromVariant(
      newVariant(RELEASE_SYNC, { wasmModule: await compiledModule(), wasmMemory }),
    );
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(PAC_SANDBOX_LIMITS.heapBytes);
    runtime.setMaxStackSize(PAC_SANDBOX_LIMITS.stackBytes);
    const context = runtime.newContext();
    const sandbox = new PacSandbox(runtime, context, answers);
    runtime.setInterruptHandler(() => sandbox.shouldInterrupt());
    sandbox.deadline = Date.now() + 10_000; // installing the helpers runs no PAC code; this is a backstop
    sandbox.install();
    return sandbox;
  }

  /** Runs the PAC's top level. `ok` (value '') when FindProxyForURL is defined. */
  load(script: string, timeoutMs: number): SandboxOutcome {
    return this.run(timeoutMs, () => this.withString(script, (src) => this.context.callFunction(this.entryLoad!, this.context.undefined, src)));
  }

  /** Runs FindProxyForURL(url, host). `ok` carries the string it returned. */
  call(url: string, host: string, timeoutMs: number): SandboxOutcome {
    return this.run(timeoutMs, () =>
      this.withString(url, (u) => this.withString(host, (h) => this.context.callFunction(this.entryCall!, this.context.undefined, u, h))),
    );
  }

  private shouldInterrupt(): boolean {
    if (this.abandoned) return true;
    if (Date.now() > this.deadline) {
      this.timedOut = true;
      return true;
    }
    return false;
  }

  private install(): void {
    const ctx = this.context;
    const hostDns = ctx.newFunction('hostDns', (opHandle, nameHandle) => this.hostDns(opHandle, nameHandle));
    const limit = ctx.newNumber(MAX_PAC_RESULT_LENGTH);
    const installer = ctx.evalCode(`(${installPacEnvironment.toString()})`, 'pac-library.js');
    const entries = ctx.unwrapResult(installer).consume((fn) => ctx.unwrapResult(ctx.callFunction(fn, ctx.undefined, ctx.global, hostDns, limit)));
    hostDns.dispose();
    limit.dispose();
    // The array was made by the library before any PAC code ran: plain data properties.
    this.entryLoad = ctx.getProp(entries, 0);
    this.entryCall = ctx.getProp(entries, 1);
    entries.dispose();
  }

  // The only host function. Takes a number and a string (anything else: no answer), never runs
  // guest code (no conversions), and returns a string or null.
  private hostDns(opHandle: QuickJSHandle | undefined, nameHandle: QuickJSHandle | undefined): QuickJSHandle {
    const ctx = this.context;
    if (!opHandle || !nameHandle || ctx.typeof(opHandle) !== 'number' || ctx.typeof(nameHandle) !== 'string') return ctx.null;
    const op = ctx.getNumber(opHandle);
    if (op !== DnsOp.DnsResolve && op !== DnsOp.DnsResolveEx && op !== DnsOp.MyIpAddress && op !== DnsOp.MyIpAddressEx) return ctx.null;
    const name = ctx.getString(nameHandle);
    if (name.length > MAX_DNS_NAME_LENGTH) return ctx.null;
    const key = dnsKey(op, name);
    if (this.answers.has(key)) {
      const answer = this.answers.get(key);
      return typeof answer === 'string' ? ctx.newString(answer) : ctx.null;
    }
    if (this.questions.length < MAX_QUESTIONS_PER_RUN && !this.questions.some((q) => q.op === op && q.name === name)) {
      this.questions.push({ op, name });
    }
    this.abandoned = true; // the interrupt handler ends this run at its next check
    return ctx.null;
  }

  private withString<T>(text: string, fn: (handle: QuickJSHandle) => T): T {
    const handle = this.context.newString(text);
    try {
      return fn(handle);
    } finally {
      handle.dispose();
    }
  }

  private run(timeoutMs: number, evaluate: () => { value?: QuickJSHandle; error?: QuickJSHandle }): SandboxOutcome {
    if (this.broken) return { kind: 'error', message: 'PAC sandbox is no longer usable' };
    const ctx = this.context;
    this.deadline = Date.now() + timeoutMs;
    this.timedOut = false;
    this.abandoned = false;
    this.questions = [];
    let text: string | null = null;
    let escaped: string | null = null;
    try {
      const result = evaluate();
      if (result.error) {
        escaped = this.readEscaped(result.error);
        result.error.dispose();
      } else if (result.value) {
        if (ctx.typeof(result.value) === 'string') text = ctx.getString(result.value);
        result.value.dispose();
      }
      if (escaped === null) {
        // Promise jobs the run queued belong to it (like vm's microtaskMode 'afterEvaluate').
        const jobs = this.runtime.executePendingJobs();
        if (jobs.error) {
          escaped = this.readEscaped(jobs.error);
          jobs.error.dispose();
          // Jobs queued behind the one that failed stay queued and would run (and fail) in
          // every later call: start over with a fresh sandbox instead. (A job abandoned for DNS
          // is not a failure: the run is repeated with the answer.)
          if (!this.abandoned) this.broken = true;
        }
      }
    } catch (err) {
      // Thrown on the host side: a trap in the WebAssembly code (e.g. the native stack ran out
      // in an unchecked recursion). QuickJS was cut off mid-operation: never use it again.
      this.broken = true;
      return { kind: 'error', message: clip(`PAC sandbox failed: ${err instanceof Error ? err.message : String(err)}`) };
    }
    if (this.abandoned) return { kind: 'dns', questions: this.questions };
    if (this.timedOut) return { kind: 'timeout' };
    if (escaped !== null) {
      if (/out of memory/i.test(escaped)) this.broken = true;
      return { kind: 'error', message: clip(escaped) };
    }
    if (text === null) return { kind: 'error', message: 'PAC sandbox returned a non-string' };
    if (text[0] === 's') return { kind: 'ok', value: text.slice(1) };
    if (text[0] === 'n') return { kind: 'error', message: `FindProxyForURL returned ${text.slice(1)}, not a string` };
    const message = text.slice(1);
    // The script may have caught the out-of-memory error; its heap can still be full.
    if (/out of memory/i.test(message)) this.broken = true;
    return { kind: 'error', message: clip(message) };
  }

  // An error that escaped the entry points' own try/catch: only QuickJS raises those (the
  // uncatchable interrupt, or out of memory / stack overflow while handling an exception).
  // Its message is read as a plain property; anything else is not trusted.
  private readEscaped(error: QuickJSHandle): string {
    const ctx = this.context;
    if (ctx.typeof(error) !== 'object') return 'PAC script failed';
    const saved = { deadline: this.deadline, timedOut: this.timedOut };
    this.deadline = 0; // a getter here would be stopped at once
    try {
      const message = ctx.getProp(error, 'message');
      try {
        return ctx.typeof(message) === 'string' ? ctx.getString(message) || 'PAC script failed' : 'PAC script failed';
      } finally {
        message.dispose();
      }
    } finally {
      this.deadline = saved.deadline;
      this.timedOut = saved.timedOut;
    }
  }
}
