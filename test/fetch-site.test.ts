// Sec-Fetch-Site decides "same-site" on registrable domains from the public suffix list, as
// Chromium does (net::registry_controlled_domains): two hosts under a public suffix such as
// co.uk or github.io are different sites even though their last two labels match.
import test from 'ava';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { configure, net, session } from '../ts/index';
import { fetchSite, type FetchSite } from '../ts/fetch-metadata';
import { resetSwitchesForTesting } from '../ts/switches/command-line';
import { bodyOrError } from './helpers/collect';
import { trustedTestCertificates } from './helpers/tls-certs';

const trust = trustedTestCertificates(test);
test.afterEach.always(() => resetSwitchesForTesting());

const cases: Array<[initiator: string, target: string, site: FetchSite]> = [
  ['https://alice.github.io', 'https://bob.github.io/', 'cross-site'],
  ['https://a.bob.github.io', 'https://bob.github.io/', 'same-site'],
  ['https://a.co.uk', 'https://b.co.uk/', 'cross-site'],
  ['https://a.example.co.uk', 'https://b.example.co.uk/', 'same-site'],
  ['https://www.example.com', 'https://api.example.com/', 'same-site'],
  ['http://www.example.com', 'https://api.example.com/', 'cross-site'],
  ['https://example.com', 'https://example.com/', 'same-origin'],
  ['https://127.0.0.1', 'https://127.0.0.2/', 'cross-site'],
];

test('fetchSite: registrable domains from the public suffix list, schemeful', (t) => {
  for (const [initiator, target, site] of cases) {
    t.is(fetchSite(new URL(initiator), new URL(target)), site, `${initiator} -> ${target}`);
  }
});

test.serial('the Sec-Fetch-Site header a request sends across a public suffix', async (t) => {
  const seen: Array<string | undefined> = [];
  const server = https.createServer({ ...trust.certs.selfSigned }, (req, res) => {
    seen.push(req.headers['sec-fetch-site'] as string | undefined);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  trust.closers.push(() => server.close());
  const port = (server.address() as AddressInfo).port;
  configure({ switches: { 'host-resolver-rules': 'MAP *.github.io 127.0.0.1, MAP *.co.uk 127.0.0.1' } });
  const ses = session.fromPartition('fetch-site-e2e');
  ses.setCertificateVerifyProc((_request, callback) => callback(0));
  for (const [initiator, target, site] of cases.slice(0, 4)) {
    const url = new URL(target);
    url.port = String(port);
    const result = await bodyOrError(net.request({ url: url.href, origin: initiator, session: ses }));
    t.is(result.error, undefined, `${initiator} -> ${url.href}`);
    t.is(seen.pop(), site, `${initiator} -> ${url.href}`);
  }
});
