// curl-net net.fetch(): small bodies through arrayBuffer(), large ones (> 1 MiB) with for await
// over res.body; uploads as a ReadableStream body with duplex: 'half'.
import { loadCurlNet, setupSession } from '../lib/curl-net-session.mjs';

export async function create(spec) {
  const curlnet = loadCurlNet();
  const { net } = curlnet;
  const { info } = await setupSession(curlnet, spec);
  const big = (spec.expectBytes ?? 0) > 1048576;
  return {
    info,
    async get(url) {
      const res = await net.fetch(url);
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
      const res = await net.fetch(url, { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } });
      return { status: res.status, body: await res.text() };
    },
  };
}
