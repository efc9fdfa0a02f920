// --auth-negotiate-delegate-allowlist end to end: a real MIT KDC issues a forwardable ticket, and
// a GSS-API accept side (test/helpers/gssapi-acceptor.py, python3-gssapi) reports whether the
// client delegated it. Listed hosts get the ticket delegated (GSS_C_DELEG_FLAG, a forwarded TGT
// arrives); other hosts, and every host without the switch, do not.
import test from 'ava';
import { spawn, spawnSync, execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { commandLine } from '../ts';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { boundedStep } from './helpers/bounded';
import { cleanupFixtures, describe, freshSession, kdc, run, testIf } from './helpers/proxy-fixtures';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-gssapi is installed
const ACCEPTOR = path.join(__dirname, '..', '..', 'test', 'helpers', 'gssapi-acceptor.py');
const hasPythonGssapi = spawnSync(PYTHON, ['-c', 'import gssapi'], { stdio: 'ignore' }).status === 0;

test.afterEach.always(() => resetSwitchesForTesting());
test.after.always(() => cleanupFixtures());

interface Accepted {
  complete: boolean;
  initiator: string;
  target: string;
  delegFlag: boolean;
  delegatedCredential: string | null;
}

const maybe = hasPythonGssapi ? testIf(test.serial, 'kerberos') : test.serial.skip; // python3-gssapi (scripts/system-packages.txt)

maybe('Negotiate delegates the ticket to allowlisted hosts only', async (t) => {
  const kerberos = await kdc(t);
  // A second service, HTTP/other.curlnet.test, in the same keytab: a host off the list the
  // acceptor can still authenticate.
  const adminEnv = { ...process.env, KRB5_CONFIG: kerberos.krb5Conf, KRB5_KDC_PROFILE: path.join(kerberos.dir, 'kdc.conf') };
  const kadmin = (query: string) => promisify(execFile)('kadmin.local', ['-r', kerberos.realm, '-q', query], { env: adminEnv });
  await kadmin('addprinc -randkey HTTP/other.curlnet.test');
  await kadmin(`ktadd -k ${kerberos.serviceKeytab} HTTP/other.curlnet.test`);

  const saved = { KRB5_CONFIG: process.env.KRB5_CONFIG, KRB5CCNAME: process.env.KRB5CCNAME };
  Object.assign(process.env, await kerberos.kinit(undefined, undefined, { forwardable: true }));
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const acceptor = spawn(PYTHON, [ACCEPTOR], {
    env: { ...process.env, KRB5_CONFIG: kerberos.krb5Conf, KRB5_KTNAME: `FILE:${kerberos.serviceKeytab}`, KRB5RCACHETYPE: 'none' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  acceptor.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  t.teardown(() => {
    acceptor.kill();
  });
  const port = await boundedStep(
    t,
    'the GSS-API acceptor',
    20_000,
    new Promise<number>((resolve, reject) => {
      acceptor.stdout!.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
      acceptor.once('exit', (code) => reject(new Error(`the acceptor exited (${code}): ${stderr}`)));
    }),
  );

  // Both names reach the acceptor; both may use the ticket; only localhost may get it delegated.
  commandLine.appendSwitch('host-resolver-rules', 'MAP other.curlnet.test 127.0.0.1');
  commandLine.appendSwitch('auth-server-allowlist', 'localhost,other.curlnet.test');
  commandLine.appendSwitch('auth-negotiate-delegate-allowlist', 'localhost');
  const ask = async (host: string): Promise<Accepted> => {
    const result = await run({ url: `http://${host}:${port}/whoami`, session: freshSession() });
    t.is(result.statusCode, 200, `${host}: ${describe(result)} ${stderr}`);
    return JSON.parse(result.body!) as Accepted;
  };

  const listed = await ask('localhost');
  t.true(listed.complete);
  t.is(listed.initiator, `alice@${kerberos.realm}`);
  t.true(listed.delegFlag, 'the listed host got GSS_C_DELEG_FLAG');
  t.is(listed.delegatedCredential, `alice@${kerberos.realm}`, 'and alice\'s forwarded ticket');

  const other = await ask('other.curlnet.test');
  t.is(other.initiator, `alice@${kerberos.realm}`, 'the ticket was used');
  t.false(other.delegFlag, 'a host off the list gets nothing delegated');
  t.is(other.delegatedCredential, null);

  // Without the switch nobody gets the ticket delegated (libcurl's default, as Chromium).
  commandLine.removeSwitch('auth-negotiate-delegate-allowlist');
  const none = await ask('localhost');
  t.false(none.delegFlag);
  t.is(none.delegatedCredential, null);
});
