// Public entry point: the same names Electron exposes, for plain Node.js.
import { ClientRequest } from './client-request';
import { NetError } from './errors';
import { IncomingMessage } from './incoming-message';
import { fetch, isOnline, net, request, resolveHost } from './net';
import { native } from './native';
import { Protocol, type ProtocolHandler } from './protocol/protocol';
import { fromPartition, fromPath, getDefaultSession, Session } from './session';
import { Cookies } from './cookies/cookies';
import { getUserDataPath, setUserDataPath } from './cookies/storage-path';
import { commandLine, configure } from './switches/command-line';
import type { StartLoggingOptions } from './observability/net-log';

/** Electron's `protocol` module: the default session's protocol handlers. */
export const protocol = {
  handle(scheme: string, handler: ProtocolHandler): void {
    getDefaultSession().protocol.handle(scheme, handler);
  },
  unhandle(scheme: string): void {
    getDefaultSession().protocol.unhandle(scheme);
  },
  isProtocolHandled(scheme: string): boolean {
    return getDefaultSession().protocol.isProtocolHandled(scheme);
  },
};

export const session = {
  get defaultSession(): Session {
    return getDefaultSession();
  },
  fromPartition,
  fromPath,
  /** curl-net extension: where persist: partitions live (Electron: app's userData). */
  setUserDataPath,
  getUserDataPath,
};

/** Versions of libcurl and the libraries it was built with (what this process loaded). */
export function versions(): ReturnType<ReturnType<typeof native>['versions']> {
  return native().versions();
}

export { net, request, fetch, isOnline, resolveHost, ClientRequest, IncomingMessage, NetError, Session, Cookies };
// Chromium's networking switches, process-wide (docs/api.md "Command-line switches").
export { commandLine, configure };
import './observability/net-log-switch';

/** Electron's `netLog` module: the default session's NetLog. */
export const netLog = {
  get currentlyLogging(): boolean {
    return getDefaultSession().netLog.currentlyLogging;
  },
  startLogging(path: string, options?: StartLoggingOptions): Promise<void> {
    return getDefaultSession().netLog.startLogging(path, options);
  },
  stopLogging(): Promise<void> {
    return getDefaultSession().netLog.stopLogging();
  },
};
export type { StartLoggingOptions, CaptureMode, NetLog } from './observability/net-log';
/** node:diagnostics_channel channel names (docs/api.md "Observability"). */
export { CHANNELS as diagnosticsChannels } from './observability/diagnostics-channels';
export type { ConfigureOptions } from './switches/command-line';
export type { ClientRequestConstructorOptions } from './request-options';
export type { UploadProgressInfo } from './client-request';
export type { AuthInfo } from './stages/authentication';
export { WebRequest } from './web-request/web-request';
export type {
  WebRequestFilter,
  UploadData,
  CallbackResponse,
  BeforeSendResponse,
  HeadersReceivedResponse,
  OnBeforeRequestListenerDetails,
  OnBeforeSendHeadersListenerDetails,
  OnSendHeadersListenerDetails,
  OnHeadersReceivedListenerDetails,
  OnResponseStartedListenerDetails,
  OnBeforeRedirectListenerDetails,
  OnCompletedListenerDetails,
  OnErrorOccurredListenerDetails,
} from './web-request/web-request';
export type { ResolveHostOptions, ResolvedHost, ResolvedEndpoint } from './net';
export type { FetchInit } from './fetch';
export { Protocol };
export type { ProtocolHandler };
export type { ProxyConfig, ProxyMode } from './proxy';
export type { ClientRequestEvents } from './client-request';
export type { IncomingMessageEvents } from './incoming-message';
export type { NetworkEmulationOptions } from './session-controls/network-emulation';
export type { PreconnectOptions } from './session-controls/preconnect';
export type {
  SharedDictionaryInfo,
  SharedDictionaryUsageInfo,
  SharedDictionaryIsolationKey as SharedDictionaryInfoOptions,
  SharedDictionaryIsolationKey as ClearSharedDictionaryCacheForIsolationKeyOptions,
} from './session-controls/shared-dictionaries';
export type { UploadProgressInfo as UploadProgress } from './client-request';
export type { ElectronCookie as Cookie, CookiesGetFilter, CookiesSetDetails } from './cookies/cookies';
export type { Certificate, CertificatePrincipal } from './certificate';
export type { CertificateVerifyProc, CertificateVerifyRequest } from './certificate-verifier';
export type { SSLConfig, SSLVersion } from './ssl-config';
export type { ClientCertificate, ClientCertificateRule } from './client-certificates';
export type { ClientCertificateRequestInfo } from './stages/client-certificate';
