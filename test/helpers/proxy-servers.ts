// Real proxy servers for tests: squid (open, Basic, Digest, NTLM, Negotiate, TLS to the proxy),
// tinyproxy (open or Basic) and dante (SOCKS5, open or username/password). Each start*() writes a
// config into a fresh temp dir, starts the server on 127.0.0.1 on a free port, waits until it
// accepts connections and returns a handle whose stop() kills it and removes the dir. Every
// server runs in its own process group, so stop() (and the exit hook below) kills helpers and
// forked children too; nothing survives a test run.
//
// Made-up host names: every server can resolve ORIGIN_HOST (origin.curlnet.test) → 127.0.0.1, and
// nothing else on the machine can. A request for http://origin.curlnet.test:PORT/ that succeeds
// therefore went through the proxy. How each server learns the name:
//   * squid: its own `hosts_file` in the temp dir;
//   * tinyproxy and dante use the system resolver, so they run with nss_wrapper (Debian package
//     libnss-wrapper, cwrap's test library): LD_PRELOAD=libnss_wrapper.so +
//     NSS_WRAPPER_HOSTS=<temp dir>/hosts replaces /etc/hosts for that process tree only.
//     /etc/hosts is never touched.
//
// Requirements (scripts/system-packages.txt): squid, apache2-utils (htpasswd), tinyproxy,
// dante-server, libnss-wrapper, openssl, and for Negotiate krb5-kdc, krb5-admin-server, krb5-user.
// squid and dante are started as root here (squid drops to user 'proxy', dante to 'nobody').
// dante's `username` method checks the password database; no system user is created for it:
// nss_wrapper also gives dante private passwd/group/shadow files with the test user in them
// (see writeNssFiles), so any user name and password work and /etc/passwd is never touched.
// Use proxyServersSupported()/missingTools() to skip tests on machines without these.
import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { toolEnvironment } from './tool-env';

const execFileAsync = promisify(execFile);

/** A made-up name that only the test proxies resolve (to 127.0.0.1). */
export const ORIGIN_HOST = 'origin.curlnet.test';
const HOSTS_FILE = `127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 ${ORIGIN_HOST}\n`;

export interface RunningProxy {
  host: '127.0.0.1';
  port: number;
  /** e.g. `http://127.0.0.1:PORT` or `socks5://127.0.0.1:PORT` (no credentials in it). */
  url: string;
  username?: string;
  password?: string;
  /** The temp dir holding config and logs (removed by stop()). */
  dir: string;
  /** How long start took until the port accepted connections, in ms. */
  startMs: number;
  /** The server's log text so far (access log for squid). */
  log(): string;
  stop(): Promise<void>;
}

export type SquidAuth = 'none' | 'basic' | 'digest' | 'ntlm' | 'ntlm+basic' | 'negotiate' | 'negotiate+basic';

export interface RunningSquid extends RunningProxy {
  auth: SquidAuth;
  /** Realm sent in Basic/Digest challenges. */
  realm?: string;
  /** With httpsPort: true, squid also speaks TLS on this port (an HTTPS proxy). */
  httpsPort?: number;
  /** `https://127.0.0.1:httpsPort` */
  httpsUrl?: string;
  /** CA certificate (PEM file) that signed the https_port certificate (127.0.0.1, localhost). */
  caFile?: string;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: kill everything on exit, even when a test forgot stop().

interface Tracked {
  child: ChildProcess;
  dir: string;
  /** Removes what the server leaves outside its dir (squid's shared memory). */
  cleanup?: () => void;
}
const live = new Set<Tracked>();
let hooksInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole process group: helpers and forked children too
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function cleanupAllSync(): void {
  for (const t of live) {
    killGroup(t.child, 'SIGKILL');
    fs.rmSync(t.dir, { recursive: true, force: true });
    t.cleanup?.();
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupAllSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal); // keep the default behaviour: die from the signal
    };
    process.on(signal, onSignal);
  }
}

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `curlnet-${prefix}-`));
  // Servers drop privileges (squid → proxy, tinyproxy/dante → nobody) and must read files here.
  fs.chmodSync(dir, 0o755);
  return dir;
}

function writeFile(dir: string, name: string, text: string, mode = 0o644): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

