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

/** Streamed mode's state, made when streaming starts: most requests never stream, and an open
 * request keeps its body object for as long as it lives. */
class StreamState {
  /** What was sent so far, for a repeated hop; null once it outgrew STREAM_REPLAY_LIMIT. */
  copy: Buffer[] | null = [];
  copyBytes = 0;
  ended = false;
  sent = 0;
  consumed = 0;
  held: Array<{ end: number; callback: WriteCallback }> = [];
  /** Writes that arrived while no hop could take them (the proxy was being planned). */
  waiting: Array<{ chunk: Buffer; callback: WriteCallback }> = [];
}

export class RequestBody {
  /** Streamed (chunked) rather than buffered until end(). */
  private _streamed = false;
  private _written = false;

  // Buffered mode: collected until end().
  private _chunks: Buffer[] | null = null;
  private _length = 0;
  private _buffer: Buffer | null = null;

  private _stream: StreamState | null = null;

  get streamed(): boolean {
    return this._streamed;
  }

  /** Anything was written (setHeader and chunkedEncoding are then locked, as in Electron). */
  get written(): boolean {
    return this._written;
  }

  /** The whole streamed body has been handed over (end() was called). */
  get ended(): boolean {
    return this._stream !== null && this._stream.ended;
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
    const stream = this._stream;
    return !this._streamed || (stream !== null && stream.ended && stream.copy !== null);
  }

  startStreaming(): void {
    this._streamed = true;
    this._stream ??= new StreamState();
  }

  /** Buffered mode: keeps a chunk until end(). */
  append(chunk: Buffer): void {
    this._written = true;
    (this._chunks ??= []).push(chunk);
    this._length += chunk.length;
  }

  /** Buffered mode: end() was called. */
  seal(): void {
    this._buffer = this._chunks !== null ? Buffer.concat(this._chunks, this._length) : null;
    this._chunks = null;
  }

  /** A redirect turned the method into GET: no body from here on. */
  drop(): void {
    this._buffer = null;
    this._streamed = false;
  }

  /** Streamed mode: a chunk from write(). */
  write(sink: UploadSink, chunk: Buffer, callback: WriteCallback): void {
    this._written = true;
    const stream = (this._stream ??= new StreamState());
    const target = sink.uploadTarget;
    if (target !== 'hop') {
      if (target === 'wait') stream.waiting.push({ chunk, callback });
      else callback();
      return;
    }
    if (stream.copy !== null) {
      stream.copyBytes += chunk.length;
      if (stream.copyBytes > STREAM_REPLAY_LIMIT) stream.copy = null;
      else stream.copy.push(chunk);
    }
    if (chunk.length === 0) {
      callback();
      return;
    }
    sink.writeUpload(chunk);
    stream.sent += chunk.length;
    // With the new chunk, this much waits for libcurl to take it.
    if (stream.sent - stream.consumed <= UPLOAD_WINDOW) callback();
    else stream.held.push({ end: stream.sent, callback });
  }

  /** Streamed mode: end() was called. */
  end(sink: UploadSink): void {
    (this._stream ??= new StreamState()).ended = true;
    if (sink.uploadTarget === 'hop') sink.endUpload();
  }

  /** A new hop can take bytes: what waited goes first. */
  flushWaiting(sink: UploadSink): void {
    if (this._stream === null) return;
    for (const waiting of this._stream.waiting.splice(0)) this.write(sink, waiting.chunk, waiting.callback);
  }

  /** A repeated hop of a streamed body: sends what was kept. */
  replay(sink: UploadSink): void {
    const stream = this._stream;
    if (stream === null) return;
    for (const chunk of stream.copy ?? []) sink.writeUpload(chunk);
    if (stream.ended) sink.endUpload();
  }

  /** The curl thread took this many more upload bytes. */
  consumed(bytes: number): void {
    const stream = this._stream;
    if (stream === null) return;
    stream.consumed += bytes;
    while (stream.held.length > 0 && stream.held[0].end - stream.consumed <= UPLOAD_WINDOW) {
      stream.held.shift()!.callback();
    }
  }

  /** The request is over: nobody waits on a write() callback any more. */
  releaseWriters(): void {
    const stream = this._stream;
    if (stream === null) return;
    for (const held of stream.held.splice(0)) held.callback();
    for (const waiting of stream.waiting.splice(0)) waiting.callback();
  }
}
