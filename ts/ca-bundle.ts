// Which certificate authorities libcurl trusts. Chosen at run time, never at build time: the
// system bundle (what Chromium on Linux effectively uses), plus NODE_EXTRA_CA_CERTS as Node
// honours it. libcurl is always given one file (CAINFO), which keeps its cached X509 store
// usable across connections.
//
// SSL_CERT_FILE (OpenSSL's variable) is ignored, as Node and Chromium ignore it: honouring it
// let anything that can set one environment variable replace the whole trust store silently.
// Adding a CA goes through NODE_EXTRA_CA_CERTS, which only adds (docs/api.md).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL, CentOS
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/ssl/cert.pem', // Alpine, macOS, OpenBSD
  '/usr/local/share/certs/ca-root-nss.crt', // FreeBSD
];

let cached: string | undefined;

let privateDir: string | undefined;
let bundleCount = 0;

/** Writes a combined bundle where only this process can have put it: a fresh directory of
 * its own (mode 0700), removed at exit. A predictable shared path would let another local
 * user plant a CA first. */
function writeBundle(contents: string): string {
  if (privateDir === undefined) {
    privateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-ca-'));
    const dir = privateDir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(privateDir, `bundle-${++bundleCount}.pem`);
  fs.writeFileSync(file, contents, { mode: 0o600, flag: 'wx' });
  return file;
}

/** Path of the PEM bundle every hop verifies servers against. */
export function caBundlePath(): string {
  if (cached !== undefined) return cached;
  const system = SYSTEM_BUNDLES.find((p) => fs.existsSync(p));
  const extraPath = process.env.NODE_EXTRA_CA_CERTS;
  let extra = '';
  if (extraPath) {
    try {
      extra = fs.readFileSync(extraPath, 'utf8');
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we (silently).
    }
  }
  if (system && !extra) {
    cached = system;
  } else {
    const base = system ? fs.readFileSync(system, 'utf8') : tls.rootCertificates.join('\n');
    cached = writeBundle(`${base}\n${extra}\n`);
  }
  return cached;
}

/** Forget the cached choice (tests change NODE_EXTRA_CA_CERTS at run time). */
export function resetCaBundle(): void {
  cached = undefined;
}
