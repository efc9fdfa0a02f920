// curl-net net.fetch(), through the body handling shared with undici fetch (lib/fetch-client.mjs).
import { loadCurlNet, setupSession } from '../lib/curl-net-session.mjs';
import { fetchClient } from '../lib/fetch-client.mjs';

export async function create(spec) {
  const curlnet = loadCurlNet();
  const { net } = curlnet;
  const { info } = await setupSession(curlnet, spec);
  return fetchClient(spec, (url, init) => net.fetch(url, init), { info });
}
