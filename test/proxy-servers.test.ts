// Self-check of test/helpers/proxy-servers.ts: every proxy starts, requires its auth, and carries
// traffic to origins that only it can resolve (origin.curlnet.test), with the curl CLI as client.
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import {
  DEFAULT_SOCKS_USER,
  freePorts,
  makeCertificates,
  missingTools,
  ORIGIN_HOST,
  RunningKdc,
  startDante,
  startKdc,
  startSquid,
  startTinyproxy,
  stopAll,
} from './helpers/proxy-servers';

let httpOrigin: http.Server;
let httpsOrigin: https.Server;
let httpUrl: string;
let httpsUrl: string;
let originCa: string;
let certDir: string;

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

test.before(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'curlnet-origin-certs-'));
  const certs = makeCertificates(certDir, [ORIGIN_HOST, 'localhost', '127.0.0.1'], 'origin');
  originCa = certs.caFile;
  const handler: http.RequestListener = (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from origin ${req.headers.host} ${req.url}`);
  };
  httpOrigin = http.createServer(handler);
  httpsOrigin = https.createServer({ cert: fs.readFileSync(certs.certFile), key: fs.readFileSync(certs.keyFile) }, handler);
  httpUrl = `http://${ORIGIN_HOST}:${await listen(httpOrigin)}/path`;
  httpsUrl = `https://${ORIGIN_HOST}:${await listen(httpsOrigin)}/secure`;
});

test.after.always(async () => {
  for (const s of [httpOrigin, httpsOrigin]) {
    s?.closeAllConnections();
    await new Promise((resolve) => s?.close(resolve));
  }
  fs.rmSync(certDir, { recursive: true, force: true });
});

interface CurlResult {
  exit: number;
  status: number;
  connect: number;
  body: string;
  stderr: string;
}

/** Runs the curl CLI with a clean environment (no proxy variables to pick up by itself). */
function curl(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CurlResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv };
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '15', '--cacert', originCa, '-w', '\n@@ %{http_code} %{http_connect}', ...args],
      { env },
      (err, stdout, stderr) => {
        const m = /\n@@ (\d+) (\d+)$/.exec(stdout);
        resolve({
          exit: err ? ((err as NodeJS.ErrnoException & { code?: number }).code as unknown as number) ?? -1 : 0,
          status: m ? Number(m[1]) : 0,
          connect: m ? Number(m[2]) : 0,
          body: m ? stdout.slice(0, m.index) : stdout,
          stderr,
        });
      },
    );
  });
}

const startTimes: string[] = [];
test.after.always((t) => {
  if (startTimes.length) t.log(`start times: ${startTimes.join(', ')}`);
});

const skipUnless = (...kinds: Array<Parameters<typeof missingTools>[0]>) => {
  const missing = kinds.flatMap((k) => missingTools(k));
  return missing.length ? test.skip : test;
};

// squid given one port for both http_port and https_port serves plain HTTP on it, and a client
// speaking TLS there fails with "wrong version number" (a CI run of proxy-login did). Ports
// probed one after another coincide about once in 4,000 pairs: 2 of 5 runs of 2,000 such draws
// of three saw a repeat, so the 5,000 draws here would catch probes that are not held open
// together about 70% of the time.
test('freePorts(n) gives n different ports, each of them free to bind', async (t) => {
  let last: number[] = [];
  for (let i = 0; i < 5000; i++) {
    last = await freePorts(3);
    if (new Set(last).size !== 3) return t.fail(`draw ${i}: ${last.join(', ')}`);
  }
  const servers = await Promise.all(
    last.map((port) => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer().once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server));
    })),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  t.pass();
});

test('origin.curlnet.test cannot be reached without a proxy', async (t) => {
  const r = await curl([httpUrl]);
  t.is(r.exit, 6, r.stderr); // CURLE_COULDNT_RESOLVE_HOST
});

