// ses.webRequest: Electron's eight hooks, one listener per hook, each with an optional filter
// (URL patterns, excluded URL patterns, resource types). The hooks run in the webRequest
// stages (ts/stages/web-request.ts); this file holds the listeners and Electron's argument
// checks and messages.
import { UrlPattern } from './url-pattern';

export type ResourceType =
  | 'mainFrame'
  | 'subFrame'
  | 'stylesheet'
  | 'script'
  | 'image'
  | 'font'
  | 'object'
  | 'xhr'
  | 'ping'
  | 'cspReport'
  | 'media'
  | 'webSocket';

const RESOURCE_TYPES: ReadonlySet<string> = new Set<ResourceType>([
  'mainFrame',
  'subFrame',
  'stylesheet',
  'script',
  'image',
  'font',
  'object',
  'xhr',
  'ping',
  'cspReport',
  'media',
  'webSocket',
]);

export interface WebRequestFilter {
  urls: string[];
  excludeUrls?: string[];
  types?: ResourceType[];
}

export interface UploadData {
  bytes: Buffer;
  file?: string;
  blobUUID?: string;
}

interface BaseDetails {
  id: number;
  url: string;
  method: string;
  // No web contents or frames outside Electron: never set. `never` keeps listeners typed with
  // Electron's details (WebContents, WebFrameMain) assignable.
  webContentsId?: never;
  webContents?: never;
  frame?: never;
  initiatorOrigin?: string;
  resourceType: ResourceType | 'other';
  referrer: string;
  timestamp: number;
}

export interface OnBeforeRequestListenerDetails extends BaseDetails {
  uploadData: UploadData[];
}
export interface OnBeforeSendHeadersListenerDetails extends BaseDetails {
  uploadData?: UploadData[];
  requestHeaders: Record<string, string>;
}
export interface OnSendHeadersListenerDetails extends BaseDetails {
  requestHeaders: Record<string, string>;
}
export interface OnHeadersReceivedListenerDetails extends BaseDetails {
  statusLine: string;
  statusCode: number;
  responseHeaders?: Record<string, string[]>;
}
export interface OnResponseStartedListenerDetails extends BaseDetails {
  responseHeaders?: Record<string, string[]>;
  /** The server address the request went to (the proxy's when proxied); absent for a response
   * made in this process (protocol handlers). As in Electron's implementation, though its docs
   * list `ip` only for onBeforeRedirect. */
  ip?: string;
  fromCache: boolean;
  statusCode: number;
  statusLine: string;
}
export interface OnBeforeRedirectListenerDetails extends BaseDetails {
  redirectURL: string;
  statusCode: number;
  statusLine: string;
  /** The server address the request went to (the proxy's when proxied). */
  ip?: string;
  fromCache: boolean;
  responseHeaders?: Record<string, string[]>;
}
export interface OnCompletedListenerDetails extends BaseDetails {
  responseHeaders?: Record<string, string[]>;
  /** As onResponseStarted's. */
  ip?: string;
  fromCache: boolean;
  statusCode: number;
  statusLine: string;
  error: string;
}
export interface OnErrorOccurredListenerDetails extends BaseDetails {
  /** As onResponseStarted's, when the error came after a response head. */
  ip?: string;
  fromCache: boolean;
  error: string;
}

export interface CallbackResponse {
  cancel?: boolean;
  redirectURL?: string;
}
export interface BeforeSendResponse {
  cancel?: boolean;
  requestHeaders?: Record<string, string | string[]>;
}
export interface HeadersReceivedResponse {
  cancel?: boolean;
  responseHeaders?: Record<string, string | string[]>;
  statusLine?: string;
}

type Blocking<D, R> = ((details: D, callback: (response: R) => void) => void) | null;
type Simple<D> = ((details: D) => void) | null;

/** The listeners' signatures, by hook. */
export interface WebRequestListeners {
  onBeforeRequest: Blocking<OnBeforeRequestListenerDetails, CallbackResponse>;
  onBeforeSendHeaders: Blocking<OnBeforeSendHeadersListenerDetails, BeforeSendResponse>;
  onHeadersReceived: Blocking<OnHeadersReceivedListenerDetails, HeadersReceivedResponse>;
  onSendHeaders: Simple<OnSendHeadersListenerDetails>;
  onResponseStarted: Simple<OnResponseStartedListenerDetails>;
  onBeforeRedirect: Simple<OnBeforeRedirectListenerDetails>;
  onCompleted: Simple<OnCompletedListenerDetails>;
  onErrorOccurred: Simple<OnErrorOccurredListenerDetails>;
}

export type WebRequestHook = keyof WebRequestListeners;

class RequestFilter {
  constructor(
    private readonly _urls: readonly UrlPattern[],
    private readonly _excluded: readonly UrlPattern[],
    private readonly _types: ReadonlySet<string>,
  ) {}

