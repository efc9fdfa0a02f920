// Typings match Electron's: code written against electron.d.ts for net, session, ClientRequest,
// IncomingMessage, webRequest and protocol compiles against the published dist/index.d.ts.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');

function compile(file: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
    skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file ? path.relative(root, d.file.fileName) : ''}:${where ? where.line + 1 : 0}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

test('Electron-typed snippets compile against the published typings', (t) => {
  t.timeout(50_000);
  t.deepEqual(compile(path.join(root, 'test', 'typings', 'electron-snippets.ts')), []);
});

test('the same compiler reports a snippet that does not match (the test can fail)', (t) => {
  t.timeout(50_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-typings-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'wrong.ts');
  const entry = path.join(root, 'dist', 'index').replace(/\\/g, '/');
  fs.writeFileSync(file, `import { net } from '${entry}';\nnet.request('http://127.0.0.1/').write(42);\n`);
  const diagnostics = compile(file);
  t.is(diagnostics.length, 1, diagnostics.join('\n'));
  t.regex(diagnostics[0], /wrong\.ts:2: No overload matches this call/);
});
