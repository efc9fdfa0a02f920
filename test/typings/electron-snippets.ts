// Code written against Electron's electron.d.ts (net, session, ClientRequest, IncomingMessage,
// webRequest, protocol), importing curl-net's published typings instead: test/typings.test.ts
// compiles it with tsc. Nothing here runs. The @ts-expect-error lines are mistakes Electron's
// typings reject too; they must stay errors.
import { net, protocol, session } from '../../dist/index';
import type {
  ClientRequest,
  IncomingMessage,
  OnBeforeSendHeadersListenerDetails,
  OnHeadersReceivedListenerDetails,
  ProxyConfig,
  ResolvedHost,
  ResolveHostOptions,
  Session,
  SharedDictionaryInfo,
  SharedDictionaryUsageInfo,
  UploadProgress,
  WebRequestFilter,
} from '../../dist/index';

export function clientRequest(ses: Session): void {
  const request: ClientRequest = net.request({ url: 'http://127.0.0.1:9/', method: 'POST', session: ses });
  const encoding: string = 'utf8';
  request.setHeader('Content-Type', 'text/plain');
  const contentType: string = request.getHeader('Content-Type');
  void contentType;
  request.chunkedEncoding = true;
  request.write('chunk', encoding, () => undefined);
  request.write(Buffer.from('bytes'));
  request.on('response', (response: IncomingMessage) => {
    const status: number = response.statusCode;
    const message: string = response.statusMessage;
    const headers: Record<string, string | string[]> = response.headers;
    const raw: string[] = response.rawHeaders;
    const version: string = response.httpVersion;
    void [status, message, headers, raw, version];
    response.on('data', (chunk: Buffer) => chunk.length);
    response.once('end', () => undefined);
    response.on('aborted', () => undefined);
    response.off('error', (error: Error) => error.message);
    response.addListener('end', () => undefined);
    response.removeListener('data', (chunk: Buffer) => chunk);
  });
  request.on('login', (authInfo, callback) => {
    const realm: string = authInfo.realm;
    const isProxy: boolean = authInfo.isProxy;
    void [realm, isProxy];
    callback('user', 'password');
  });
  request.once('redirect', (statusCode: number, method: string, redirectUrl: string, responseHeaders: Record<string, string[]>) => {
    void [statusCode, method, redirectUrl, responseHeaders];
    request.followRedirect();
  });
  request.on('abort', () => undefined).on('close', () => undefined).on('finish', () => undefined);
  request.off('error', (error: Error) => error);
  request.addListener('error', (error: Error) => error);
  request.removeListener('response', (response: IncomingMessage) => response);
  const progress: UploadProgress = request.getUploadProgress();
  const current: number = progress.current;
  void current;
  request.end('last', encoding, () => undefined);
  request.end();
  request.abort();
  request.removeHeader('Content-Type');
}

export async function sessions(): Promise<void> {
  const ses: Session = session.fromPartition('persist:app', { cache: false });
  const fallback: Session = session.defaultSession;
  void fallback;
  const config: ProxyConfig = { mode: 'fixed_servers', proxyRules: 'http=127.0.0.1:3128', proxyBypassRules: '<local>' };
  await ses.setProxy(config);
  const proxy: string = await ses.resolveProxy('http://127.0.0.1/');
  void proxy;
  ses.setUserAgent('agent/1', 'en-US');
  const agent: string = ses.getUserAgent();
  void agent;
  const options: ResolveHostOptions = { queryType: 'A', source: 'any', cacheUsage: 'allowed', secureDnsPolicy: 'allow' };
  const resolved: ResolvedHost = await ses.resolveHost('localhost', options);
  const address: string = resolved.endpoints[0].address;
  void address;
  const viaNet: ResolvedHost = await net.resolveHost('localhost');
  void viaNet;
  ses.enableNetworkEmulation({ offline: false, latency: 100, downloadThroughput: 1024, uploadThroughput: 512 });
  ses.disableNetworkEmulation();
  await ses.closeAllConnections();
  await ses.clearCache();
  await ses.clearSharedDictionaryCache();
  await ses.clearSharedDictionaryCacheForIsolationKey({ frameOrigin: 'https://a.example', topFrameSite: 'https://example' });
  const dictionaries: SharedDictionaryInfo[] = await ses.getSharedDictionaryInfo({ frameOrigin: 'https://a.example', topFrameSite: 'https://example' });
  const usage: SharedDictionaryUsageInfo[] = await ses.getSharedDictionaryUsageInfo();
  ses.flushStorageData();
  void dictionaries;
  void usage;
  const size: number = await ses.getCacheSize();
  void size;
  await ses.clearAuthCache();
  await ses.forceReloadProxyConfig();
  const persistent: boolean = ses.isPersistent();
  void persistent;
  const response: Response = await ses.fetch('http://127.0.0.1:9/', { method: 'POST', body: 'x', bypassCustomProtocolHandlers: true });
  const url: string = response.url;
  const redirected: boolean = response.redirected;
  void [url, redirected];
  const viaNetFetch: Response = await net.fetch(new Request('http://127.0.0.1:9/'), { bypassCustomProtocolHandlers: false });
  void viaNetFetch;
  const online: boolean = net.online && net.isOnline();
  void online;
}

