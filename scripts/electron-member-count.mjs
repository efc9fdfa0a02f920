#!/usr/bin/env node
// Counts the networking members of Electron's declarations that curl-net has the same, has
// differently, or lacks: each member of Electron's Net, session (statics), Session (the
// networking ones, listed below), ClientRequest, IncomingMessage, Cookies, WebRequest, Protocol
// and NetLog is probed as `const probe: Electron.X['m'] = curlNet.m`, compiled with tsc against
// dist/index.d.ts: no error = same, "property does not exist" = absent, any other error =
// different. `this` return types in Electron's file are read as `any` first, so a fluent method
// is judged by its parameters, not by the two ClientRequest types being interchangeable.
//
// Usage: node scripts/electron-member-count.mjs path/to/electron.d.ts [--list] [--why]
//   (electron.d.ts is in the npm package: `npm pack electron@45 --ignore-scripts` and
//   `tar xzf electron-*.tgz package/electron.d.ts`; nothing is installed or downloaded.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dtsPath = process.argv[2] ?? process.env.ELECTRON_DTS;
if (!dtsPath || !fs.existsSync(dtsPath)) {
  console.error('usage: node scripts/electron-member-count.mjs path/to/electron.d.ts [--list]');
  process.exit(2);
}
const list = process.argv.includes('--list');
const why = process.argv.includes('--why');

/** Session's networking members (the rest is spellchecker, extensions, permissions, preloads…). */
const SESSION_NETWORKING = [
  'allowNTLMCredentialsForDomains', 'clearAuthCache', 'clearCache', 'clearData', 'clearHostResolverCache',
  'clearSharedDictionaryCache', 'clearSharedDictionaryCacheForIsolationKey', 'clearStorageData', 'closeAllConnections',
  'disableNetworkEmulation', 'enableNetworkEmulation', 'fetch', 'flushStorageData', 'forceReloadProxyConfig', 'getCacheSize',
  'getSharedDictionaryInfo', 'getSharedDictionaryUsageInfo', 'getStoragePath', 'getUserAgent', 'isPersistent', 'preconnect',
  'resolveHost', 'resolveProxy', 'setCertificateVerifyProc', 'setProxy', 'setSSLConfig', 'setUserAgent', 'cookies', 'netLog',
  'protocol', 'storagePath', 'webRequest',
];

const source = fs.readFileSync(dtsPath, 'utf8');
const electronFile = ts.createSourceFile('electron.d.ts', source, ts.ScriptTarget.Latest, true);

/** Member names declared in `declare namespace Electron { class|interface name }`. */
function membersOf(name, { statics = false } = {}) {
  let found;
  const visit = (node) => {
    if (found) return;
    if ((ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) && node.name?.text === name) {
      let parent = node.parent;
      while (parent && !ts.isModuleDeclaration(parent)) parent = parent.parent;
      if (parent?.name?.text === 'Electron') found = node;
    }
    ts.forEachChild(node, visit);
  };
  visit(electronFile);
  if (!found) throw new Error(`${name} is not in ${dtsPath}`);
  const names = [];
  for (const member of found.members) {
    if (ts.isConstructorDeclaration(member) || !member.name) continue;
    const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword) ?? false;
    if (isStatic !== statics) continue;
    const text = member.name.getText(electronFile);
    if (!names.includes(text)) names.push(text);
  }
  return names;
}

// [group, Electron type, curl-net value expression, members]
const groups = [
  ['net', 'Electron.Net', 'curl.net', membersOf('Net')],
  ['session', 'typeof Electron.Session', 'curl.session', membersOf('Session', { statics: true })],
  ['Session', 'Electron.Session', 'curlSession', membersOf('Session').filter((m) => SESSION_NETWORKING.includes(m))],
  ['ClientRequest', 'Electron.ClientRequest', 'curlRequest', membersOf('ClientRequest')],
  ['IncomingMessage', 'Electron.IncomingMessage', 'curlResponse', membersOf('IncomingMessage')],
  ['Cookies', 'Electron.Cookies', 'curlCookies', membersOf('Cookies')],
  ['WebRequest', 'Electron.WebRequest', 'curlSession.webRequest', membersOf('WebRequest')],
  ['Protocol', 'Electron.Protocol', 'curlSession.protocol', membersOf('Protocol')],
  ['NetLog', 'Electron.NetLog', 'curlNetLog', membersOf('NetLog')],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-net-members-'));
try {
  fs.writeFileSync(path.join(dir, 'electron.d.ts'), source.replace(/\): this;/g, '): any;'));
  const entry = path.join(root, 'dist', 'index').replace(/\\/g, '/');
  const lines = [
    '/// <reference path="./electron.d.ts" />',
    `import * as curl from '${entry}';`,
    'declare const curlSession: curl.Session;',
    'declare const curlRequest: curl.ClientRequest;',
    'declare const curlResponse: curl.IncomingMessage;',
    "declare const curlCookies: curl.Session extends { cookies: infer C } ? C : {};",
    "declare const curlNetLog: curl.Session extends { netLog: infer L } ? L : {};",
  ];
  const probes = [];
  for (const [group, electronType, value, members] of groups) {
    for (const member of members) {
      probes.push({ group, member, line: lines.length });
      lines.push(`{ const probe: (${electronType})['${member}'] = ${value}.${member}; void probe; }`);
    }
  }
  const probeFile = path.join(dir, 'probe.ts');
  fs.writeFileSync(probeFile, lines.join('\n') + '\n');
  const program = ts.createProgram([probeFile], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
    skipLibCheck: true,
  });
  const errorsByLine = new Map();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (d.file?.fileName !== probeFile || d.start === undefined) continue;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    if (!errorsByLine.has(line)) errorsByLine.set(line, []);
    errorsByLine.get(line).push(d);
  }
  const totals = { same: 0, different: 0, absent: 0 };
  const byGroup = new Map();
  for (const probe of probes) {
    const errors = errorsByLine.get(probe.line) ?? [];
    const verdict = errors.length === 0 ? 'same' : errors.some((d) => d.code === 2339) ? 'absent' : 'different';
    totals[verdict] += 1;
    if (why && verdict === 'different') {
      const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 3000)).join(' | ');
      console.log(`${probe.group}.${probe.member}: ${text}`);
    }
    if (!byGroup.has(probe.group)) byGroup.set(probe.group, { same: [], different: [], absent: [] });
    byGroup.get(probe.group)[verdict].push(probe.member);
  }
  for (const [group, verdicts] of byGroup) {
    const counts = `same ${verdicts.same.length}, different ${verdicts.different.length}, absent ${verdicts.absent.length}`;
    console.log(`${group.padEnd(16)} ${counts}`);
    if (list) {
      if (verdicts.different.length) console.log(`  different: ${verdicts.different.join(', ')}`);
      if (verdicts.absent.length) console.log(`  absent:    ${verdicts.absent.join(', ')}`);
    }
  }
  const all = probes.length;
  console.log(`total ${all}: same ${totals.same}, different ${totals.different}, absent ${totals.absent}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
