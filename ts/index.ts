// Public entry point: the same names Electron exposes, for plain Node.js.
import { ClientRequest } from './client-request';
import { NetError } from './errors';
import { IncomingMessage } from './incoming-message';
import { fetch, isOnline, net, request, resolveHost } from './net';
import { native } from './native';
import { fromPartition, getDefaultSession, Session } from './session';
import { commandLine, configure } from './switches/command-line';
import type { StartLoggingOptions } from './observability/net-log';

export const session = {
  get defaultSession(): Session {
    return getDefaultSession();
  },
  fromPartition,
};

/** Versions of libcurl and the libraries it was built with (what this process loaded). */
export function versions(): ReturnType<ReturnType<typeof native>['versions']> {
  return native().versions();
}

export { net, request, fetch, isOnline, resolveHost, ClientRequest, IncomingMessage, NetError, Session };
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
