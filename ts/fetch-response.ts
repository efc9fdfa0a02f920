// The Response net.fetch resolves with. Its body stays in the IncomingMessage until someone
// asks for it: arrayBuffer(), text(), json() and bytes() read the chunks straight from there;
// .body and everything else get a WHATWG stream, made at that moment, and from then on behave
// as undici's Response does (an inner Response over that stream answers). On Node 20 a
// ReadableStream costs 8 µs to make, the Response over it 4 µs more and reading it through
// arrayBuffer() 6.5 µs: most of what a small fetch cost the JS thread beyond net.request.
import type { IncomingMessage } from './incoming-message';

/** Bytes a response body stream holds before the IncomingMessage is paused. */
const RESPONSE_QUEUE_BYTES = 64 * 1024;

/** Where the body's chunks go once somebody reads it. */
interface BodySink {
  chunk(chunk: Buffer): void;
  end(): void;
  fail(reason: unknown): void;
}

/** The response body, read from the IncomingMessage directly, in one of two ways: collected
 * into one buffer, or enqueued into a WHATWG stream as chunks arrive (the IncomingMessage is
 * paused while the stream's queue is full, which stops acknowledgements, so the curl thread
 * stops reading: backpressure down to the socket; cancelling the stream destroys the
 * response). Until then the IncomingMessage holds what arrived, and its own backpressure holds
 * the transfer. */
export class ResponseBody {
  private _sink: BodySink | null = null;
  /** The end is decided: ended, failed or cancelled. Later chunks and events are dropped. */
  private _settled = false;
  /** How the body ended before anybody read it. */
  private _failure: { reason: unknown } | null = null;

  constructor(
    private readonly _response: IncomingMessage,
    /** Called once the body is over, however it ended. */
    private readonly _onSettled: () => void,
  ) {
    _response.once('error', (error) => this._fail(error));
    // Destroyed without an error (the request was aborted): the body ends in an AbortError,
    // as with Readable.toWeb().
    _response.once('close', () => {
      if (!this._settled) this._fail(new DOMException('The operation was aborted.', 'AbortError'));
    });
  }

  /** Every byte of the body, in one buffer of its own. */
  collect(): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      this._read({
        chunk(chunk) {
          chunks.push(chunk);
          length += chunk.length;
        },
        end() {
          const bytes = new Uint8Array(length);
          let offset = 0;
          for (const chunk of chunks) {
            bytes.set(chunk, offset);
            offset += chunk.length;
          }
          resolve(bytes);
        },
        fail: reject,
      });
    });
  }

  /** The body as a WHATWG stream. */
  stream(): ReadableStream<Uint8Array> {
    const response = this._response;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this._read({
            chunk(chunk) {
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 1) <= 0) response.pause();
            },
            end: () => controller.close(),
            fail: (reason) => controller.error(reason),
          });
        },
        pull: () => {
          if (response.isPaused()) response.resume();
        },
        cancel: (reason) => {
          this._settle();
          response.destroy(reason instanceof Error ? reason : undefined);
        },
      },
      { highWaterMark: RESPONSE_QUEUE_BYTES, size: (chunk) => chunk.byteLength },
    );
  }

  /** The fetch's signal was aborted: the body ends with the signal's reason, as fetch
   * specifies, and the transfer stops. A body that has all arrived is kept, read or not, as
   * in Electron, where the abort reaches a request that is already over. */
  abort(reason: unknown): void {
    if (this._response.bodyComplete) return;
    this._fail(reason);
    this._response.destroy();
  }

  private _read(sink: BodySink): void {
    this._sink = sink;
    if (this._failure !== null) {
      sink.fail(this._failure.reason);
      return;
    }
    if (this._settled) return; // cancelled
    const response = this._response;
    response.on('data', (chunk: Buffer) => {
      if (!this._settled) sink.chunk(chunk);
    });
    response.once('end', () => {
      if (this._settle()) sink.end();
    });
  }

  private _fail(reason: unknown): void {
    if (!this._settle()) return;
    if (this._sink !== null) this._sink.fail(reason);
    else this._failure = { reason };
  }

  /** True the first time: the body's end is decided. */
  private _settle(): boolean {
    if (this._settled) return false;
    this._settled = true;
    this._onSettled();
    return true;
  }
}

/** The response's status line and headers ([name, value, name, value, ...], as received). */
export interface FetchResponseHead {
  status: number;
  statusText: string;
  rawHeaders: string[];
}

type FetchResponseClass = new (body: ResponseBody | null, head: FetchResponseHead, url: string, redirected: boolean) => Response;

let fetchResponseClass: FetchResponseClass | null = null;

/** A Headers filled from rawHeaders, repeated names appended in order. */
function headersFrom(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) headers.append(rawHeaders[i], rawHeaders[i + 1]);
  return headers;
}

/** fetch()'s Response class, defined at the first net.fetch. Touching the global Response loads
 * Node's bundled undici, and a process that has loaded it pays for it on every download: with
 * 64 downloads of 16 MiB in flight, net.request ran 80 full GCs instead of 3 and the JS thread
 * spent 2.5x the CPU per GiB (event-loop delay p99 6 -> 15 ms; the same with an older curl-net
 * whose only change is reading globalThis.Response first). net.request users never load it. */
