// Certificates for the certificate-error cases test/helpers/certs.ts does not make: a weak
// key, a name-constrained intermediate, a broken signature, a second self-signed identity.
// Issued by the same test CA (openssl CLI, in the TestCerts temp dir).
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resetCaBundle } from '../../ts/ca-bundle';
import { makeTestCerts, type KeyPair, type TestCerts } from './certs';

export interface MoreCerts {
  /** RSA 768 leaf signed by the CA (below every OpenSSL security level's minimum). */
  weakKey: KeyPair;
  /** Leaf for 127.0.0.1, issued by an intermediate permitted only example.com and 10/8. */
  constrained: KeyPair & { chain: string };
  /** The valid leaf with one bit of its signature flipped. */
  badSignature: KeyPair;
  /** Another self-signed certificate for 127.0.0.1 (a different identity). */
  otherSelfSigned: KeyPair;
  /** A client certificate (and key) issued by the CA, and the same as PKCS#12. */
  client: KeyPair & { p12: Buffer; passphrase: string };
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function read(cwd: string, name: string): KeyPair {
  return {
    cert: fs.readFileSync(path.join(cwd, `${name}.pem`), 'utf8'),
    key: fs.readFileSync(path.join(cwd, `${name}.key`), 'utf8'),
  };
}

function sign(cwd: string, name: string, extensions: string, issuer: { cert: string; key: string } = { cert: 'ca.pem', key: 'ca.key' }): void {
  openssl(cwd, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  fs.writeFileSync(path.join(cwd, `${name}.ext.cnf`), `[ ext ]\n${extensions}\n`);
  openssl(cwd, [
    'ca', '-batch', '-config', 'ca.cnf', '-notext', '-days', '2',
    '-cert', issuer.cert, '-keyfile', issuer.key,
    '-in', `${name}.csr`, '-out', `${name}.pem`,
    '-extfile', `${name}.ext.cnf`, '-extensions', 'ext',
  ]);
}

const LEAF = 'basicConstraints = CA:FALSE\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1,DNS:localhost';

export function makeMoreCerts(certs: TestCerts): MoreCerts {
  const dir = certs.dir;
  openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:768', '-out', 'weak.key']);
  sign(dir, 'weak', LEAF);

  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'inter.key']);
  sign(dir, 'inter', 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nnameConstraints = critical, permitted;DNS:example.com, permitted;IP:10.0.0.0/255.0.0.0');
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'constrained.key']);
  sign(dir, 'constrained', LEAF, { cert: 'inter.pem', key: 'inter.key' });
  const constrained = read(dir, 'constrained');

  const valid = new X509Certificate(certs.valid.cert);
  const der = Buffer.from(valid.raw);
  der[der.length - 3] ^= 0x01; // inside the signature's last INTEGER
  const badPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  openssl(dir, ['req', '-x509', '-new', '-key', 'other.key', '-out', 'other.pem', '-days', '2', '-subj', '/CN=other identity', '-addext', 'subjectAltName=IP:127.0.0.1']);

  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'client.key']);
  sign(dir, 'client', 'basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = clientAuth');
  const passphrase = 'p12 secret';
  openssl(dir, ['pkcs12', '-export', '-in', 'client.pem', '-inkey', 'client.key', '-out', 'client.p12', '-passout', `pass:${passphrase}`]);

  return {
    weakKey: read(dir, 'weak'),
    constrained: { ...constrained, chain: constrained.cert + fs.readFileSync(path.join(dir, 'inter.pem'), 'utf8') },
    badSignature: { cert: badPem, key: certs.valid.key },
    otherSelfSigned: read(dir, 'other'),
    client: { ...read(dir, 'client'), p12: fs.readFileSync(path.join(dir, 'client.p12')), passphrase },
  };
}

/** A TLS test file's certificates: made before its tests, trusted through NODE_EXTRA_CA_CERTS
 * (certs.valid is then trusted by libcurl itself; the self-signed ones never are), and removed
 * after them, once every server the file registered in `closers` is closed. */
export interface TrustedTestCertificates {
  readonly certs: TestCerts;
  readonly more: MoreCerts;
  readonly closers: Array<() => unknown>;
}

/** Registers the hooks on the file's `test` and returns the certificates (filled in before the
 * first test runs). */
export function trustedTestCertificates(test: {
  before(fn: () => void): void;
  after: { always(fn: () => Promise<void>): void };
}): TrustedTestCertificates {
  const state: { certs?: TestCerts; more?: MoreCerts; closers: Array<() => unknown> } = { closers: [] };
  test.before(() => {
    state.certs = makeTestCerts();
    state.more = makeMoreCerts(state.certs);
    process.env.NODE_EXTRA_CA_CERTS = state.certs.caFile;
    resetCaBundle();
  });
  test.after.always(async () => {
    for (const close of state.closers) await close();
    state.certs?.cleanup();
  });
  return {
    get certs() {
      return state.certs!;
    },
    get more() {
      return state.more!;
    },
    closers: state.closers,
  };
}