/** A port that was free a moment ago (the server binds it right after; start retries on a clash). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** `count` different ports on 127.0.0.1 that were free a moment ago. The probes stay open until
 * all are chosen: probed one after another, the kernel can hand out the same port twice (about
 * one pair in 4,000 here), and a server given one port twice binds only one of them (squid
 * then serves plain HTTP on the port meant for its https_port). */
export async function freePorts(count: number): Promise<number[]> {
  const probes: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const probe = net.createServer();
      probes.push(probe);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          probe.once('error', reject);
          probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => (probe.listening ? probe.close(resolve) : resolve(undefined)))));
  }
}

/** Privileged ports no test server binds: the kernel never hands them out for listen(0) (the
 * ephemeral range starts far above), and no service listens on them on a test machine. */
const NEVER_BOUND_PORTS = [1, 3, 5, 7, 9, 11, 13, 17, 19];

/**
 * A port on 127.0.0.1 that refuses connections now and stays refusing: for a "dead" proxy. A
 * port freePort() found free can be bound by another test's server a moment later (ava runs
 * files in parallel), and the dead proxy then answers.
 */
export async function refusedPort(): Promise<number> {
  for (const port of NEVER_BOUND_PORTS) {
    if (!(await canConnect(port))) return port;
  }
  throw new Error(`every port in ${NEVER_BOUND_PORTS.join(', ')} accepts connections on 127.0.0.1; no dead port for this test`);
}

function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Socket inodes of the sockets listening on 127.0.0.1:`port` (from /proc/net/tcp). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readIfExists(table).split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (HEXIP:HEXPORT), state f[3] (0A = LISTEN), inode f[9].
      if (f.length > 9 && f[3] === '0A' && f[1].endsWith(`:${hexPort}`)) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** Whether a process of the server's process group holds the socket listening on `port`. A
 * port probed free by freePort() can be taken by another test's server before this one binds
 * it; a TCP connect alone would then mistake that server for this one. */
function portOwnedByGroup(port: number, pgid: number): boolean {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return false;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const stat = readIfExists(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue; // field 5 of stat: the process group
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return true;
    }
  }
  return false;
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  dir: string;
  ports: number[];
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Files to show in the error when the server does not come up. */
  diagnostics: string[];
  /** Runs once the server is dead: removes what it leaves outside `dir`. */
  cleanup?: () => void;
}

