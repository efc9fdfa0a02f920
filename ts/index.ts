// Public entry point: the same names Electron exposes, for plain Node.js.
import { ClientRequest } from './client-request';
import { NetError } from './errors';
import { IncomingMessage } from './incoming-message';
import { fetch, isOnline, net, request, resolveHost } from './net';
import { native } from './native';
import { fromPartition, getDefaultSession, Session } from './session';

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
export type { ClientRequestConstructorOptions } from './request-options';
export type { UploadProgressInfo } from './client-request';
export type { AuthInfo } from './stages/authentication';
export type { Certificate, CertificatePrincipal } from './certificate';
export type { CertificateVerifyProc, CertificateVerifyRequest } from './certificate-verifier';
export type { SSLConfig, SSLVersion } from './ssl-config';
export type { ClientCertificate, ClientCertificateRule } from './client-certificates';
export type { ClientCertificateRequestInfo } from './stages/client-certificate';
