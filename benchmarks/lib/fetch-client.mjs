// The body handling both fetch adapters share, so curl-net's net.fetch and undici's fetch are
// driven by literally the same code: small bodies through arrayBuffer(), large ones (> 1 MiB)
// with for await over res.body; uploads as a ReadableStream body with duplex: 'half'.
// `fetchFn(url, init)` is the client's fetch with its own options already bound.
export function fetchClient(spec, fetchFn, extra = {}) {
  const big = (spec.expectBytes ?? 0) > 1048576;
  return {
    ...extra,
    async get(url) {
      const res = await fetchFn(url, {});
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
      const res = await fetchFn(url, { method: 'POST', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } });
      return { status: res.status, body: await res.text() };
    },
  };
}
