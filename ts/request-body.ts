// A request's body: buffered until end() by default, or streamed to the current hop as it is
// written (chunkedEncoding). Owns the upload window (write() callbacks are held while too much
// waits for the curl thread) and the replay copy a repeated hop (redirect 307/308, login
// retry, proxy failover) sends again.
import { UPLOAD_WINDOW } from './native';

/** A chunked body up to this size is kept so a 307/308 or a login retry can send it again. */
const STREAM_REPLAY_LIMIT = 1024 * 1024;

type WriteCallback = (error?: Error | null) => void;

/** Where a streamed body goes: the hop driver, the only caller of the native contract. */
export interface UploadSink {
  /** 'hop': the current hop takes bytes; 'wait': a hop is being prepared (e.g. its proxy is
   * planned), so writes wait; 'none': the request is over, writes are dropped. */
  readonly uploadTarget: 'hop' | 'wait' | 'none';
  writeUpload(chunk: Buffer): void;
  endUpload(): void;
}

export class RequestBody {
  /** Streamed (chunked) rather than buffered until end(). */
  private _streamed = false;
  private _written = false;

  // Buffered mode: collected until end().
  private _chunks: Buffer[] = [];
  private _length = 0;
  private _buffer: Buffer | null = null;

  // Streamed mode.
  private _copy: Buffer[] | null = [];
  private _copyBytes = 0;
  private _ended = false;
  private _sent = 0;
  private _consumed = 0;
  private _held: Array<{ end: number; callback: WriteCallback }> = [];
  /** Writes that arrived while no hop could take them (the proxy was being planned). */
  private _waiting: Array<{ chunk: Buffer; callback: WriteCallback }> = [];

  get streamed(): boolean {
    return this._streamed;
  }

  /** Anything was written (setHeader and chunkedEncoding are then locked, as in Electron). */
  get written(): boolean {
    return this._written;
  }

  /** The whole streamed body has been handed over (end() was called). */
  get ended(): boolean {
    return this._ended;
  }

  /** The buffered body, or null when there is none (or it is streamed). */
  get buffer(): Buffer | null {
    return this._buffer;
  }

  /** There is something to send on the current hop. */
  get present(): boolean {
    return this._streamed || this._buffer !== null;
  }

  /** The one answer to "can this body be sent again": a buffered body always; a streamed one
   * once it has ended and while it was small enough to keep. */
  canReplay(): boolean {
    return !this._streamed || (this._ended && this._copy !== null);
  }

  startStreaming(): void {
    this._streamed = true;
  }

  /** Buffered mode: keeps a chunk until end(). */
  append(chunk: Buffer): void {
    this._written = true;
    this._chunks.push(chunk);
    this._length += chunk.length;
  }

  /** Buffered mode: end() was called. */
  seal(): void {
    this._buffer = this._written ? Buffer.concat(this._chunks, this._length) : null;
    this._chunks = [];
  }

  /** A redirect turned the method into GET: no body from here on. */
  drop(): void {
    this._buffer = null;
    this._streamed = false;
  }

  /** Streamed mode: a chunk from write(). */
  write(sink: UploadSink, chunk: Buffer, callback: WriteCallback): void {
    this._written = true;
    const target = sink.uploadTarget;
    if (target !== 'hop') {
      if (target === 'wait') this._waiting.push({ chunk, callback });
      else callback();
      return;
    }
    if (this._copy !== null) {
      this._copyBytes += chunk.length;
      if (this._copyBytes > STREAM_REPLAY_LIMIT) this._copy = null;
      else this._copy.push(chunk);
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    sink.writeUpload(chunk);
    this._sent += chunk.length;
    // With the new chunk, this much waits for libcurl to take it.
    if (this._sent - this._consumed <= UPLOAD_WINDOW) callback();
    else this._held.push({ end: this._sent, callback });
  }

  /** Streamed mode: end() was called. */
  end(sink: UploadSink): void {
    this._ended = true;
    if (sink.uploadTarget === 'hop') sink.endUpload();
  }

  /** A new hop can take bytes: what waited goes first. */
  flushWaiting(sink: UploadSink): void {
    for (const waiting of this._waiting.splice(0)) this.write(sink, waiting.chunk, waiting.callback);
  }

  /** A repeated hop of a streamed body: sends what was kept. */
  replay(sink: UploadSink): void {
    for (const chunk of this._copy ?? []) sink.writeUpload(chunk);
    if (this._ended) sink.endUpload();
  }

  /** The curl thread took this many more upload bytes. */
  consumed(bytes: number): void {
    this._consumed += bytes;
    while (this._held.length > 0 && this._held[0].end - this._consumed <= UPLOAD_WINDOW) {
      this._held.shift()!.callback();
    }
  }

  /** The request is over: nobody waits on a write() callback any more. */
  releaseWriters(): void {
    for (const held of this._held.splice(0)) held.callback();
    for (const waiting of this._waiting.splice(0)) waiting.callback();
  }
}
