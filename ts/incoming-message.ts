// The response: a Readable over the body bytes the curl thread delivers. Flow control is by
// acknowledgement: bytes are acknowledged to the curl thread (in batches) once the Readable
// asks for more — push() returning true, or _read() — so a response nobody reads stalls its
// transfer after the curl thread's high-water mark, and a reading consumer never does.
import type { EventMethod } from './typed-events';
import { Readable } from 'node:stream';
import { foldResponseHeaders } from './headers';
import type { HopHead } from './native';
// Consumed bytes are reported to the curl thread in batches of at least ACK_QUANTUM, at most
// half its smallest per-transfer window (native/contract.json checks that).
import { ACK_QUANTUM } from './native-contract';

export interface ResponseFlowControl {
  acknowledge(bytes: number): void;
  /** The response was destroyed before its end: nothing will read the rest. */
  stopTransfer(): void;
}

/** IncomingMessage's events as Electron's typings declare them. */
export interface IncomingMessageEvents {
  data: (chunk: Buffer) => void;
  end: () => void;
  aborted: () => void;
  error: (error: Error) => void;
  close: () => void;
  'download-progress': (received: number) => void;
}

export interface IncomingMessage {
  on: EventMethod<IncomingMessageEvents, this>;
  once: EventMethod<IncomingMessageEvents, this>;
  off: EventMethod<IncomingMessageEvents, this>;
  addListener: EventMethod<IncomingMessageEvents, this>;
  removeListener: EventMethod<IncomingMessageEvents, this>;
  prependListener: EventMethod<IncomingMessageEvents, this>;
  prependOnceListener: EventMethod<IncomingMessageEvents, this>;
}

export class IncomingMessage extends Readable {
  private readonly _head: HopHead;
  private _flow: ResponseFlowControl | null;
  private _pushed = 0;
  private _unacknowledged = 0;
  private _bodyComplete = false;

  /** @internal */
  constructor(head: HopHead, flow: ResponseFlowControl) {
    super();
    this._head = head;
    this._flow = flow;
  }

  get statusCode(): number {
    return this._head.statusCode;
  }

  get statusMessage(): string {
    return this._head.statusMessage;
  }

  get headers(): Record<string, string | string[]> {
    return foldResponseHeaders(this._head.rawHeaders);
  }

  get rawHeaders(): string[] {
    return this._head.rawHeaders.slice();
  }

  get httpVersion(): string {
    return `${this.httpVersionMajor}.${this.httpVersionMinor}`;
  }

  get httpVersionMajor(): number {
    return this._head.httpVersionMajor;
  }

  get httpVersionMinor(): number {
    return this._head.httpVersionMinor;
  }

  get rawTrailers(): never {
    throw new Error('HTTP trailers are not supported');
  }

  get trailers(): never {
    throw new Error('HTTP trailers are not supported');
  }

  /** @internal A body chunk from the curl thread. */
  _deliver(chunk: Buffer): void {
    this._pushed += chunk.length;
    this._unacknowledged += chunk.length;
    const wantsMore = this.push(chunk);
    if (this.listenerCount('download-progress') > 0) this.emit('download-progress', this._pushed);
    if (wantsMore) this._acknowledge();
  }

  /** @internal The body is complete. */
  _finish(): void {
    this._flow = null;
    this._bodyComplete = true;
    this.push(null);
  }

  /** @internal Every byte of the body has arrived (read or not). */
  get bodyComplete(): boolean {
    return this._bodyComplete;
  }

  override _read(): void {
    this._acknowledge();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before its end (by the consumer, or for an error): nobody acknowledges the rest,
    // so a paused transfer would wait forever, holding its connection and keeping the process
    // alive. Stopping it frees both, like destroying a Node response closes its socket.
    const flow = this._flow;
    this._flow = null;
    flow?.stopTransfer();
    callback(error);
  }

  /** The Readable wants more: what it was given counts as taken. This may run ahead of the
   * consumer by the chunk being read right now, never by more. The curl thread only pauses
   * once far more than ACK_QUANTUM is outstanding, so batching cannot stall a reader. */
  private _acknowledge(): void {
    if (this._flow === null || this._unacknowledged < ACK_QUANTUM) return;
    const bytes = this._unacknowledged;
    this._unacknowledged = 0;
    this._flow.acknowledge(bytes);
  }
}
