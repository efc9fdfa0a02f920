// GNOME's proxy settings (schema org.gnome.system.proxy and its http/https/ftp/socks children),
// read with Debian's `gsettings` tool in a child process: one `list-recursively` call, never a
// blocking call on the JS thread. The child gets the same environment the decision is made for,
// so GSETTINGS_BACKEND, XDG_CONFIG_HOME and DBus addresses select the same store GNOME uses.
import { execFile } from 'node:child_process';
import { DesktopProxySettings, ProxySchemeKey } from './desktop-proxy-settings';
import { GVariantValue, parseGVariantText } from './gvariant-text';

export const GNOME_PROXY_SCHEMA = 'org.gnome.system.proxy';
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_OUTPUT = 64 * 1024;

export interface GSettingsReadOptions {
  /** The tool to run; default `gsettings` from PATH. */
  command?: string;
  timeoutMs?: number;
}

function runGSettings(env: NodeJS.ProcessEnv, options: GSettingsReadOptions): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      options.command ?? 'gsettings',
      ['list-recursively', GNOME_PROXY_SCHEMA],
      { env, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, windowsHide: true },
      // No gsettings, no schema, a dead DBus: like Chromium without a GSettings client, the
      // environment variables apply.
      (error, stdout) => resolve(error ? null : String(stdout)),
    );
  });
}

/** Parses `gsettings list-recursively org.gnome.system.proxy` output into schema → key → value. */
export function parseGSettingsListing(text: string): Map<string, GVariantValue> {
  const out = new Map<string, GVariantValue>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\S+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const value = parseGVariantText(m[3]!);
    if (value !== null) out.set(`${m[1]} ${m[2]}`, value);
  }
  return out;
}

export function settingsFromGSettingsListing(text: string): DesktopProxySettings | null {
  const values = parseGSettingsListing(text);
  const str = (child: string, key: string): string | undefined => {
    const v = values.get(`${GNOME_PROXY_SCHEMA}${child} ${key}`);
    return typeof v === 'string' ? v : undefined;
  };
  const int = (child: string, key: string): number | undefined => {
    const v = values.get(`${GNOME_PROXY_SCHEMA}${child} ${key}`);
    return typeof v === 'number' ? v : undefined;
  };
  const mode = str('', 'mode');
  if (mode === undefined) return null;
  const settings: DesktopProxySettings = { store: 'gsettings', mode, hosts: {}, ports: {}, suffixMatching: false, reversedBypass: false };
  settings.autoconfigUrl = str('', 'autoconfig-url');
  for (const scheme of ['http', 'https', 'ftp', 'socks'] as ProxySchemeKey[]) {
    const host = str(`.${scheme}`, 'host');
    if (host !== undefined) settings.hosts[scheme] = host;
    const port = int(`.${scheme}`, 'port');
    if (port !== undefined) settings.ports[scheme] = port;
  }
  const ignore = values.get(`${GNOME_PROXY_SCHEMA} ignore-hosts`);
  if (Array.isArray(ignore)) settings.ignoreHosts = ignore.filter((h): h is string => typeof h === 'string');
  if (values.get(`${GNOME_PROXY_SCHEMA}.http use-authentication`) === true) {
    settings.httpCredentials = { username: str('.http', 'authentication-user') ?? '', password: str('.http', 'authentication-password') ?? '' };
  }
  return settings;
}

/** GNOME's proxy settings; null when they cannot be read (then Chromium uses the environment). */
export async function readGSettingsProxySettings(env: NodeJS.ProcessEnv, options: GSettingsReadOptions = {}): Promise<DesktopProxySettings | null> {
  const text = await runGSettings(env, options);
  return text === null ? null : settingsFromGSettingsListing(text);
}
