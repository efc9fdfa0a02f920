// ClientRequest: Electron's Writable request object — its options, headers, body writes and
// events. What happens on the wire is not decided here: the request body (ts/request-body.ts)
// owns buffering, the upload window and the replay copy; the hop driver (ts/hop-driver.ts) runs
// each hop through the session's stages (ts/stages/) and is the only caller of the native
// contract.
import type { EventMethod } from './typed-events';
import { Writable } from 'node:stream';
import { HeaderValue, StoredHeader, validateHeader } from './headers';
import { HopDriver, HopOwner } from './hop-driver';
import type { IncomingMessage } from './incoming-message';
import { ClientRequestConstructorOptions, parseRequestOptions } from './request-options';
import { RequestBody } from './request-body';
import { fromPartition, getDefaultSession, isSession } from './session';
import type { AuthInfo, LoginCallback } from './stages/authentication';

export interface UploadProgressInfo {
  active: boolean;
  started: boolean;
  current: number;
  total: number;
}

type RedirectListener = (statusCode: number, method: string, redirectUrl: string, responseHeaders: Record<string, string[]>) => void;
type LoginListener = (authInfo: AuthInfo, callback: LoginCallback) => void;

/** ClientRequest's events and their listeners, as Electron's typings declare them (plus
 * 'upload-progress' and 'drain'). */
export interface ClientRequestEvents {
  response: (response: IncomingMessage) => void;
  login: LoginListener;
  redirect: RedirectListener;
  'upload-progress': (position: number, total: number) => void;
  abort: () => void;
  finish: () => void;
  close: () => void;
  drain: () => void;
  error: (error: Error) => void;
}

/** Typed events on every listener method, and write/end/getHeader as Electron types them. */
export interface ClientRequest {
  on: EventMethod<ClientRequestEvents, this>;
  once: EventMethod<ClientRequestEvents, this>;
  off: EventMethod<ClientRequestEvents, this>;
  addListener: EventMethod<ClientRequestEvents, this>;
  removeListener: EventMethod<ClientRequestEvents, this>;
  prependListener: EventMethod<ClientRequestEvents, this>;
  prependOnceListener: EventMethod<ClientRequestEvents, this>;
  write(chunk: string | Buffer | Uint8Array, callback?: (error: Error | null | undefined) => void): boolean;
  write(chunk: string | Buffer | Uint8Array, encoding?: string, callback?: (error: Error | null | undefined) => void): boolean;
  end(callback?: () => void): this;
  end(chunk: string | Buffer | Uint8Array, callback?: () => void): this;
  end(chunk?: string | Buffer | Uint8Array, encoding?: string, callback?: () => void): this;
}

export class ClientRequest extends Writable implements HopOwner {
  private readonly _headers: Map<string, StoredHeader>;
  private readonly _body = new RequestBody();
  private readonly _driver: HopDriver;
  private _started = false;
  private _aborted = false;
  private _failed = false;
  private _chunkedEncoding: boolean | undefined;
  private _uploadProgress: UploadProgressInfo | null = null;

  constructor(options: ClientRequestConstructorOptions | string, callback?: (response: IncomingMessage) => void) {
    super({ autoDestroy: true });
    const parsed = parseRequestOptions(options, isSession);
    const session = parsed.session ?? (parsed.partition ? fromPartition(parsed.partition) : getDefaultSession());
    this._headers = parsed.headers;
    this._driver = new HopDriver(this, parsed, session, this._body, session._stages);
    if (callback) this.once('response', callback);
  }

  // ---- Electron's public surface --------------------------------------------------------------

  get chunkedEncoding(): boolean {
    return this._chunkedEncoding ?? false;
  }

  set chunkedEncoding(value: boolean) {
    if (this._started || this._body.written) {
      throw new Error('chunkedEncoding can only be set before the request is started');
    }
    if (this._chunkedEncoding !== undefined) {
      throw new Error('chunkedEncoding can only be set once');
    }
    this._chunkedEncoding = Boolean(value);
  }

  setHeader(name: string, value: HeaderValue): void {
    if (this._body.written || this._started) {
      throw new Error("Can't set headers after they are sent");
    }
    const wire = validateHeader(name, value);
    const key = name.toLowerCase();
    const existing = this._headers.get(key);
    if (existing) {
      existing.name = name;
      existing.value = value;
      existing.wire = wire;
    } else {
      this._headers.set(key, { name, value, wire });
    }
  }

  /** The value as set: a string, a number or a string[] (undefined when absent). Electron
   * types it `string` and returns what was set too; `any` lets code written against either
   * compile. */
  getHeader(name: string): any {
    if (name == null) throw new Error('`name` is required for getHeader(name)');
    return this._headers.get(String(name).toLowerCase())?.value;
  }

  removeHeader(name: string): void {
    if (name == null) throw new Error('`name` is required for removeHeader(name)');
    if (this._body.written || this._started) {
      throw new Error("Can't remove headers after they are sent");
    }
    this._headers.delete(String(name).toLowerCase());
  }

  followRedirect(): void {
    const follow = this._driver.pendingRedirect;
    if (follow === null) {
      throw new Error('followRedirect() called, but was not waiting for a redirect');
    }
    follow();
  }

  abort(): void {
    if (!this._aborted) process.nextTick(() => this.emit('abort'));
    this._aborted = true;
    this.fail();
  }

  getUploadProgress(): UploadProgressInfo {
    return this._uploadProgress ? { ...this._uploadProgress } : { active: false, started: false, current: 0, total: 0 };
  }

  // ---- Writable -----------------------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this._chunkedEncoding) {
      this._body.append(chunk);
      callback();
      return;
    }
    this._startStreaming();
    this._body.write(this._driver, chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this._chunkedEncoding) {
      this._startStreaming();
      this._body.end(this._driver);
    } else {
      this._body.seal();
      this._start();
    }
    callback();
  }

  private _startStreaming(): void {
    if (this._started) return;
    this._body.startStreaming();
    this._start();
  }

  private _start(): void {
    this._started = true;
    this._driver.start();
  }

  // ---- HopOwner -----------------------------------------------------------------------------

  /** @internal */
  get over(): boolean {
    // Not `destroyed`: a buffered request's Writable is destroyed at 'finish', long before
    // its hops are over.
    return this._aborted || this._failed;
  }

  /** @internal */
  uploadProgress(position: number, total: number): void {
    this._uploadProgress = { active: true, started: true, current: position, total };
    this.emit('upload-progress', position, total);
  }

  /** @internal The request is over: aborted (no error) or failed. */
  fail(error?: Error): void {
    // After 'finish' the Writable is already destroyed (autoDestroy), so a late error is
    // emitted by hand, as Electron does.
    if (this.destroyed && error) this.emit('error', error);
    if (error) this._failed = true;
    this.destroy(error);
    this._driver.stop(error);
    this._body.releaseWriters();
  }
}
