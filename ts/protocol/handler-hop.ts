// A hop a protocol handler answers: the request goes to the handler as a WHATWG Request (the
// URL, method, the header lines every stage wrote, the body), and its Response comes back as
// the hop's head, body and outcome. The body is read only as fast as the application reads
// the response (the same window libcurl hops have), so a handler's stream sees backpressure.
// Failures are Electron's: a handler that throws or answers with something that is not a
// Response is net::ERR_UNEXPECTED, Response.error() is net::ERR_FAILED, a body stream that
// errors is net::ERR_FAILED.
import { NetError, netError } from '../errors';
import type { HopHead, HopListener } from '../native';
import { MIN_RESPONSE_WINDOW } from '../native-contract';
import type { HopControl, HopDraft, LocalHop } from '../stages/stage';
import { localOutcome } from '../local-outcome';

export type Answer = (request: Request) => Promise<unknown>;

export class HandlerHop implements LocalHop {
  private _stopped = false;
  private _reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Bytes delivered and not yet acknowledged by the response's reader. */
  private _outstanding = 0;
  private _wake: (() => void) | null = null;
  private _upload: ReadableStreamDefaultController<Uint8Array> | null = null;
  private _uploadStream: ReadableStream<Uint8Array> | null = null;

  constructor(
    private readonly _control: HopControl,
    private readonly _draft: HopDraft,
    private readonly _answer: Answer,
  ) {}

  start(listener: HopListener): void {
    const state = this._control.state;
    if (state.body.streamed && state.method !== 'GET' && state.method !== 'HEAD') {
      this._uploadStream = new ReadableStream<Uint8Array>({ start: (controller) => void (this._upload = controller) });
    }
    void this._run(listener);
  }

  write(chunk: Buffer): void {
    this._upload?.enqueue(new Uint8Array(chunk));
  }

  end(): void {
    this._upload?.close();
    this._upload = null;
  }

  acknowledge(bytes: number): void {
    this._outstanding -= bytes;
    if (this._outstanding < MIN_RESPONSE_WINDOW) this._resume();
  }

  abort(): void {
    if (this._stopped) return;
    this._stopped = true;
    this._reader?.cancel().catch(() => undefined);
    this._resume();
  }

  private _resume(): void {
    const wake = this._wake;
    this._wake = null;
    wake?.();
  }

  private _fail(error: Error): void {
    if (this._stopped) return;
    this._stopped = true;
    this._control.fail(error);
  }

  private async _run(listener: HopListener): Promise<void> {
    let answer: unknown;
    try {
      answer = await this._answer(this._request());
    } catch (error) {
      this._fail(error instanceof NetError ? error : netError('ERR_UNEXPECTED', { cause: error }));
      return;
    }
    if (!isResponse(answer)) {
      this._fail(netError('ERR_UNEXPECTED', { cause: new TypeError('The protocol handler did not return a Response') }));
      return;
    }
    if (this._stopped) {
      answer.body?.cancel().catch(() => undefined);
      return;
    }
    if (answer.type === 'error') {
      this._fail(netError('ERR_FAILED'));
      return;
    }
    listener.onHead(headOf(answer));
    const body = answer.body;
    if (body !== null && !this._stopped) {
      const reader = body.getReader();
      this._reader = reader;
      try {
        for (;;) {
          while (this._outstanding >= MIN_RESPONSE_WINDOW && !this._stopped) {
            await new Promise<void>((resolve) => (this._wake = resolve));
          }
          if (this._stopped) return;
          const { done, value } = await reader.read();
          if (done || this._stopped) break;
          if (value.byteLength === 0) continue;
          this._outstanding += value.byteLength;
          listener.onData(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        }
      } catch (error) {
        this._fail(netError('ERR_FAILED', { cause: error }));
        return;
      }
    }
    if (!this._stopped) {
      this._stopped = true;
      listener.onDone(localOutcome(answer.status));
    }
  }

  private _request(): Request {
    const state = this._control.state;
    const headers = new Headers();
    for (const line of this._draft.lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      try {
        headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      } catch {
        // A header the Headers class refuses is not the handler's to see.
      }
    }
    if (headers.get('origin') === 'null') headers.delete('origin');
    const method = state.method;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (method !== 'GET' && method !== 'HEAD') {
      if (this._uploadStream !== null) {
        init.body = this._uploadStream;
        init.duplex = 'half';
      } else if (state.body.buffer !== null) {
        init.body = state.body.buffer;
      }
    }
    return new Request(state.url.href, init);
  }
}

function isResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  const candidate = value as Partial<Response> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.status === 'number' &&
    typeof candidate.headers === 'object' &&
    candidate.headers !== null &&
    'body' in candidate
  );
}

function headOf(response: Response): HopHead {
  const rawHeaders: string[] = [];
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    rawHeaders.push(name, value);
  }
  for (const cookie of response.headers.getSetCookie?.() ?? []) rawHeaders.push('set-cookie', cookie);
  return {
    statusCode: response.status,
    statusMessage: response.statusText ?? '',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    rawHeaders,
    chunked: false,
  };
}
