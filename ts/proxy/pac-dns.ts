// Main-thread side of the PAC sandbox's DNS: answers the dnsResolve / dnsResolveEx / myIpAddress /
// myIpAddressEx questions a PAC run could not get answered inside the sandbox (pac-sandbox.ts
// abandons such a run; pac-evaluator.ts asks here, then runs it again with the answers).
// Everything is asynchronous: nothing here blocks the JS thread.
import dgram from 'node:dgram';
import dns from 'node:dns';
import os from 'node:os';
import { isLinkLocalIp, isLoopbackIp, parseIp } from './ip-address';
import { DnsOp, MAX_DNS_NAME_LENGTH } from './pac-library';

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

function usable(address: string): boolean {
  const ip = parseIp(address);
  return ip !== null && !isLoopbackIp(ip) && !isLinkLocalIp(ip);
}

/** The local address the OS would use towards `target` (UDP connect sends no packet). */
function routeAddress(type: 'udp4' | 'udp6', target: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(type);
    socket.unref();
    const done = (value: string | null) => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(value);
    };
    socket.on('error', () => done(null));
    socket.connect(53, target, () => {
      try {
        done(socket.address().address);
      } catch {
        done(null);
      }
    });
  });
}

/**
 * Candidate local addresses in Chromium's order (net/docs/proxy.md, "myIpAddress"): stop at the
 * first step that finds any address that is not loopback or link-local.
 *   1. the source address of routes to the public Internet (8.8.8.8, 2001:4860:4860::8888);
 *   2. the addresses the machine's own host name resolves to (IPv4 first);
 *   3. the source address of routes to private space (10/8, 172.16/12, 192.168/16, fc00::/7).
 * Routes are probed by connecting a UDP socket, which sends nothing.
 */
export async function localAddresses(): Promise<string[]> {
  const steps: Array<() => Promise<Array<string | null>>> = [
    () => Promise.all([routeAddress('udp4', '8.8.8.8'), routeAddress('udp6', '2001:4860:4860::8888')]),
    async () => {
      try {
        const all = await dns.promises.lookup(os.hostname(), { all: true });
        return all.sort((a, b) => a.family - b.family).map((r) => r.address);
      } catch {
        return [];
      }
    },
    () =>
      Promise.all([
        routeAddress('udp4', '10.0.0.0'),
        routeAddress('udp4', '172.16.0.0'),
        routeAddress('udp4', '192.168.0.0'),
        routeAddress('udp6', 'fc00::'),
      ]),
  ];
  for (const step of steps) {
    const found: string[] = [];
    for (const a of await step()) if (a && usable(a) && !found.includes(a)) found.push(a);
    if (found.length) return found;
  }
  return [];
}

export class PacDns {
  private readonly cache = new Map<string, Promise<string | null>>();

  constructor(private readonly lookupTimeoutMs: number) {}

  clearCache(): void {
    this.cache.clear();
  }

  /** The answer to one question (null: no answer), cached until clearCache(). Never rejects. */
  answer(op: number, question: string): Promise<string | null> {
    const key = `${op} ${question}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = withTimeout(this.compute(op, question), this.lookupTimeoutMs, null);
      this.cache.set(key, pending);
    }
    return pending;
  }

  private async compute(op: number, host: string): Promise<string | null> {
    if (host.length > MAX_DNS_NAME_LENGTH) return null;
    switch (op) {
      case DnsOp.DnsResolve: {
        if (host === '') return null;
        const res = await dns.promises.lookup(host, { family: 4 });
        return res.address;
      }
      case DnsOp.DnsResolveEx: {
        if (host === '') return null;
        const res = await dns.promises.lookup(host, { all: true });
        return res.map((r) => r.address).join(';') || null;
      }
      case DnsOp.MyIpAddress:
        return (await localAddresses()).find((a) => !a.includes(':')) ?? null;
      case DnsOp.MyIpAddressEx:
        return (await localAddresses()).join(';') || null;
      default:
        return null;
    }
  }
}
