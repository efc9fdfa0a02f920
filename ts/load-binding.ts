// Finds and loads the compiled addon: a local build first, then a prebuild that fits this
// platform (node-gyp-build's order). A failure explains itself: what was looked for, where,
// and what to do about it.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const packageRoot = findPackageRoot(__dirname);

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'curl-net') return dir;
      } catch {
        // keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..');
    dir = parent;
  }
}

export function loadBinding(): unknown {
  const override = process.env.CURL_NET_BINDING;
  if (override) return require(path.resolve(override));
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(packageRoot);
  } catch (error) {
    throw explainLoadFailure(error as Error);
  }
}

function explainLoadFailure(cause: Error): Error {
  const lines = [
    'curl-net could not load its native addon.',
    `  platform: ${process.platform}-${process.arch}, Node ${process.version}, Node-API ${process.versions.napi}`,
    `  package: ${packageRoot}`,
    `  cause: ${cause.message.split('\n')[0]}`,
    'Possible fixes:',
    '  1. Build it from source: npm rebuild curl-net --build-from-source',
    '     (needs a C++ compiler and the libcurl headers, e.g. apt-get install build-essential libcurl4-openssl-dev)',
    '  2. Make sure npm did not skip install scripts (--ignore-scripts) when installing curl-net.',
  ];
  const error = new Error(lines.join('\n'));
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}
