// Properties of the IP literal parser (ts/proxy/ip-address.ts), against Node's own parsers:
// net.isIP and the WHATWG URL host parser. Runs: 2,000 per property.
import test from 'ava';
import fc from 'fast-check';
import * as net from 'node:net';
import { formatIp, ipInPrefix, parseCidr, parseIp, parseIPv4, parseIPv6 } from '../../ts/proxy/ip-address';

const RUNS = { numRuns: 2000 };

/** Characters IP literals are made of, so random strings get close to valid ones. */
const ipish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%[]/ '.split('')), maxLength: 45 });

test('parseIp never throws, and what it accepts Node accepts too (up to brackets, zone ids and leading zeros)', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(ipish, fc.string()), (text) => {
        const ip = parseIp(text);
        if (!ip) return true;
        let plain = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
        // Leading zeros in a dotted quad are read as decimal here; Node refuses them.
        plain = plain.replace(/(^|[.:])0+(\d)/g, '$1$2');
        return net.isIP(plain) === ip.family;
      }),
      RUNS,
    ),
  );
});

test('every IPv4 and IPv6 address Node generates is accepted, and formatIp is the WHATWG URL canonical form', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const ip = parseIp(text);
        if (!ip) return false;
        const canonical = new URL(`http://${net.isIPv6(text) ? `[${text}]` : text}/`).hostname.replace(/^\[|\]$/g, '');
        return formatIp(ip) === canonical && ip.family === net.isIP(text);
      }),
      RUNS,
    ),
  );
});

test('formatIp and parseIp round-trip on any 4 or 16 bytes', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), (bytes) => {
        const ip = { family: bytes.length === 4 ? 4 : 6, bytes } as const;
        const text = formatIp(ip);
        const back = ip.family === 4 ? parseIPv4(text) : parseIPv6(text);
        return back !== null && back.family === ip.family && Buffer.from(back.bytes).equals(Buffer.from(bytes));
      }),
      RUNS,
    ),
  );
});

/** Reference: the address as a BigInt, compared on its top `bits`. */
function toBigInt(bytes: Uint8Array): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

test('ipInPrefix agrees with a BigInt reference for CIDR blocks of the same family', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constant(4 as const), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })),
          fc.tuple(fc.constant(6 as const), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 })),
        ),
        ([family, a, b, bits]) => {
          const width = BigInt(a.length * 8);
          const shift = width - BigInt(bits);
          const expected = toBigInt(a) >> shift === toBigInt(b) >> shift;
          const cidr = parseCidr(`${formatIp({ family, bytes: b })}/${bits}`);
          return cidr !== null && cidr.bits === bits && ipInPrefix({ family, bytes: a }, cidr.prefix, bits) === expected;
        },
      ),
      RUNS,
    ),
  );
});

test('parseCidr never throws and refuses prefix lengths beyond the family width', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 999 }), (ip, bits) => {
        const cidr = parseCidr(`${ip}/${bits}`);
        const max = net.isIPv4(ip) ? 32 : 128;
        return bits <= max ? cidr !== null && cidr.bits === bits : cidr === null;
      }),
      RUNS,
    ),
  );
});
