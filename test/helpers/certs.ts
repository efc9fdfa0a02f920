// Certificates for TLS error tests, made with the openssl CLI in a fresh temp dir at test time
// (node:crypto can read certificates but not issue them). Nothing here is ever committed.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key. */
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The test CA's certificate file: pass it as the hop's caFile. */
  caFile: string;
  ca: KeyPair;
  /** Signed by the CA, valid now, for 127.0.0.1 and localhost. */
  valid: KeyPair;
  /** Self-signed (no CA), valid now, for 127.0.0.1 and localhost. */
  selfSigned: KeyPair;
  /** Signed by the CA, valid now, but only for other.example. */
  wrongHost: KeyPair;
  /** Signed by the CA, for 127.0.0.1, valid only on 1–2 Jan 2020. */
  expired: KeyPair;
  /** Signed by the CA, for 127.0.0.1, valid only from 2090. */
  notYetValid: KeyPair;
  /** Removes the temp dir. */
  cleanup(): void;
}

const LOCAL_NAMES = 'IP:127.0.0.1,DNS:localhost';

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(cwd: string, name: string): void {
  // P-256 keys are generated in milliseconds; RSA would make each test run noticeably slower.
  openssl(cwd, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
}

function read(cwd: string, name: string): KeyPair {
  return {
    cert: fs.readFileSync(path.join(cwd, `${name}.pem`), 'utf8'),
    key: fs.readFileSync(path.join(cwd, `${name}.key`), 'utf8'),
  };
}

/** Issues a leaf with `openssl ca`, the only openssl 3.0 command that takes explicit dates. */
function issue(cwd: string, name: string, altNames: string, dates: { start?: string; end?: string; days?: number }): KeyPair {
  newKey(cwd, name);
  openssl(cwd, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  fs.writeFileSync(
    path.join(cwd, `${name}.ext.cnf`),
    `[ leaf ]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = ${altNames}\n`,
  );
  const dateArgs =
    dates.days !== undefined ? ['-days', String(dates.days)] : ['-startdate', dates.start!, '-enddate', dates.end!];
  openssl(cwd, [
    'ca', '-batch', '-config', 'ca.cnf', '-notext',
    '-cert', 'ca.pem', '-keyfile', 'ca.key',
    '-in', `${name}.csr`, '-out', `${name}.pem`,
    '-extfile', `${name}.ext.cnf`, '-extensions', 'leaf',
    ...dateArgs,
  ]);
  return read(cwd, name);
}

export function makeTestCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-certs-'));
  try {
    fs.mkdirSync(path.join(dir, 'db'));
    fs.writeFileSync(path.join(dir, 'db', 'index.txt'), '');
    fs.writeFileSync(path.join(dir, 'db', 'serial'), '1000\n');
    fs.writeFileSync(
      path.join(dir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = test_ca',
        '[ test_ca ]',
        'database = db/index.txt',
        'serial = db/serial',
        'new_certs_dir = db',
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'email_in_dn = no',
        '[ any ]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );

    newKey(dir, 'ca');
    openssl(dir, [
      'req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=curl-net test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);

    newKey(dir, 'self');
    openssl(dir, [
      'req', '-x509', '-new', '-key', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=127.0.0.1',
      '-addext', `subjectAltName=${LOCAL_NAMES}`,
    ]);

    return {
      dir,
      caFile: path.join(dir, 'ca.pem'),
      ca: read(dir, 'ca'),
      selfSigned: read(dir, 'self'),
      valid: issue(dir, 'valid', LOCAL_NAMES, { days: 2 }),
      wrongHost: issue(dir, 'wronghost', 'DNS:other.example', { days: 2 }),
      expired: issue(dir, 'expired', LOCAL_NAMES, { start: '20200101000000Z', end: '20200102000000Z' }),
      notYetValid: issue(dir, 'notyet', LOCAL_NAMES, { start: '20900101000000Z', end: '20900102000000Z' }),
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
