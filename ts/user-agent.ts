// The default User-Agent, shaped like Chromium's so servers that sniff for a browser-like
// token see one, without claiming to be Chrome.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageRoot } from './load-binding';

function platformToken(): string {
  switch (process.platform) {
    case 'darwin':
      return 'Macintosh; Intel Mac OS X 10_15_7';
    case 'win32':
      return process.arch === 'x64' ? 'Windows NT 10.0; Win64; x64' : 'Windows NT 10.0';
    default:
      return `X11; ${os.type()} ${process.arch === 'x64' ? 'x86_64' : process.arch}`;
  }
}

export function defaultUserAgent(libcurlVersion: string): string {
  const version = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version as string;
  return `Mozilla/5.0 (${platformToken()}) curl-net/${version} Node.js/${process.versions.node} libcurl/${libcurlVersion}`;
}

/** 'en-US,fr,de' → 'en-US,fr;q=0.9,de;q=0.8', as Chromium expands accept languages. */
export function expandAcceptLanguages(list: string): string {
  const languages = list
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  let q = 10;
  return languages
    .map((language, index) => {
      if (index === 0) return language;
      q = Math.max(q - 1, 1);
      return `${language};q=${(q / 10).toFixed(1)}`;
    })
    .join(',');
}
