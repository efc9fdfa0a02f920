// undici fetch (npm undici), same Agent settings as undici-request. Small bodies through
// arrayBuffer(), large ones (> 1 MiB) through for await over res.body.
import { fetch } from 'undici';
import { undiciDispatcher } from '../lib/undici-dispatcher.mjs';

export async function create(spec) {
  const { dispatcher, info } = undiciDispatcher(spec);
  const big = (spec.expectBytes ?? 0) > 1048576;
  const init = { dispatcher, ...(spec.fresh ? { headers: { connection: 'close' } } : {}) };
  return {
    info,
    async get(url) {
      const res = await fetch(url, init);
      let n = 0;
      if (big) {
        for await (const chunk of res.body) n += chunk.byteLength;
      } else {
        n = (await res.arrayBuffer()).byteLength;
      }
      return { status: res.status, bytes: n };
    },
    async upload(url, total, chunk) {
      let sent = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (sent >= total) { controller.close(); return; }
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const res = await fetch(url, { dispatcher, method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } });
      return { status: res.status, body: await res.text() };
    },
    close: () => dispatcher.close(),
  };
}
