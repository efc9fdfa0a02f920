// net.fetch of file: URLs, as Chromium's file URL loader answers them: the file's bytes
// (streamed from disk as the response is read), net::ERR_FILE_NOT_FOUND for a missing file or
// a directory (no listings outside a browser), net::ERR_ACCESS_DENIED when it cannot be read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { netError } from '../errors';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.xml': 'text/xml',
};

export async function fileResponse(url: URL): Promise<Response> {
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch (error) {
    throw netError('ERR_INVALID_URL', { cause: error });
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (error) {
    throw fileError(error);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw netError('ERR_FILE_NOT_FOUND');
    const headers: Record<string, string> = { 'Content-Length': String(stat.size) };
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
    if (type !== undefined) headers['Content-Type'] = type;
    const stream = handle.createReadStream({ autoClose: true });
    return new Response(Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>, { status: 200, statusText: 'OK', headers });
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fileError(error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return netError('ERR_ACCESS_DENIED', { cause: error });
  return netError('ERR_FILE_NOT_FOUND', { cause: error });
}
