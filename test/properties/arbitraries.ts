// fast-check generators shared by the property tests: proxy servers as Chromium spells them.
import fc from 'fast-check';
import { ProxyChoice, ProxyServer } from '../../ts/proxy/types';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
/** The last label starts with a letter: WHATWG URL (and Chromium) read `a.1` or `7` as IPv4. */
const lastLabel = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/);

/** What WHATWG URL (and Chromium's host canonicalisation) makes of a host, or null if invalid. */
export function canonicalHost(host: string): string | null {
  try {
    return new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
}

/** Host names exactly as WHATWG URL keeps them (lowercase ASCII, not an IPv4 number, valid
 * punycode: a label such as `xn--0` is refused by the URL parser). */
export const domainName: fc.Arbitrary<string> = fc
  .tuple(fc.array(label, { maxLength: 3 }), lastLabel)
  .map(([labels, last]) => [...labels, last].join('.'))
  .filter((host) => canonicalHost(host) === host);

/** Host-like text that may be invalid or not canonical: numbers, xn-- labels, upper case. */
export const hostLikeText: fc.Arbitrary<string> = fc
  .array(fc.oneof(label, fc.constantFrom('xn--0', 'xn--ls8h', 'xn--a', '4', '0x7f', '010', 'A', 'xn--')), { minLength: 1, maxLength: 4 })
  .map((labels) => labels.join('.'));

/** Host names, IPv4 and IPv6 literals as they are stored (lowercase, no brackets, canonical). */
export const proxyHost: fc.Arbitrary<string> = fc.oneof(
  domainName,
  fc.ipV4(),
  fc.ipV6().map((v6) => new URL(`http://[${v6}]/`).hostname.slice(1, -1)),
);

export const proxyServer: fc.Arbitrary<ProxyServer> = fc.record({
  scheme: fc.constantFrom<ProxyServer['scheme']>('http', 'https', 'socks4', 'socks5'),
  host: proxyHost,
  port: fc.integer({ min: 1, max: 65535 }),
});

export const proxyChoice: fc.Arbitrary<ProxyChoice> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<ProxyChoice>({ kind: 'direct' }) },
  { weight: 5, arbitrary: proxyServer.map((server): ProxyChoice => ({ kind: 'proxy', server })) },
);

/** Random text made mostly of the characters these grammars use. */
export const grammarNoise = fc.string({
  unit: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...'abcxyz019:;,=/.[]*?<>@ \t-_'.split('')) },
    { weight: 1, arbitrary: fc.constantFrom('PROXY', 'SOCKS5', 'DIRECT', 'http://', 'socks=', '<local>', '<-loopback>', '::1', '%', '\u0000', 'é') },
  ),
  maxLength: 60,
});
