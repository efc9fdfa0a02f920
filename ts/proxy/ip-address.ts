// IP literal parsing and prefix matching shared by bypass rules, NO_PROXY and the PAC bridge.
// Addresses are kept as byte arrays so IPv4, IPv6 and IPv4-mapped IPv6 compare uniformly.

export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array; // 4 or 16 bytes
}

/** Strict dotted quad: four decimal octets, no leading-zero octal tricks beyond plain "0". */
export function parseIPv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return { family: 4, bytes };
}

/** IPv6 text form (RFC 4291 §2.2), with optional surrounding brackets and zone id. */
export function parseIPv6(input: string): IpAddress | null {
  let text = input;
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (text.length === 0 || !text.includes(':')) return null;

  const groups: number[] = [];
  let tail: number[] | null = null;
  const halves = text.split('::');
  if (halves.length > 2) return null;

  const parseHalf = (half: string, allowV4Tail: boolean): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (allowV4Tail && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return null;
        out.push((v4.bytes[0]! << 8) | v4.bytes[1]!, (v4.bytes[2]! << 8) | v4.bytes[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
      out.push(parseInt(piece, 16));
    }
    return out;
  };

  if (halves.length === 2) {
    const head = parseHalf(halves[0]!, false);
    tail = parseHalf(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseHalf(text, true);
    if (!all || all.length !== 8) return null;
    groups.push(...all);
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

export function parseIp(text: string): IpAddress | null {
  return parseIPv4(text) ?? parseIPv6(text);
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run compressed), no brackets. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An IPv4 address as an IPv4-mapped IPv6 address (::ffff:a.b.c.d); IPv6 unchanged. */
function toV6(ip: IpAddress): Uint8Array {
  if (ip.family === 6) return ip.bytes;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip.bytes, 12);
  return out;
}

/**
 * Whether `ip` lies in `prefix`/`bits`. Mixed families compare through the IPv4-mapped form, as
 * Chromium's IPAddressMatchesPrefix does, so `::ffff:10.1.2.3` is inside `10.0.0.0/8`.
 */
export function ipInPrefix(ip: IpAddress, prefix: IpAddress, bits: number): boolean {
  let a = ip.bytes;
  let b = prefix.bytes;
  let n = bits;
  if (ip.family !== prefix.family) {
    a = toV6(ip);
    b = toV6(prefix);
    if (prefix.family === 4) n += 96;
  }
  for (let i = 0; i < a.length && n > 0; i++, n -= 8) {
    const mask = n >= 8 ? 0xff : (0xff << (8 - n)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

/** `a.b.c.d/n` or `v6/n`; null when malformed or the prefix length is out of range. */
export function parseCidr(text: string): { prefix: IpAddress; bits: number } | null {
  const slash = text.lastIndexOf('/');
  if (slash === -1) return null;
  const prefix = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!prefix || !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = Number(bitsText);
  if (bits > (prefix.family === 4 ? 32 : 128)) return null;
  return { prefix, bits };
}

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  const x = toV6(a);
  const y = toV6(b);
  return x.every((v, i) => v === y[i]);
}

const LOOPBACK_V4 = parseIPv4('127.0.0.0')!;
const LOOPBACK_V6 = parseIPv6('::1')!;
const LINK_LOCAL_V4 = parseIPv4('169.254.0.0')!;
const LINK_LOCAL_V6 = parseIPv6('fe80::')!;

export function isLoopbackIp(ip: IpAddress): boolean {
  return ipInPrefix(ip, LOOPBACK_V4, 8) || (ip.family === 6 && ipEquals(ip, LOOPBACK_V6));
}

export function isLinkLocalIp(ip: IpAddress): boolean {
  return ipInPrefix(ip, LINK_LOCAL_V4, 16) || (ip.family === 6 && ipInPrefix(ip, LINK_LOCAL_V6, 10));
}
