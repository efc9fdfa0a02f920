// Main-thread side of the PAC sandbox's DNS bridge: answers dnsResolve / dnsResolveEx /
// myIpAddress / myIpAddressEx questions the sandbox posts into a SharedArrayBuffer (layout in
// pac-library.ts). Uses Atomics.waitAsync, so nothing here blocks the JS thread and nothing keeps
// the process alive (a pending waitAsync holds no libuv handle).
import dgram from 'node:dgram';
import dns from 'node:dns';
import os from 'node:os';
import { isLinkLocalIp, isLoopbackIp, parseIp } from './ip-address';
import { BRIDGE_TEXT_OFFSET, BridgeOp } from './pac-library';

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

// Atomics.waitAsync exists in Node >= 16 but is only typed from lib es2024 on.
type WaitAsync = (
  typedArray: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class PacDnsBridge {
  private readonly cache = new Map<string, Promise<string | null>>();
  private active: Int32Array | null = null;
  private lastSeq = 0;

  constructor(private readonly lookupTimeoutMs: number) {}

  /** Starts serving a new sandbox's buffer; stops serving the previous one. */
  serve(sab: SharedArrayBuffer): void {
    this.stop();
    const slots = new Int32Array(sab, 0, 8);
    this.active = slots;
    this.lastSeq = 0;
    void this.loop(slots, new Uint16Array(sab, BRIDGE_TEXT_OFFSET));
  }

  stop(): void {
    const slots = this.active;
    this.active = null;
    if (slots) Atomics.notify(slots, 0); // wakes our own waitAsync so the loop sees it is retired
  }

  clearCache(): void {
    this.cache.clear();
  }

  private async loop(slots: Int32Array, text: Uint16Array): Promise<void> {
    while (this.active === slots) {
      const state = Atomics.load(slots, 0);
      const seq = Atomics.load(slots, 3);
      if (state === 1 && seq !== this.lastSeq) {
        this.lastSeq = seq;
        const op = Atomics.load(slots, 1);
        const len = Atomics.load(slots, 2);
        let question = '';
        if (len > 0 && len <= text.length) {
          for (let i = 0; i < len; i++) question += String.fromCharCode(text[i]!);
        }
        const answer = await this.answer(op, question);
        // Only answer the question that is still pending (the sandbox may have given up).
        if (this.active !== slots || Atomics.load(slots, 0) !== 1 || Atomics.load(slots, 3) !== seq) continue;
        const out = answer === null ? '' : answer.slice(0, text.length);
        for (let i = 0; i < out.length; i++) text[i] = out.charCodeAt(i);
        Atomics.store(slots, 2, answer === null ? -1 : out.length);
        Atomics.store(slots, 4, seq);
        Atomics.store(slots, 0, 2);
        Atomics.notify(slots, 0);
        continue;
      }
      const waiting = waitAsync(slots, 0, state);
      if (waiting.async) await waiting.value;
    }
  }

  private answer(op: number, question: string): Promise<string | null> {
    const key = `${op} ${question}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = withTimeout(this.compute(op, question), this.lookupTimeoutMs, null);
      this.cache.set(key, pending);
    }
    return pending;
  }

  private async compute(op: number, host: string): Promise<string | null> {
    switch (op) {
      case BridgeOp.DnsResolve: {
        if (host === '') return null;
        const res = await dns.promises.lookup(host, { family: 4 });
        return res.address;
      }
      case BridgeOp.DnsResolveEx: {
        if (host === '') return null;
        const res = await dns.promises.lookup(host, { all: true });
        return res.map((r) => r.address).join(';') || null;
      }
      case BridgeOp.MyIpAddress:
        return (await localAddresses()).find((a) => !a.includes(':')) ?? null;
      case BridgeOp.MyIpAddressEx:
        return (await localAddresses()).join(';') || null;
      default:
        return null;
    }
  }
}
