// Everything the curl-net adapters need from the package, in one place. The API is Electron's
// (net.request, net.fetch, session); the few curl-net-specific knobs a fair benchmark needs are
// isolated here so a change in the lead's API is a one-line edit.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadCurlNet() {
  return require('../load-curl-net.cjs');
}

// ---------------------------------------------------------------------------------------------
// ONE LINE TO CHANGE: how the session gets the same number of connections per host as every
// other client (c). curl-net's extension is session.setConnectionLimits({ maxConnectionsPerHost })
// (0 = unlimited, its default); `connectionLimit` in the result's info says whether it was applied.
const connectionLimit = (ses, c) => (typeof ses.setConnectionLimits === 'function' ? (ses.setConnectionLimits({ maxConnectionsPerHost: c }), ses.getConnectionLimits?.() ?? true) : false);
// ---------------------------------------------------------------------------------------------

// curl-net trusts the system bundle plus NODE_EXTRA_CA_CERTS (ts/ca-bundle.ts), like Node; the
// harness exports NODE_EXTRA_CA_CERTS=<throw-away CA> to every client process.
const trustCa = () => process.env.NODE_EXTRA_CA_CERTS ?? false;

// BENCH_VERIFY_PROC=accept: a certificate verify proc that accepts everything, to measure what
// the certificate gate costs a new TLS connection (the proc itself runs once per chain).
const verifyProc = (ses) => {
  if (process.env.BENCH_VERIFY_PROC !== 'accept' || typeof ses.setCertificateVerifyProc !== 'function') return null;
  let calls = 0;
  ses.setCertificateVerifyProc((_request, callback) => {
    calls += 1;
    callback(0);
  });
  return { mode: 'accept', calls: () => calls };
};

export async function setupSession(curlnet, spec) {
  const { session } = curlnet;
  const ses = session.defaultSession;
  const proc = verifyProc(ses);
  const info = { connectionLimit: connectionLimit(ses, spec.c), caFile: spec.ca ? trustCa() : null, proxy: null, verifyProc: proc?.mode ?? null };
  if (proc) Object.defineProperty(info, 'verifyProcCalls', { enumerable: true, get: proc.calls });
  if (spec.variant === 'webrequest') {
    // One listener that changes nothing and answers at once: what the webRequest stages cost.
    ses.webRequest.onBeforeSendHeaders((_details, callback) => callback({}));
    info.webRequest = 'onBeforeSendHeaders';
  }
  if (spec.proxy) {
    const u = new URL(spec.proxy);
    // '<-loopback>': Chromium (and so Electron) never proxies loopback unless told to.
    await ses.setProxy({ proxyRules: `${u.hostname}:${u.port}`, proxyBypassRules: '<-loopback>' });
    info.proxy = `${u.hostname}:${u.port}`;
  } else if (typeof ses.setProxy === 'function') {
    await ses.setProxy({ mode: 'direct' });
  }
  // Opt-in NetLog cell (issue #15): BENCH_NET_LOG=<file> logs every request of the run;
  // closeSession() completes the file.
  if (process.env.BENCH_NET_LOG && ses.netLog) {
    await ses.netLog.startLogging(process.env.BENCH_NET_LOG, { captureMode: 'default' });
    info.netLog = process.env.BENCH_NET_LOG;
  }
  try {
    const v = curlnet.versions ?? curlnet.default?.versions;
    info.versions = typeof v === 'function' ? v() : v ?? null;
  } catch {}
  return { ses, info };
}

/** Completes what setupSession started (the NetLog file of the opt-in cell). */
export async function closeSession(curlnet) {
  if (curlnet.session?.defaultSession?.netLog?.currentlyLogging) await curlnet.session.defaultSession.netLog.stopLogging();
}
