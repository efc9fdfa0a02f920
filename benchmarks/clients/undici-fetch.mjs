// undici fetch (npm undici), same Agent settings as undici-request, through the body handling
// shared with curl-net's net.fetch (lib/fetch-client.mjs).
import { fetch } from 'undici';
import { fetchClient } from '../lib/fetch-client.mjs';
import { undiciDispatcher } from '../lib/undici-dispatcher.mjs';

export async function create(spec) {
  const { dispatcher, info } = undiciDispatcher(spec);
  const base = { dispatcher, ...(spec.fresh ? { headers: { connection: 'close' } } : {}) };
  return fetchClient(spec, (url, init) => fetch(url, { ...base, ...init }), { info, close: () => dispatcher.close() });
}