export function fetchResponseClassNow(): FetchResponseClass {
  if (fetchResponseClass !== null) return fetchResponseClass;
  // The DOM typings declare Response's members as properties, hence the untyped base.
  type ResponseLike = {
    get body(): ReadableStream<Uint8Array> | null;
    get bodyUsed(): boolean;
    get headers(): Headers;
    readonly status: number;
    readonly statusText: string;
    arrayBuffer(): Promise<ArrayBuffer>;
    blob(): Promise<Blob>;
    bytes(): Promise<Uint8Array>;
    formData(): Promise<FormData>;
    json(): Promise<unknown>;
    text(): Promise<string>;
    clone(): Response;
  };
  const ResponseBase = Response as unknown as new (body: ReadableStream<Uint8Array> | null, init: ResponseInit) => ResponseLike;
  const utf8 = new TextDecoder();

  /* A constructed Response has url '' and redirected false, read-only getters; this subclass
   * answers with what the fetch saw (the fragment is never part of url). Getters on a
   * subclass, not properties defined on each instance: defining them turned every Response
   * into a slow dictionary object and cost more than the rest of a small fetch.
   * The base Response is made with a null body; the body is this class's own (see the top of
   * this file). A null-body response (HEAD, 204, ...) is the base's throughout. */
  class FetchResponseImpl extends ResponseBase {
    readonly #url: string;
    readonly #redirected: boolean;
    readonly #body: ResponseBody | null;
    /** Read by the fast path: the bytes went to whoever asked. */
    #collected = false;
    /** Made once the body is wanted as a stream (or read twice): the Response that answers
     * for the body from then on. */
    #inner: ResponseLike | null = null;
    /** The headers as received; a Headers object (2-4 µs to fill) is made at the first
     * .headers. A null-body response's are the base's. */
    readonly #rawHeaders: readonly string[];
    #headers: Headers | null = null;

    constructor(body: ResponseBody | null, head: FetchResponseHead, url: string, redirected: boolean) {
      // What the base does with its headers itself (clone, blob's type) it does only for a
      // null body: this class answers for any other body through the inner Response.
      super(null, { status: head.status, statusText: head.statusText, headers: body === null ? headersFrom(head.rawHeaders) : undefined });
      const hash = url.indexOf('#');
      this.#url = hash === -1 ? url : url.slice(0, hash);
      this.#redirected = redirected;
      this.#body = body;
      this.#rawHeaders = head.rawHeaders;
    }

    override get headers(): Headers {
      if (this.#body === null) return super.headers;
      return (this.#headers ??= headersFrom(this.#rawHeaders));
    }

    get url(): string {
      return this.#url;
    }

    get redirected(): boolean {
      return this.#redirected;
    }

    override get body(): ReadableStream<Uint8Array> | null {
      return this.#body === null ? super.body : this.#innerNow().body;
    }

    override get bodyUsed(): boolean {
      if (this.#inner !== null) return this.#inner.bodyUsed;
      return this.#body === null ? super.bodyUsed : this.#collected;
    }

    override arrayBuffer(): Promise<ArrayBuffer> {
      if (this.#body === null) return super.arrayBuffer();
      const bytes = this.#collect();
      return bytes === null ? this.#innerNow().arrayBuffer() : bytes.then((b) => b.buffer as ArrayBuffer);
    }

    override bytes(): Promise<Uint8Array> {
      if (this.#body === null) return super.bytes();
      return this.#collect() ?? this.#innerNow().bytes();
    }

    override text(): Promise<string> {
      if (this.#body === null) return super.text();
      const bytes = this.#collect();
      return bytes === null ? this.#innerNow().text() : bytes.then((b) => utf8.decode(b));
    }

    override json(): Promise<unknown> {
      if (this.#body === null) return super.json();
      const bytes = this.#collect();
      return bytes === null ? this.#innerNow().json() : bytes.then((b) => JSON.parse(utf8.decode(b)));
    }

    override blob(): Promise<Blob> {
      return this.#body === null ? super.blob() : this.#innerNow().blob();
    }

    override formData(): Promise<FormData> {
      return this.#body === null ? super.formData() : this.#innerNow().formData();
    }

    /** A clone keeps url and redirected too (fetch's clone() copies the URL list). */
    override clone(): Response {
      const copy = this.#body === null ? super.clone() : this.#innerNow().clone();
      Object.defineProperties(copy, {
        url: { value: this.#url, enumerable: false, configurable: true },
        redirected: { value: this.#redirected, enumerable: false, configurable: true },
      });
      return copy;
    }

    /** The body's bytes straight from the IncomingMessage, or null once the body is not this
     * class's to read that way (already a stream, already read). */
    #collect(): Promise<Uint8Array> | null {
      if (this.#inner !== null || this.#collected) return null;
      this.#collected = true;
      return this.#body!.collect();
    }

    #innerNow(): ResponseLike {
      if (this.#inner !== null) return this.#inner;
      const init = { status: this.status, statusText: this.statusText, headers: this.headers };
      if (!this.#collected) {
        this.#inner = new ResponseBase(this.#body!.stream(), init);
      } else {
        // Already read: a Response whose body is used, so that everything now fails or
        // answers exactly as undici's does for a read body.
        const inner = new ResponseBase(new ReadableStream({ start: (controller) => controller.close() }), init);
        inner.arrayBuffer().catch(() => {});
        this.#inner = inner;
      }
      return this.#inner;
    }
  }
  fetchResponseClass = FetchResponseImpl as unknown as FetchResponseClass;
  return fetchResponseClass;
}