  matches(url: URL, type: string): boolean {
    if (this._types.size > 0 && !this._types.has(type)) return false;
    if (this._urls.length > 0 && !this._urls.some((pattern) => pattern.matches(url))) return false;
    return !this._excluded.some((pattern) => pattern.matches(url));
  }
}

const MATCH_ALL = new RequestFilter([], [], new Set());

interface Registered {
  filter: RequestFilter;
  listener: (...args: any[]) => void;
}

export class WebRequest {
  /** @internal */
  private readonly _listeners = new Map<WebRequestHook, Registered>();

  /** @internal Nobody listens to anything: the stages skip all work. */
  get _idle(): boolean {
    return this._listeners.size === 0;
  }

  /** @internal The listener for `hook` that wants a request to `url`, if any. */
  _listenerFor<H extends WebRequestHook>(hook: H, url: URL, type: string): NonNullable<WebRequestListeners[H]> | undefined {
    const registered = this._listeners.get(hook);
    if (registered === undefined || !registered.filter.matches(url, type)) return undefined;
    return registered.listener as NonNullable<WebRequestListeners[H]>;
  }

  onBeforeRequest(filter: WebRequestFilter, listener: WebRequestListeners['onBeforeRequest']): void;
  onBeforeRequest(listener: WebRequestListeners['onBeforeRequest']): void;
  onBeforeRequest(...args: unknown[]): void {
    this._set('onBeforeRequest', args);
  }

  onBeforeSendHeaders(filter: WebRequestFilter, listener: WebRequestListeners['onBeforeSendHeaders']): void;
  onBeforeSendHeaders(listener: WebRequestListeners['onBeforeSendHeaders']): void;
  onBeforeSendHeaders(...args: unknown[]): void {
    this._set('onBeforeSendHeaders', args);
  }

  onSendHeaders(filter: WebRequestFilter, listener: WebRequestListeners['onSendHeaders']): void;
  onSendHeaders(listener: WebRequestListeners['onSendHeaders']): void;
  onSendHeaders(...args: unknown[]): void {
    this._set('onSendHeaders', args);
  }

  onHeadersReceived(filter: WebRequestFilter, listener: WebRequestListeners['onHeadersReceived']): void;
  onHeadersReceived(listener: WebRequestListeners['onHeadersReceived']): void;
  onHeadersReceived(...args: unknown[]): void {
    this._set('onHeadersReceived', args);
  }

  onResponseStarted(filter: WebRequestFilter, listener: WebRequestListeners['onResponseStarted']): void;
  onResponseStarted(listener: WebRequestListeners['onResponseStarted']): void;
  onResponseStarted(...args: unknown[]): void {
    this._set('onResponseStarted', args);
  }

  onBeforeRedirect(filter: WebRequestFilter, listener: WebRequestListeners['onBeforeRedirect']): void;
  onBeforeRedirect(listener: WebRequestListeners['onBeforeRedirect']): void;
  onBeforeRedirect(...args: unknown[]): void {
    this._set('onBeforeRedirect', args);
  }

  onCompleted(filter: WebRequestFilter, listener: WebRequestListeners['onCompleted']): void;
  onCompleted(listener: WebRequestListeners['onCompleted']): void;
  onCompleted(...args: unknown[]): void {
    this._set('onCompleted', args);
  }

  onErrorOccurred(filter: WebRequestFilter, listener: WebRequestListeners['onErrorOccurred']): void;
  onErrorOccurred(listener: WebRequestListeners['onErrorOccurred']): void;
  onErrorOccurred(...args: unknown[]): void {
    this._set('onErrorOccurred', args);
  }

  /** Electron's SetListener: an optional filter object, then a function or null, checked in
   * Electron's order with its messages. */
  private _set(hook: WebRequestHook, args: unknown[]): void {
    let index = 0;
    let filter = MATCH_ALL;
    const first = args[0];
    if (args.length > 0 && typeof first !== 'function' && typeof first === 'object' && first !== null) {
      filter = parseFilter(first as Record<string, unknown>);
      index = 1;
    }
    const listener = args[index];
    if (listener === null) {
      this._listeners.delete(hook);
      return;
    }
    if (typeof listener !== 'function') throw new TypeError('Must pass null or a Function');
    this._listeners.set(hook, { filter, listener: listener as Registered['listener'] });
  }
}

function stringList(value: unknown): string[] | null {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return null;
  return value as string[];
}

function parseFilter(filter: Record<string, unknown>): RequestFilter {
  const urls = stringList(filter.urls);
  if (urls === null) throw new TypeError("Parameter 'filter' must have property 'urls'.");
  const patterns = [...new Set(urls)].map((text) => UrlPattern.parse(text));
  const excluded = [...new Set(stringList(filter.excludeUrls) ?? [])].map((text) => UrlPattern.parse(text));
  const types = new Set<string>();
  for (const type of stringList(filter.types) ?? []) {
    if (!RESOURCE_TYPES.has(type)) throw new TypeError(`Invalid type ${type}`);
    types.add(type);
  }
  return new RequestFilter(patterns, excluded, types);
}