/** Starts the server in its own process group and waits until all `ports` accept connections. */
async function spawnServer(spec: SpawnSpec): Promise<{ child: ChildProcess; stop: () => Promise<void>; startMs: number }> {
  // Every port must be checked as its own listener: a server told to listen twice on one port
  // may bind it once and run anyway, and the readiness check below could not tell.
  if (new Set(spec.ports).size !== spec.ports.length) throw new Error(`${spec.name}: the same port given twice (${spec.ports.join(', ')})`);
  installHooks();
  const started = Date.now();
  const out = fs.openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.dir,
    env: { ...toolEnvironment(), ...spec.env },
    stdio: ['ignore', out, out],
    detached: true, // new process group, so killGroup reaches helpers and forked children
  });
  fs.closeSync(out);
  child.unref(); // a forgotten server must not keep the test process alive; the exit hook kills it
  const tracked: Tracked = { child, dir: spec.dir, cleanup: spec.cleanup };
  live.add(tracked);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGKILL');
    // A ref'd timer keeps the loop alive until the (unref'd) child's exit event has arrived.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    live.delete(tracked);
    fs.rmSync(spec.dir, { recursive: true, force: true });
    spec.cleanup?.();
  };

  let spawnError: Error | null = null;
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + 10_000;
  let foreignSince: number | undefined;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const details = spec.diagnostics.map((f) => `--- ${path.basename(f)}\n${readIfExists(f).slice(-3000)}`).join('\n');
      await stop();
      throw new Error(`${spec.name} did not start (${spawnError ?? `exit ${child.exitCode ?? child.signalCode}`})\n${details}`);
    }
    const ready = await Promise.all(spec.ports.map((p) => canConnect(p)));
    if (ready.every(Boolean)) {
      if (spec.ports.every((p) => portOwnedByGroup(p, child.pid!))) break;
      // Connectable, but not ours (yet): another server got the port first, or ours has
      // not bound all of its ports. Wait a little for ours, then give up as a bind failure
      // (withPortRetry starts again on other ports).
      foreignSince ??= Date.now();
      if (Date.now() - foreignSince > 2000 || Date.now() > deadline) {
        await stop();
        throw new Error(`${spec.name}: Cannot bind: a port was taken by another process (EADDRINUSE)`);
      }
    }
    if (Date.now() > deadline) {
      const details = spec.diagnostics.map((f) => `--- ${path.basename(f)}\n${readIfExists(f).slice(-3000)}`).join('\n');
      await stop();
      throw new Error(`${spec.name} did not accept connections within 10 s\n${details}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, stop, startMs: Date.now() - started };
}

/** Retries a start when the chosen port was taken in between (ava runs files in parallel). */
async function withPortRetry<T>(start: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await start();
    } catch (err) {
      last = err;
      if (!/address already in use|EADDRINUSE|Cannot bind|bind\(\)|commBind/i.test(String(err))) throw err;
    }
  }
  throw last;
}

// ---------------------------------------------------------------------------------------------
// Tools and certificates

const NSS_WRAPPER_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so',
  '/usr/lib/aarch64-linux-gnu/libnss_wrapper.so',
  '/usr/lib/libnss_wrapper.so',
  '/usr/lib64/libnss_wrapper.so',
];

export function nssWrapperPath(): string | null {
  return NSS_WRAPPER_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

function which(binary: string): boolean {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
  return dirs.some((d) => d && fs.existsSync(path.join(d, binary)));
}

/** Names of what is missing for a server kind (empty when it can run here). */
export function missingTools(kind: 'squid' | 'tinyproxy' | 'dante' | 'kerberos' | 'curl'): string[] {
  const needs: Record<typeof kind, string[]> = {
    squid: ['squid', 'htpasswd', 'openssl'],
    tinyproxy: ['tinyproxy'],
    dante: ['danted'],
    kerberos: ['krb5kdc', 'kdb5_util', 'kadmin.local', 'kinit'],
    curl: ['curl'],
  };
  const missing = needs[kind].filter((b) => !which(b));
  if ((kind === 'tinyproxy' || kind === 'dante') && !nssWrapperPath()) missing.push('libnss_wrapper.so');
  if (kind === 'squid' && !fs.existsSync('/usr/lib/squid/basic_ncsa_auth')) missing.push('/usr/lib/squid helpers');
  if ((kind === 'dante' || kind === 'squid') && process.getuid?.() !== 0) missing.push('root');
  return missing;
}

export interface TestCertificates {
  /** CA certificate (PEM file): trust this. */
  caFile: string;
  /** Server certificate and key (PEM files), signed by the CA. */
  certFile: string;
  keyFile: string;
}

/**
 * A throw-away CA and one server certificate for `names` (DNS names and IP addresses), made with
 * the openssl CLI in `dir`. EC P-256 keys: instant to generate, and GnuTLS (squid) takes them.
 */
export function makeCertificates(dir: string, names: string[], prefix = 'server'): TestCertificates {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const caKey = path.join(dir, `${prefix}-ca.key`);
  const caFile = path.join(dir, `${prefix}-ca.pem`);
  const keyFile = path.join(dir, `${prefix}.key`);
  const csr = path.join(dir, `${prefix}.csr`);
  const certFile = path.join(dir, `${prefix}.pem`);
  const ext = path.join(dir, `${prefix}.ext`);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  run(['req', '-x509', '-new', '-key', caKey, '-days', '2', '-subj', '/CN=curl-net test CA', '-out', caFile]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  run(['req', '-new', '-key', keyFile, '-subj', `/CN=${names[0]}`, '-out', csr]);
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  fs.writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certFile]);
  for (const f of [caFile, certFile]) fs.chmodSync(f, 0o644);
  fs.chmodSync(keyFile, 0o640);
  return { caFile, certFile, keyFile };
}

// ---------------------------------------------------------------------------------------------
// squid

export interface SquidOptions {
  auth: SquidAuth;
  /** Also listen with `https_port` (TLS between client and proxy). */
  httpsPort?: boolean;
  /** Required for auth: 'negotiate' and 'negotiate+basic'. */
  kdc?: RunningKdc;
  username?: string;
  password?: string;
}

const SQUID_USER = 'alice';

let squidStarts = 0;

/** A squid service name (`-n`) no other squid uses, so concurrent squids never share (or
 * collide on) shared-memory segments, and this one's segments can be removed by name. */
function squidServiceName(): string {
  return `curlnet${process.pid}x${++squidStarts}`;
}

/** Removes the shared-memory segments squid created for `service` (/dev/shm/<service>-*.shm).
 * squid creates them even with -N and no cache (the collapsed-forwarding queues cf__metadata,
 * cf__queues, cf__readers; no squid.conf setting turns them off) and unlinks them only on a
 * clean shutdown, which takes a second or more; tests kill it, so the names are removed here. */
function removeSquidSharedMemory(service: string): void {
  let names: string[];
  try {
    names = fs.readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(`${service}-`)) fs.rmSync(path.join('/dev/shm', name), { force: true });
  }
}
const SQUID_PASSWORD = 's3cret';

export function startSquid(options: SquidOptions): Promise<RunningSquid> {
  return withPortRetry(() => startSquidOnce(options));
}

async function startSquidOnce(options: SquidOptions): Promise<RunningSquid> {
  const { auth } = options;
  if (auth.startsWith('negotiate') && !options.kdc) throw new Error('startSquid({ auth: "negotiate" }) needs a kdc from startKdc()');
  const username = options.username ?? SQUID_USER;
  const password = options.password ?? SQUID_PASSWORD;
  const dir = makeTempDir('squid');
  const [port, httpsPort] = await freePorts(options.httpsPort ? 2 : 1);
  const asRoot = process.getuid?.() === 0;

  writeFile(dir, 'hosts', HOSTS_FILE);
  const lines = [
    `http_port 127.0.0.1:${port}`,
    'visible_hostname localhost',
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `access_log stdio:${dir}/access.log`,
    `hosts_file ${dir}/hosts`,
    'cache deny all',
    'cache_mem 8 MB',
    `coredump_dir ${dir}`,
    'pinger_enable off',
    'shutdown_lifetime 0 seconds',
    'udp_incoming_address 127.0.0.1',
    'icp_port 0',
    'htcp_port 0',
    'logfile_rotate 0',
    // No Safe_ports/SSL_ports rules: CONNECT to any port is allowed (test origins use random ports).
  ];
  let realm: string | undefined;
  let caFile: string | undefined;
  if (httpsPort !== undefined) {
    const certs = makeCertificates(dir, ['127.0.0.1', 'localhost'], 'proxy');
    caFile = certs.caFile;
    lines.push(`https_port 127.0.0.1:${httpsPort} tls-cert=${certs.certFile} tls-key=${certs.keyFile}`);
  }
  if (auth === 'ntlm' || auth === 'ntlm+basic') {
    // ntlm_fake_auth runs the full type-1/2/3 exchange but accepts any user and password.
    lines.push('auth_param ntlm program /usr/lib/squid/ntlm_fake_auth', 'auth_param ntlm children 2 startup=1');
  }
  if (auth === 'basic' || auth === 'ntlm+basic' || auth === 'negotiate+basic') {
    await execFileAsync('htpasswd', ['-bc', path.join(dir, 'passwd'), username, password]);
    realm = 'curlnet-squid-basic';
    lines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${dir}/passwd`,
      'auth_param basic children 2 startup=1',
      `auth_param basic realm ${realm}`,
    );
  }
  if (auth === 'digest') {
    writeFile(dir, 'digest_passwd', `${username}:${password}\n`, 0o640);
    realm = 'curlnet-squid-digest';
    lines.push(
      `auth_param digest program /usr/lib/squid/digest_file_auth ${dir}/digest_passwd`,
      'auth_param digest children 2 startup=1',
      `auth_param digest realm ${realm}`,
    );
  }
  let env: NodeJS.ProcessEnv | undefined;
  if (auth === 'negotiate' || auth === 'negotiate+basic') {
    const kdc = options.kdc!;
    const keytab = path.join(dir, 'http.keytab');
    fs.copyFileSync(kdc.serviceKeytab, keytab);
    fs.chmodSync(keytab, 0o600);
    lines.push(
      `auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -k ${keytab} -s HTTP/localhost@${kdc.realm}`,
      'auth_param negotiate children 2 startup=1',
      'auth_param negotiate keep_alive on',
    );
    env = { KRB5_CONFIG: kdc.krb5Conf, KRB5_KTNAME: keytab };
  }
  if (auth === 'none') {
    lines.push('http_access allow localhost');
  } else {
    lines.push('acl authed proxy_auth REQUIRED', 'http_access allow authed');
  }
  lines.push('http_access deny all');
  const conf = writeFile(dir, 'squid.conf', `${lines.join('\n')}\n`);
  if (asRoot) execFileSync('chown', ['-R', 'proxy:proxy', dir]); // squid started as root runs as 'proxy'

  const logFile = path.join(dir, 'stderr.log');
  const service = squidServiceName();
  const { stop, startMs } = await spawnServer({
    name: `squid (${auth})`,
    command: 'squid',
    // -n: a service name of its own, so concurrent squids do not share shared-memory segments.
    args: ['-N', '-n', service, '-f', conf],
    cleanup: () => removeSquidSharedMemory(service),
    dir,
    ports: httpsPort !== undefined ? [port, httpsPort] : [port],
    env,
    logFile,
    diagnostics: [logFile, path.join(dir, 'cache.log')],
  });
  // Negotiate's SPN is HTTP/<proxy host as written>, so that proxy must be addressed as localhost.
  const urlHost = auth.startsWith('negotiate') ? 'localhost' : '127.0.0.1';
  const withCreds = auth !== 'none' && auth !== 'negotiate';
  const result: RunningSquid = {
    host: '127.0.0.1',
    port,
    url: `http://${urlHost}:${port}`,
    auth,
    dir,
    startMs,
    log: () => readIfExists(path.join(dir, 'access.log')),
    stop,
  };
  if (withCreds) {
    // For NTLM any password is accepted (ntlm_fake_auth); these are still the ones to send.
    result.username = username;
    result.password = password;
  }
  if (realm) result.realm = realm;
  if (httpsPort !== undefined) {
    result.httpsPort = httpsPort;
    result.httpsUrl = `https://127.0.0.1:${httpsPort}`;
    result.caFile = caFile!;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// tinyproxy

export interface TinyproxyOptions {
  basicAuth: boolean;
  username?: string;
  password?: string;
}

export function startTinyproxy(options: TinyproxyOptions): Promise<RunningProxy> {
  return withPortRetry(() => startTinyproxyOnce(options));
}

async function startTinyproxyOnce(options: TinyproxyOptions): Promise<RunningProxy> {
  const wrapper = nssWrapperPath();
  if (!wrapper) throw new Error('libnss_wrapper.so not found (Debian package libnss-wrapper)');
  const username = options.username ?? SQUID_USER;
  const password = options.password ?? SQUID_PASSWORD;
  const dir = makeTempDir('tinyproxy');
  const port = await freePort();
  const hosts = writeFile(dir, 'hosts', HOSTS_FILE);
  const asRoot = process.getuid?.() === 0;
  const lines = [
    ...(asRoot ? ['User nobody', 'Group nogroup'] : []),
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 60',
    'LogLevel Info',
    'MaxClients 20',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    // No ConnectPort lines: CONNECT to any port is allowed.
  ];
  if (options.basicAuth) lines.push(`BasicAuth ${username} ${password}`);
  const conf = writeFile(dir, 'tinyproxy.conf', `${lines.join('\n')}\n`);
  const logFile = path.join(dir, 'tinyproxy.log');
  const { stop, startMs } = await spawnServer({
    name: 'tinyproxy',
    command: 'tinyproxy',
    args: ['-d', '-c', conf],
    dir,
    ports: [port],
    env: { LD_PRELOAD: wrapper, NSS_WRAPPER_HOSTS: hosts },
    logFile,
    diagnostics: [logFile],
  });
  const result: RunningProxy = {
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    startMs,
    log: () => readIfExists(logFile),
    stop,
  };
  if (options.basicAuth) {
    result.username = username;
    result.password = password;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// dante (SOCKS5)

export const DEFAULT_SOCKS_USER = 'curlnet-socks';

/**
 * dante's `username` method checks the user against the password database (getpwnam + getspnam).
 * Instead of creating a system user, the nss_wrapper environment gives dante private passwd,
 * group and shadow files: root and nobody (which dante itself looks up for user.privileged /
 * user.unprivileged) plus the test user with a SHA-512 crypt hash of the password.
 */
function writeNssFiles(dir: string, credentials?: { username: string; password: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NSS_WRAPPER_HOSTS: writeFile(dir, 'hosts', HOSTS_FILE) };
  if (!credentials) return env;
  const { username, password } = credentials;
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(username) || ['root', 'nobody'].includes(username)) {
    throw new Error(`Unusable SOCKS test user name ${JSON.stringify(username)}`);
  }
  const hash = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` }).toString().trim();
  env.NSS_WRAPPER_PASSWD = writeFile(
    dir,
    'passwd',
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' +
      `${username}:x:64999:65534:curl-net test SOCKS user:/nonexistent:/usr/sbin/nologin\n`,
  );
  env.NSS_WRAPPER_GROUP = writeFile(dir, 'group', 'root:x:0:\nnogroup:x:65534:\n');
  env.NSS_WRAPPER_SHADOW = writeFile(dir, 'shadow', `${username}:${hash}:19000:0:99999:7:::\n`, 0o640);
  return env;
}

export function startDante(credentials?: { username: string; password: string }): Promise<RunningProxy> {
  return withPortRetry(() => startDanteOnce(credentials));
}

async function startDanteOnce(credentials?: { username: string; password: string }): Promise<RunningProxy> {
  const wrapper = nssWrapperPath();
  if (!wrapper) throw new Error('libnss_wrapper.so not found (Debian package libnss-wrapper)');
  const dir = makeTempDir('dante');
  const port = await freePort();
  const nssEnv = writeNssFiles(dir, credentials);
  const method = credentials ? 'username' : 'none';
  // Rule blocks must span several lines: dante rejects `client pass { from: ... log: error }` on one line.
  const conf = writeFile(
    dir,
    'danted.conf',
    [
      `logoutput: ${dir}/danted.log`,
      `errorlog: ${dir}/danted.err`,
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'clientmethod: none',
      `socksmethod: ${method}`,
      'user.privileged: root',
      'user.unprivileged: nobody',
      'client pass {',
      '  from: 127.0.0.0/8 to: 0.0.0.0/0',
      '  log: error',
      '}',
      'socks pass {',
      '  from: 127.0.0.0/8 to: 127.0.0.0/8',
      `  socksmethod: ${method}`,
      '  log: connect error',
      '}',
      'socks block {',
      '  from: 0.0.0.0/0 to: 0.0.0.0/0',
      '  log: connect error',
      '}',
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'stderr.log');
  const { stop, startMs } = await spawnServer({
    name: 'danted',
    command: 'danted',
    args: ['-f', conf, '-p', path.join(dir, 'danted.pid'), '-N', '1'],
    dir,
    ports: [port],
    env: { LD_PRELOAD: wrapper, ...nssEnv },
    logFile,
    diagnostics: [logFile, path.join(dir, 'danted.err'), path.join(dir, 'danted.log')],
  });
  const result: RunningProxy = {
    host: '127.0.0.1',
    port,
    url: `socks5://127.0.0.1:${port}`,
    dir,
    startMs,
    log: () => readIfExists(path.join(dir, 'danted.log')),
    stop,
  };
  if (credentials) {
    result.username = credentials.username;
    result.password = credentials.password;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Kerberos KDC for Negotiate

export interface RunningKdc {
  realm: string;
  port: number;
  dir: string;
  /** krb5.conf for clients and for squid (export as KRB5_CONFIG). */
  krb5Conf: string;
  /** Keytab with HTTP/localhost@REALM (squid copies it). */
  serviceKeytab: string;
  /** The user principal created by startKdc: alice / alicepw. */
  username: string;
  password: string;
  startMs: number;
  /**
   * Gets a ticket for `username` into a new credential cache in the KDC's dir and returns the
   * environment a client (curl, or this process before a libcurl Negotiate request) needs.
   */
  kinit(username?: string, password?: string, options?: { forwardable?: boolean }): Promise<{ KRB5_CONFIG: string; KRB5CCNAME: string }>;
  stop(): Promise<void>;
}

export const KERBEROS_REALM = 'CURLNET.TEST';

export function startKdc(): Promise<RunningKdc> {
  return withPortRetry(startKdcOnce);
}

async function startKdcOnce(): Promise<RunningKdc> {
  const dir = makeTempDir('kdc');
  const port = await freePort();
  const realm = KERBEROS_REALM;
  // squid's helper runs as 'proxy' and must read krb5.conf: dir 755 and file 644 (makeTempDir/writeFile).
  const krb5Conf = writeFile(
    dir,
    'krb5.conf',
    [
      '[libdefaults]',
      `  default_realm = ${realm}`,
      '  dns_lookup_kdc = false',
      '  dns_lookup_realm = false',
      '  rdns = false',
      '  dns_canonicalize_hostname = false',
      '  udp_preference_limit = 1',
      '[realms]',
      `  ${realm} = {`,
      `    kdc = 127.0.0.1:${port}`,
      '  }',
      '[domain_realm]',
      `  localhost = ${realm}`,
      '',
    ].join('\n'),
  );
  const kdcConf = writeFile(
    dir,
    'kdc.conf',
    [
      '[kdcdefaults]',
      `  kdc_listen = 127.0.0.1:${port}`,
      `  kdc_tcp_listen = 127.0.0.1:${port}`,
      '[realms]',
      `  ${realm} = {`,
      `    database_name = ${dir}/principal`,
      `    key_stash_file = ${dir}/stash`,
      `    acl_file = ${dir}/kadm5.acl`,
      `    kdc_listen = 127.0.0.1:${port}`,
      `    kdc_tcp_listen = 127.0.0.1:${port}`,
      '  }',
      '[logging]',
      `  kdc = FILE:${dir}/kdc.log`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf };
  const started = Date.now();
  const serviceKeytab = path.join(dir, 'http.keytab');
  try {
    await execFileAsync('kdb5_util', ['create', '-s', '-r', realm, '-P', 'curlnet-master'], { env });
    await execFileAsync('kadmin.local', ['-r', realm, '-q', 'addprinc -pw alicepw alice'], { env });
    await execFileAsync('kadmin.local', ['-r', realm, '-q', 'addprinc -randkey HTTP/localhost'], { env });
    await execFileAsync('kadmin.local', ['-r', realm, '-q', `ktadd -k ${serviceKeytab} HTTP/localhost`], { env });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const logFile = path.join(dir, 'krb5kdc.log');
  const { stop } = await spawnServer({
    name: 'krb5kdc',
    command: 'krb5kdc',
    args: ['-n', '-P', path.join(dir, 'kdc.pid'), '-r', realm],
    dir,
    ports: [port],
    env: { KRB5_CONFIG: krb5Conf, KRB5_KDC_PROFILE: kdcConf },
    logFile,
    diagnostics: [logFile, path.join(dir, 'kdc.log')],
  });
  let caches = 0;
  return {
    realm,
    port,
    dir,
    krb5Conf,
    serviceKeytab,
    username: 'alice',
    password: 'alicepw',
    startMs: Date.now() - started,
    async kinit(username = 'alice', password = 'alicepw', options: { forwardable?: boolean } = {}) {
      const ccache = `FILE:${path.join(dir, `ccache-${++caches}`)}`;
      // -f: a forwardable ticket, which GSS-API needs to delegate it.
      const args = options.forwardable ? ['-f', username] : [username];
      await new Promise<void>((resolve, reject) => {
        const child = execFile('kinit', args, { env: { ...process.env, KRB5_CONFIG: krb5Conf, KRB5CCNAME: ccache } }, (err) =>
          err ? reject(err) : resolve(),
        );
        child.stdin!.on('error', () => {}); // EPIPE if kinit exits early; its exit code tells
        child.stdin!.end(`${password}\n`);
      });
      return { KRB5_CONFIG: krb5Conf, KRB5CCNAME: ccache };
    },
    stop,
  };
}

/** Stops all given servers (ignores undefined), in parallel. */
export async function stopAll(...servers: Array<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop()));
}