skipUnless('squid', 'curl')('squid without auth proxies http and CONNECT', async (t) => {
  const squid = await startSquid({ auth: 'none' });
  startTimes.push(`squid/none ${squid.startMs} ms`);
  try {
    const plain = await curl(['-x', squid.url, httpUrl]);
    t.is(plain.status, 200, plain.stderr);
    t.regex(plain.body, /^hello from origin origin\.curlnet\.test:\d+ \/path$/);
    const tls = await curl(['-x', squid.url, httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
    t.is(tls.connect, 200);
    t.regex(tls.body, /\/secure$/);
    t.regex(squid.log(), /origin\.curlnet\.test/);
  } finally {
    await squid.stop();
  }
  t.false(fs.existsSync(squid.dir), 'stop() removes the temp dir');
});

skipUnless('squid', 'curl')('squid Basic requires credentials', async (t) => {
  const squid = await startSquid({ auth: 'basic' });
  startTimes.push(`squid/basic ${squid.startMs} ms`);
  try {
    const none = await curl(['-D', '-', '-x', squid.url, httpUrl]);
    t.is(none.status, 407);
    t.regex(none.body, /Proxy-Authenticate: Basic realm="curlnet-squid-basic"/i);
    const creds = `${squid.username}:${squid.password}`;
    const ok = await curl(['-x', squid.url, '--proxy-user', creds, '--proxy-anyauth', httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    const wrong = await curl(['-x', squid.url, '--proxy-user', `${squid.username}:wrong`, httpUrl]);
    t.is(wrong.status, 407);
    const connectNone = await curl(['-x', squid.url, httpsUrl]);
    t.is(connectNone.exit, 56);
    t.is(connectNone.connect, 407);
    const connectOk = await curl(['-x', squid.url, '--proxy-user', creds, httpsUrl]);
    t.is(connectOk.status, 200, connectOk.stderr);
    t.regex(squid.log(), / alice /);
  } finally {
    await squid.stop();
  }
});

skipUnless('squid', 'curl')('squid Digest requires credentials', async (t) => {
  const squid = await startSquid({ auth: 'digest' });
  startTimes.push(`squid/digest ${squid.startMs} ms`);
  try {
    const none = await curl(['-D', '-', '-x', squid.url, httpUrl]);
    t.is(none.status, 407);
    t.regex(none.body, /Proxy-Authenticate: Digest realm="curlnet-squid-digest"/i);
    const creds = `${squid.username}:${squid.password}`;
    const ok = await curl(['-x', squid.url, '--proxy-user', creds, '--proxy-digest', httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    const tls = await curl(['-x', squid.url, '--proxy-user', creds, '--proxy-anyauth', httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
    const wrong = await curl(['-x', squid.url, '--proxy-user', `${squid.username}:wrong`, '--proxy-digest', httpUrl]);
    t.is(wrong.status, 407);
  } finally {
    await squid.stop();
  }
});

skipUnless('squid', 'curl')('squid NTLM runs the three-leg handshake', async (t) => {
  const squid = await startSquid({ auth: 'ntlm' });
  startTimes.push(`squid/ntlm ${squid.startMs} ms`);
  try {
    const none = await curl(['-D', '-', '-x', squid.url, httpUrl]);
    t.is(none.status, 407);
    t.regex(none.body, /Proxy-Authenticate: NTLM/);
    const creds = `CORP\\${squid.username}:${squid.password}`;
    const ok = await curl(['-x', squid.url, '--proxy-user', creds, '--proxy-ntlm', httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    const tls = await curl(['-x', squid.url, '--proxy-user', creds, '--proxy-anyauth', httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
  } finally {
    await squid.stop();
  }
});

skipUnless('squid', 'curl')('squid NTLM+Basic offers both schemes', async (t) => {
  const squid = await startSquid({ auth: 'ntlm+basic' });
  try {
    const none = await curl(['-D', '-', '-x', squid.url, httpUrl]);
    t.is(none.status, 407);
    t.regex(none.body, /Proxy-Authenticate: NTLM/);
    t.regex(none.body, /Proxy-Authenticate: Basic/);
    const basic = await curl(['-x', squid.url, '--proxy-user', `${squid.username}:${squid.password}`, '--proxy-basic', httpUrl]);
    t.is(basic.status, 200, basic.stderr);
  } finally {
    await squid.stop();
  }
});

skipUnless('squid', 'curl')('squid https_port: TLS to the proxy, with auth, to http and https origins', async (t) => {
  const squid = await startSquid({ auth: 'basic', httpsPort: true });
  startTimes.push(`squid/basic+https_port ${squid.startMs} ms`);
  try {
    t.truthy(squid.httpsUrl && squid.caFile && squid.httpsPort);
    t.true(fs.readFileSync(squid.caFile!, 'utf8').includes('BEGIN CERTIFICATE'));
    const base = ['--proxy-cacert', squid.caFile!, '-x', squid.httpsUrl!];
    const none = await curl([...base, httpUrl]);
    t.is(none.status, 407, none.stderr);
    const creds = ['--proxy-user', `${squid.username}:${squid.password}`];
    const plain = await curl([...base, ...creds, httpUrl]);
    t.is(plain.status, 200, plain.stderr);
    const tls = await curl([...base, ...creds, httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
    // Without the CA the proxy's certificate is rejected (curl: 60 peer certificate).
    const untrusted = await curl(['-x', squid.httpsUrl!, ...creds, httpUrl]);
    t.not(untrusted.exit, 0);
  } finally {
    await squid.stop();
  }
});

skipUnless('tinyproxy', 'curl')('tinyproxy with BasicAuth', async (t) => {
  const proxy = await startTinyproxy({ basicAuth: true });
  startTimes.push(`tinyproxy/basic ${proxy.startMs} ms`);
  try {
    const none = await curl(['-x', proxy.url, httpUrl]);
    t.is(none.status, 407);
    const creds = `${proxy.username}:${proxy.password}`;
    const ok = await curl(['-x', proxy.url, '--proxy-user', creds, httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    t.regex(ok.body, /hello from origin origin\.curlnet\.test/);
    const tls = await curl(['-x', proxy.url, '--proxy-user', creds, '--proxy-anyauth', httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
    // Debian's tinyproxy 1.11.1 answers a wrong password with 401, not 407 (upstream bug).
    const wrong = await curl(['-x', proxy.url, '--proxy-user', `${proxy.username}:wrong`, httpUrl]);
    t.true(wrong.status === 401 || wrong.status === 407, String(wrong.status));
  } finally {
    await proxy.stop();
  }
});

skipUnless('tinyproxy', 'curl')('tinyproxy without auth', async (t) => {
  const proxy = await startTinyproxy({ basicAuth: false });
  startTimes.push(`tinyproxy/none ${proxy.startMs} ms`);
  try {
    t.is(proxy.username, undefined);
    const ok = await curl(['-x', proxy.url, httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    const tls = await curl(['-x', proxy.url, httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
  } finally {
    await proxy.stop();
  }
});

skipUnless('dante', 'curl')('dante SOCKS5 with username/password resolves names on the proxy', async (t) => {
  // A fresh random name: it cannot be a system user, so this also shows none is needed.
  const username = `${DEFAULT_SOCKS_USER}-${Math.random().toString(36).slice(2, 8)}`;
  const proxy = await startDante({ username, password: 'curlnet-s0cks' });
  startTimes.push(`dante/username ${proxy.startMs} ms`);
  try {
    const socks5h = proxy.url.replace('socks5://', 'socks5h://');
    const none = await curl(['-x', socks5h, httpUrl]);
    t.is(none.exit, 97, none.stderr); // CURLE_PROXY: no acceptable auth method
    const creds = `${proxy.username}:${proxy.password}`;
    const ok = await curl(['-x', socks5h, '--proxy-user', creds, httpUrl]);
    t.is(ok.status, 200, ok.stderr);
    const tls = await curl(['-x', socks5h, '--proxy-user', creds, httpsUrl]);
    t.is(tls.status, 200, tls.stderr);
    const wrong = await curl(['-x', socks5h, '--proxy-user', `${proxy.username}:wrong`, httpUrl]);
    t.is(wrong.exit, 97);
    // socks5:// (client-side DNS) cannot resolve the made-up name: proof the name is the proxy's.
    const local = await curl(['-x', proxy.url, '--proxy-user', creds, httpUrl]);
    t.not(local.exit, 0);
    t.regex(local.stderr, /Could not resolve host: origin\.curlnet\.test/); // curl 7.88 reports it as 97
  } finally {
    await proxy.stop();
  }
});

skipUnless('dante', 'curl')('dante SOCKS5 without auth', async (t) => {
  const proxy = await startDante();
  startTimes.push(`dante/none ${proxy.startMs} ms`);
  try {
    const ok = await curl(['-x', proxy.url.replace('socks5://', 'socks5h://'), httpUrl]);
    t.is(ok.status, 200, ok.stderr);
  } finally {
    await proxy.stop();
  }
});

skipUnless('squid', 'kerberos', 'curl')('squid Negotiate with a throw-away KDC', async (t) => {
  let kdc: RunningKdc | undefined;
  let squid: Awaited<ReturnType<typeof startSquid>> | undefined;
  try {
    kdc = await startKdc();
    startTimes.push(`kdc ${kdc.startMs} ms`);
    squid = await startSquid({ auth: 'negotiate', kdc });
    startTimes.push(`squid/negotiate ${squid.startMs} ms`);
    t.regex(squid.url, /^http:\/\/localhost:\d+$/, 'Negotiate needs the proxy addressed as localhost (SPN)');
    const env = await kdc.kinit();
    const ok = await curl(['--proxy-negotiate', '-U', ':', '-x', squid.url, httpUrl], env);
    t.is(ok.status, 200, ok.stderr);
    const tls = await curl(['--proxy-negotiate', '-U', ':', '-x', squid.url, httpsUrl], env);
    t.is(tls.status, 200, tls.stderr);
    t.regex(squid.log(), /alice@CURLNET\.TEST/);
    const noTicket = await curl(['--proxy-negotiate', '-U', ':', '-x', squid.url, httpUrl], {
      KRB5_CONFIG: kdc.krb5Conf,
      KRB5CCNAME: `FILE:${path.join(kdc.dir, 'empty-ccache')}`,
    });
    t.is(noTicket.status, 407);
  } finally {
    await stopAll(squid, kdc);
  }
});

skipUnless('squid', 'tinyproxy', 'dante')('servers left running are killed when the test process exits', async (t) => {
  // A child process starts servers and ends without calling stop(); the exit hook must clean up.
  const helper = path.join(__dirname, 'helpers', 'proxy-servers.js');
  const code = `
    const h = require(${JSON.stringify(helper)});
    const fs = require('node:fs');
    (async () => {
      const servers = [await h.startSquid({ auth: 'basic' }), await h.startTinyproxy({ basicAuth: true }), await h.startDante()];
      const pids = [];
      for (const s of servers) {
        for (const name of ['squid.pid', 'danted.pid']) {
          try { pids.push(Number(fs.readFileSync(s.dir + '/' + name, 'utf8').trim())); } catch {}
        }
      }
      console.log(JSON.stringify({ dirs: servers.map((s) => s.dir), ports: servers.map((s) => s.port), pids }));
    })();`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (exitCode) => { // 'close', not 'exit': stdout may still hold data at 'exit'
      clearTimeout(timer);
      if (exitCode === 0) resolve(text);
      else reject(new Error(`child exited with ${exitCode}`));
    });
  });
  const { dirs, ports, pids } = JSON.parse(out) as { dirs: string[]; ports: number[]; pids: number[] };
  t.is(dirs.length, 3);
  for (const dir of dirs) t.false(fs.existsSync(dir), `${dir} removed`);
  const stateOf = (pid: number): string => {
    try {
      return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
    } catch {
      return 'gone';
    }
  };
  for (const pid of pids) {
    // Gone, or at most a zombie waiting for init to reap it. A SIGKILLed process can still be
    // on its way out (state R) for a moment on a busy machine: wait up to 5 s for that.
    let state = stateOf(pid);
    for (const deadline = Date.now() + 5000; state !== 'gone' && state !== 'Z' && Date.now() < deadline; state = stateOf(pid)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    t.true(state === 'gone' || state === 'Z', `pid ${pid} state ${state}`);
  }
  const net = await import('node:net');
  for (const port of ports) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    t.false(open, `port ${port} closed`);
  }
});
