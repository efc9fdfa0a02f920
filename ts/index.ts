// Public entry point: the same names Electron exposes, for plain Node.js.
import { ClientRequest } from './client-request';
import { NetError } from './errors';
import { IncomingMessage } from './incoming-message';
import { fetch, isOnline, net, request, resolveHost } from './net';
import { native } from './native';
import { fromPartition, fromPath, getDefaultSession, Session } from './session';
import { Cookies } from './cookies/cookies';
import { getUserDataPath, setUserDataPath } from './cookies/storage-path';

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
export type { ClientRequestConstructorOptions } from './request-options';
export type { UploadProgressInfo } from './client-request';
export type { AuthInfo } from './stages/authentication';
export type { ElectronCookie as Cookie, CookiesGetFilter, CookiesSetDetails } from './cookies/cookies';
