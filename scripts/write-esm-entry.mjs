// Writes dist/index.mjs: an ESM entry that re-exports the CommonJS build, so `import` and
// `require` share one module instance (one engine, one default session).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const names = Object.keys(require('../dist/index.js')).filter((n) => n !== 'default');
const lines = [
  "import cjs from './index.js';",
  `export const { ${names.join(', ')} } = cjs;`,
  'export default cjs;',
  '',
];
writeFileSync(new URL('../dist/index.mjs', import.meta.url), lines.join('\n'));
