// KDE's proxy settings: the [Proxy Settings] group of kioslaverc, read as Chromium's
// SettingGetterImplKDE reads it. Where the file lives:
//   $KDEHOME set          → $KDEHOME/share/config
//   KDE 3                 → ~/.kde/share/config
//   KDE 4                 → ~/.kde4/share/config when it is newer than ~/.kde/share/config
//   KDE 5 / 6             → each of $XDG_CONFIG_DIRS (last = lowest priority), then ~/.config
// When several files exist, later ones (higher priority) override earlier ones key by key.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DesktopEnvironment } from './desktop-environment';
import { DesktopProxySettings, ProxySchemeKey } from './desktop-proxy-settings';

const KDE_PROXY_KEYS: Record<string, ProxySchemeKey> = { httpProxy: 'http', httpsProxy: 'https', ftpProxy: 'ftp', socksProxy: 'socks' };

async function mtime(file: string): Promise<number | null> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return null;
  }
}

/** kioslaverc files to read, lowest priority first. */
export async function kioslavercFiles(env: NodeJS.ProcessEnv, desktop: DesktopEnvironment): Promise<string[]> {
  const configOf = (kdeHome: string) => path.join(kdeHome, 'share', 'config');
  if (env.KDEHOME) return [path.join(configOf(env.KDEHOME), 'kioslaverc')];
  const home = env.HOME;
  if (!home) return [];
  if (desktop === 'kde3') return [path.join(configOf(path.join(home, '.kde')), 'kioslaverc')];
  if (desktop === 'kde4') {
    const kde3 = configOf(path.join(home, '.kde'));
    const kde4 = configOf(path.join(home, '.kde4'));
    const [t3, t4] = await Promise.all([mtime(kde3), mtime(kde4)]);
    const useKde4 = t4 !== null && (t3 === null || t4 >= t3);
    return [path.join(useKde4 ? kde4 : kde3, 'kioslaverc')];
  }
  const dirs = [path.join(home, '.config'), ...(env.XDG_CONFIG_DIRS ?? '').split(':').filter((d) => d !== '')];
  return dirs.reverse().map((d) => path.join(d, 'kioslaverc'));
}

interface KdeTables {
  strings: Map<string, string>;
  noProxyFor?: string[];
  reversed: boolean;
  indirect: boolean;
  wpadOnly: boolean;
}

function hostList(value: string): string[] {
  return value.split(/[, ]+/).filter((t) => t !== '');
}

function addSetting(tables: KdeTables, key: string, value: string): void {
  if (key === 'ProxyType') {
    const type = /^-?\d+$/.test(value) ? Number(value) : 0;
    tables.indirect = type === 4;
    tables.wpadOnly = type === 3;
    tables.strings.set('mode', type === 1 || type === 4 ? 'manual' : type === 2 || type === 3 ? 'auto' : 'none');
  } else if (key === 'Proxy Config Script') {
    tables.strings.set('autoconfig', value);
  } else if (key in KDE_PROXY_KEYS) {
    // Empty or "//:" means no proxy; newer KDE writes "host port" instead of "host:port".
    if (value === '' || value.startsWith('//:')) return;
    tables.strings.set(KDE_PROXY_KEYS[key]!, value.replace(' ', ':'));
  } else if (key === 'ReversedException') {
    tables.reversed = value === 'true' || (/^-?\d+$/.test(value) && Number(value) !== 0);
  } else if (key === 'NoProxyFor') {
    tables.noProxyFor = hostList(value);
  }
}

/** Parses one kioslaverc's text into `tables` (later calls override earlier ones). */
export function parseKioslaverc(text: string, tables: KdeTables): void {
  let inProxySettings = false;
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('[')) {
      inProxySettings = line.startsWith('[Proxy Settings]');
      continue;
    }
    if (!inProxySettings) continue;
    const eq = line.indexOf('=');
    if (eq === -1) continue;
    let key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === '') continue;
    if (key.endsWith(']')) {
      // A localised key ("key[de]"): the base key counts.
      const open = key.lastIndexOf('[');
      if (open === -1) continue;
      key = key.slice(0, open).trimEnd();
      if (key === '') continue;
    }
    addSetting(tables, key, value);
  }
}

export function newKdeTables(): KdeTables {
  return { strings: new Map(), reversed: false, indirect: false, wpadOnly: false };
}

/** Turns the parsed tables into the common shape, resolving ProxyType 3 and 4 as Chromium does. */
export function settingsFromKdeTables(tables: KdeTables, env: NodeJS.ProcessEnv): DesktopProxySettings {
  const settings: DesktopProxySettings = { store: 'kioslaverc', hosts: {}, ports: {}, suffixMatching: true, reversedBypass: tables.reversed };
  settings.mode = tables.strings.get('mode');
  if (!tables.wpadOnly) settings.autoconfigUrl = tables.strings.get('autoconfig');
  for (const scheme of ['http', 'https', 'ftp', 'socks'] as ProxySchemeKey[]) {
    let host = tables.strings.get(scheme);
    // ProxyType 4: the settings name environment variables that hold the values (not for SOCKS).
    if (host !== undefined && tables.indirect && scheme !== 'socks') host = env[host];
    if (host !== undefined) settings.hosts[scheme] = host;
  }
  let ignore = tables.noProxyFor;
  if (ignore !== undefined && tables.indirect) {
    const named = ignore.length > 0 ? env[ignore[0]!] : undefined;
    ignore = named === undefined ? undefined : hostList(named);
  }
  if (ignore !== undefined) settings.ignoreHosts = ignore;
  return settings;
}

/** KDE's proxy settings; null when no kioslaverc could be read (then: the environment). */
export async function readKdeProxySettings(env: NodeJS.ProcessEnv, desktop: DesktopEnvironment): Promise<DesktopProxySettings | null> {
  const files = await kioslavercFiles(env, desktop);
  const tables = newKdeTables();
  let found = false;
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      continue;
    }
    found = true;
    parseKioslaverc(text, tables);
  }
  return found ? settingsFromKdeTables(tables, env) : null;
}
