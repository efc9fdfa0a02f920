// Ports Chromium refuses to connect to for http and https (net::ERR_UNSAFE_PORT): services
// whose protocols are line-based enough that a request body or header could be read as their
// commands (SMTP, IRC, SIP, X11, NFS…). The list is kRestrictedPorts of Chromium's
// net/base/port_util.cc, which the Fetch standard's "bad port" list follows. Chromium's
// per-scheme exceptions (ftp may use 21 and 22) do not concern http(s).
//
// Chromium checks the port of every URL a request goes to (each redirect target too), not the
// port of a proxy: a proxy is configured by the user, not chosen by a page or a server.
import { effectivePort } from './url-parts';

const RESTRICTED_PORTS: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080,
]);

/** Whether Chromium would connect to this http(s) URL's port. */
export function isPortAllowed(url: URL): boolean {
  return !RESTRICTED_PORTS.has(effectivePort(url));
}

/** The list, for tests and documentation. */
export function restrictedPorts(): number[] {
  return [...RESTRICTED_PORTS];
}