export function preconnect(ses: Session): void {
  ses.preconnect({ url: 'https://electronjs.org' });
  ses.preconnect({ url: 'https://electronjs.org', numSockets: 6 });
  // @ts-expect-error Electron's options need `url`
  ses.preconnect({ numSockets: 2 });
}

export function webRequest(ses: Session): void {
  const filter: WebRequestFilter = { urls: ['https://*.github.com/*', '*://electron.github.io/*'], types: ['xhr'], excludeUrls: ['<all_urls>'] };
  ses.webRequest.onBeforeSendHeaders(filter, (details: OnBeforeSendHeadersListenerDetails, callback) => {
    details.requestHeaders['User-Agent'] = 'MyAgent';
    callback({ requestHeaders: details.requestHeaders });
  });
  ses.webRequest.onBeforeRequest((details, callback) => {
    const uploaded: number = details.uploadData?.[0]?.bytes.length ?? 0;
    void uploaded;
    callback({ cancel: details.url.includes('ads'), redirectURL: details.resourceType === 'other' ? undefined : 'https://x/' });
  });
  ses.webRequest.onHeadersReceived({ urls: ['<all_urls>'] }, (details: OnHeadersReceivedListenerDetails, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': ["default-src 'none'"] }, statusLine: details.statusLine });
  });
  ses.webRequest.onSendHeaders((details) => details.requestHeaders);
  ses.webRequest.onResponseStarted((details) => details.statusCode === 200 && details.fromCache && details.ip?.startsWith('127.'));
  ses.webRequest.onCompleted((details) => (details.ip ?? '') + details.statusLine);
  ses.webRequest.onBeforeRedirect((details) => details.redirectURL + details.ip);
  ses.webRequest.onCompleted({ urls: [] }, (details) => details.error);
  ses.webRequest.onErrorOccurred((details) => details.error + details.id + details.timestamp + details.method + details.referrer);
  ses.webRequest.onCompleted(null);
  ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, null);
  // @ts-expect-error Electron's filter needs `urls`
  ses.webRequest.onBeforeRequest({ types: ['xhr'] }, () => undefined);
  // @ts-expect-error `cancel` is a boolean
  ses.webRequest.onBeforeSendHeaders((_details, callback) => callback({ cancel: 'yes' }));
  // @ts-expect-error 'other' is not a type a filter may name
  ses.webRequest.onSendHeaders({ urls: [], types: ['other'] }, () => undefined);
}

export function protocols(ses: Session): void {
  protocol.handle('app', (request: Request) => new Response(`hello ${request.url}`));
  ses.protocol.handle('https', (request) => net.fetch(request, { bypassCustomProtocolHandlers: true }));
  const handled: boolean = protocol.isProtocolHandled('app') && ses.protocol.isProtocolHandled('https');
  void handled;
  protocol.unhandle('app');
  // @ts-expect-error a handler answers with a Response
  protocol.handle('bad', () => 42);
}
